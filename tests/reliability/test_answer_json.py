"""A 2xx answer's JSON reads exactly as `json.loads` reads it, whatever the bytes.

`_call.loads` takes a short way for the answers Rupt sends (UTF-8, one object or array from the
first byte to the last) and hands everything else to `json.loads`: these tests hold it to
json.loads' results and errors, and check the documented answer does take the short way.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rupt_api import _call
from tests.payloads import EVALUATION

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
SPACE = st.sampled_from(["", " ", "\n", "\t", " \r\n "])
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32-be"])


def outcome(read: Any, body: bytes) -> tuple[str, str]:
    """What reading `body` gives: the value's repr, or the exception's type and message."""
    try:
        return "value", repr(read(body))
    except Exception as exc:  # compared, not swallowed: the test asserts on it
        return type(exc).__name__, str(exc)


def assert_reads_as_json_loads(body: bytes) -> None:
    assert outcome(_call.loads, body) == outcome(json.loads, body), body


@PROPERTY
@given(value=JSON_VALUES, before=SPACE, after=SPACE, encoding=ENCODINGS, compact=st.booleans())
def test_any_document_reads_as_json_loads_reads_it(
    value: Any, before: str, after: str, encoding: str, compact: bool
) -> None:
    separators = (",", ":") if compact else None
    text = before + json.dumps(value, separators=separators, ensure_ascii=False) + after
    try:
        body = text.encode(encoding)
    except UnicodeEncodeError:  # a lone surrogate: only UTF-8 with surrogatepass carries it
        body = text.encode("utf-8", "surrogatepass")
    assert_reads_as_json_loads(body)


@PROPERTY
@given(start=st.sampled_from([b"", b"{", b"[", b'{"id":', b"[1,"]), rest=st.binary(max_size=40))
@example(start=b"", rest=b"")
@example(start=b'{"id":"x"}', rest=b"x")  # something after the document
@example(start=b'{"id":"x"}', rest=b"{}")  # a second document
@example(start=b"[", rest=b"NaN, Infinity]")
@example(start=b'{"id":"', rest=b'\xff"}')  # not UTF-8
@example(start=b'{"id":"', rest=b'\\ud800"}')  # an escaped lone surrogate
@example(start=b'{"id":"', rest=b'\xed\xa0\x80"}')  # an encoded lone surrogate
@example(start=b"{", rest=b'\x00"\x00}\x00')  # UTF-16-LE without its BOM
@example(start=b"[", rest=b"1" * 5000 + b"]")
def test_any_bytes_read_or_fail_as_json_loads_would(start: bytes, rest: bytes) -> None:
    assert_reads_as_json_loads(start + rest)


@pytest.mark.parametrize("depth", [10, 100_000])
def test_deep_nesting_reads_or_fails_as_json_loads_would(depth: int) -> None:
    assert_reads_as_json_loads(b"[" * depth + b"]" * depth)


def test_the_documented_answer_takes_the_short_way(monkeypatch: pytest.MonkeyPatch) -> None:
    body = json.dumps(EVALUATION, separators=(",", ":")).encode()

    def refused(content: bytes) -> Any:
        raise AssertionError("json.loads was called")

    monkeypatch.setattr(_call.json, "loads", refused)
    assert _call.loads(body) == EVALUATION
    assert _call.loads(json.dumps([EVALUATION]).encode()) == [EVALUATION]
    with pytest.raises(AssertionError, match=r"json\.loads was called"):
        _call.loads(b" " + body)  # anything else is json.loads' to read
