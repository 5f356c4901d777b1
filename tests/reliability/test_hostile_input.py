"""Hostile input: ids that try to leave their path segment, and metadata that is not JSON.

Every id either goes out percent-encoded as exactly one path segment of the intended endpoint
(checked on the path the stand-in received, and on the id it decoded from it) or is refused with
`ValueError`/`TypeError` before anything is sent. Metadata that JSON cannot carry is a
`TypeError` naming the offending key, and the server sees no request at all.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rupt_api import AsyncRuptAPI, Group, RuptAPI, RuptApiError
from rupt_api.testing import FakeRupt
from tests.operations import OPERATION_CASES

SECRET = "sk_test_hostile"
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Clients:
    """Both surfaces on one in-process FakeRupt; `call` runs a method on both."""

    def __init__(self) -> None:
        self.fake = FakeRupt(secret=SECRET)
        self.loop = asyncio.new_event_loop()
        self.http = httpx.Client(transport=self.fake.transport())
        self.ahttp = httpx.AsyncClient(transport=self.fake.transport())
        self.sync = RuptAPI(SECRET, retries=0, http_client=self.http)
        self.async_ = AsyncRuptAPI(SECRET, retries=0, http_client=self.ahttp)

    def call(self, surface: str, method: str, *args: Any, **kwargs: Any) -> Any:
        if surface == "sync":
            return getattr(self.sync, method)(*args, **kwargs)
        return self.loop.run_until_complete(getattr(self.async_, method)(*args, **kwargs))

    def close(self) -> None:
        self.http.close()
        self.loop.run_until_complete(self.ahttp.aclose())
        self.loop.close()


@pytest.fixture(scope="module")
def clients() -> Iterator[Clients]:
    clients = Clients()
    yield clients
    clients.close()


# What each id-taking method sends: (path template, number of ids, extra kwargs): every
# operation of the registry (tests/operations.py), and verify_challenge.
ENDPOINTS: dict[str, tuple[str, int, dict[str, Any]]] = {
    **{
        case.name: (case.path_template("{}"), len(case.args), case.kwargs)
        for case in OPERATION_CASES
    },
    "verify_challenge": ("/v3/evaluations/{}/consume", 1, {"action": "login", "user_id": "u1"}),
}
UNRESERVED = re.compile(r"(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})+")


def sent_segments(template: str, path: str) -> list[str]:
    """The segments `path` holds where `template` has `{}`; fails if they are not exactly that."""
    pattern = "/".join(
        "([^/]*)" if part == "{}" else re.escape(part) for part in template.split("/")
    )
    match = re.fullmatch(pattern, path)
    assert match is not None, (template, path)
    for segment in match.groups():
        # Only unreserved characters and percent-escapes: no "/", "?", "#", space or raw non-ASCII.
        assert UNRESERVED.fullmatch(segment), path
        assert segment not in (".", ".."), path
    return list(match.groups())


def call(clients: Clients, surface: str, method: str, identifier: Any) -> Any:
    """Call `method` with `identifier` as every id it takes."""
    _, count, kwargs = ENDPOINTS[method]
    return clients.call(surface, method, *[identifier] * count, **kwargs)


def check_one(clients: Clients, surface: str, method: str, identifier: Any) -> str:
    """Make the call; return "refused" or "sent", asserting everything about either outcome."""
    template, _, kwargs = ENDPOINTS[method]
    before = len(clients.fake.requests)
    try:
        outcome: Any = call(clients, surface, method, identifier)
    except (ValueError, TypeError):
        assert len(clients.fake.requests) == before, "a refused call must send nothing"
        return "refused"
    except RuptApiError as err:
        outcome = err
    requests = clients.fake.requests[before:]
    assert len(requests) == 1, requests
    for segment in sent_segments(template, requests[0].path):
        assert unquote(segment, errors="strict") == identifier  # decoded once, it is the id again
    if isinstance(outcome, RuptApiError):
        assert outcome.status == 404, outcome  # nothing stored under a hostile id
    elif method == "update_user":
        assert outcome is None
        assert clients.fake.users.get(identifier) == {"email": kwargs["email"]}
    else:
        assert outcome in (None, []), outcome  # the stand-in's answer for an unknown id
    return "sent"


# -- explicit hostile ids ------------------------------------------------------------------------

SENT = [
    "a/b",
    "../../v3/challenges/x",
    "../consume",
    "./x",
    "...",
    "?x=1",
    "#frag",
    "a?b#c/d",
    "%2e%2e",
    "%2F",
    "%",
    "%zz",
    " ",
    " lead and trail ",
    "\\..\\",
    "é",
    "😀",
    "\u202eevil",  # right-to-left override
    "\u2028\u2029\x85",  # Unicode line separators (not ASCII control characters)
    "\ufeff",
    "a;b=c&d",
    "@:+$,!*'()",
    "é" * 1024,  # at the length limit
]
REFUSED = {
    "empty": "",
    "dot": ".",
    "dot-dot": "..",
    "crlf": "a\r\nX-Injected: 1",
    "lf": "a\nb",
    "cr": "a\rb",
    "nul": "a\x00b",
    "tab": "a\tb",
    "del": "a\x7fb",
    "escape": "\x1b[31m",
    "lone-surrogate": "a\ud800b",
    "1025-chars": "a" * 1025,
    "10-KB": "x" * 10_240,
    "10-KB-of-slashes": "/" * 10_240,
}
NOT_TEXT = {"int": 123, "none": None, "bytes": b"abc", "list": ["a"]}


@pytest.mark.parametrize("surface", ["sync", "async"])
@pytest.mark.parametrize("method", list(ENDPOINTS))
@pytest.mark.parametrize("identifier", SENT, ids=[ascii(s)[:30] for s in SENT])
def test_hostile_ids_go_out_as_one_encoded_segment(
    clients: Clients, surface: str, method: str, identifier: str
) -> None:
    assert check_one(clients, surface, method, identifier) == "sent"


@pytest.mark.parametrize("surface", ["sync", "async"])
@pytest.mark.parametrize("method", list(ENDPOINTS))
@pytest.mark.parametrize("identifier", list(REFUSED.values()), ids=list(REFUSED))
def test_unusable_ids_are_refused_before_sending(
    clients: Clients, surface: str, method: str, identifier: str
) -> None:
    before = len(clients.fake.requests)
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies with the reason
        call(clients, surface, method, identifier)
    assert len(clients.fake.requests) == before


@pytest.mark.parametrize("surface", ["sync", "async"])
@pytest.mark.parametrize("method", list(ENDPOINTS))
@pytest.mark.parametrize("identifier", list(NOT_TEXT.values()), ids=list(NOT_TEXT))
def test_ids_that_are_not_text_are_type_errors(
    clients: Clients, surface: str, method: str, identifier: Any
) -> None:
    before = len(clients.fake.requests)
    with pytest.raises(TypeError, match="must be a str"):
        call(clients, surface, method, identifier)
    assert len(clients.fake.requests) == before


def test_refusals_name_the_argument(clients: Clients) -> None:
    with pytest.raises(ValueError, match="evaluation_id"):
        clients.sync.get_evaluation("a\r\nb")
    with pytest.raises(ValueError, match="challenge_id"):
        clients.sync.get_challenge("..")
    with pytest.raises(ValueError, match="user"):
        clients.sync.update_user("x" * 10_240, email="e")


@pytest.mark.parametrize("surface", ["sync", "async"])
def test_hostile_ids_over_a_real_socket(surface: str) -> None:
    """The same guarantee through the SDK's own pool and the loopback server's request line."""
    fake = FakeRupt(secret=SECRET)
    ids = ["a/b", "../../v3/challenges/x", "?x#y", "é 😀", "%2e%2e", "..."]
    with fake.serve() as base_url:

        async def run_async() -> list[Any]:
            out: list[Any] = []
            async with AsyncRuptAPI(SECRET, domain=base_url, retries=0) as client:
                for identifier in ids:
                    with pytest.raises(RuptApiError) as caught:
                        await client.get_evaluation(identifier)
                    out.append(caught.value.status)
            return out

        if surface == "sync":
            statuses = []
            with RuptAPI(SECRET, domain=base_url, retries=0) as client:
                for identifier in ids:
                    with pytest.raises(RuptApiError) as caught:
                        client.get_evaluation(identifier)
                    statuses.append(caught.value.status)
        else:
            statuses = asyncio.run(run_async())
    assert statuses == [404] * len(ids)
    segments = [sent_segments("/v3/evaluations/{}", r.path) for r in fake.requests]
    assert [unquote(s) for (s,) in segments] == ids


# -- generated ids ---------------------------------------------------------------------------------

PIECES = ["/", ".", "..", "?", "#", "%", "%2F", "%2e", "\r", "\n", "\x00", "é", "😀", " ", "\\"]
IDS = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=40),  # surrogates and controls too
    st.lists(st.sampled_from(PIECES), max_size=8).map("".join),
    st.builds(lambda ch, n: ch * n, st.characters(), st.integers(1000, 1100)),
)


@PROPERTY
@given(identifier=IDS)
def test_generated_ids_reach_exactly_one_segment_or_are_refused(
    clients: Clients, identifier: str
) -> None:
    outcomes = {
        check_one(clients, surface, "get_evaluation", identifier) for surface in ("sync", "async")
    }
    assert len(outcomes) == 1  # both surfaces agree


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(identifier=IDS, method=st.sampled_from(list(ENDPOINTS)))
def test_generated_ids_round_trip_on_every_operation(
    clients: Clients, identifier: str, method: str
) -> None:
    for surface in ("sync", "async"):
        check_one(clients, surface, method, identifier)


# -- metadata that JSON cannot carry ---------------------------------------------------------------


class Opaque:
    pass


def _circular() -> dict[str, Any]:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    return {"loop": loop}


BAD_METADATA = {
    "set": ({"tags": {"a", "b"}}, "tags"),
    "object": ({"thing": Opaque()}, "thing"),
    "nan": ({"score": float("nan")}, "score"),
    "inf": ({"score": float("inf")}, "score"),
    "bytes": ({"raw": b"\x00\x01"}, "raw"),
    "datetime": ({"when": dt.datetime(2021, 9, 1)}, "when"),
    "decimal": ({"price": decimal.Decimal("1.50")}, "price"),
    "nested-set": ({"outer": {"inner": [1, {"deep": {1, 2}}]}}, "outer"),
    "nested-nan": ({"outer": [0.5, [float("-inf")]]}, "outer"),
    "nested-bytes": ({"ok": 1, "outer": {"a": {"b": b"x"}}}, "outer"),
    "tuple-key": ({"outer": {("a", "b"): 1}}, "outer"),
    "circular": (_circular(), "loop"),
    "huge-int": ({"big": 10**5000}, "big"),
    "non-str-key": ({1: "one"}, "1"),
}


@pytest.mark.parametrize("surface", ["sync", "async"])
@pytest.mark.parametrize(("metadata", "key"), list(BAD_METADATA.values()), ids=list(BAD_METADATA))
def test_metadata_that_is_not_json_is_a_type_error_naming_the_key(
    clients: Clients, surface: str, metadata: dict[Any, Any], key: str
) -> None:
    before = len(clients.fake.requests)
    attempts = [
        ("update_user", ("u1",), {"metadata": metadata}, "metadata"),
        (
            "update_user",
            ("u1",),
            {"email": "e", "groups": [{"id": "g", "metadata": metadata}]},
            "groups[0]",
        ),
        ("update_user", ("u1",), {"groups": [Group(id="g", metadata=metadata)]}, "groups[0]"),
        (
            "verify_challenge",
            ("e1",),
            {"action": "login", "email": "e@example.com", "metadata": metadata},
            "metadata",
        ),
    ]
    for method, args, kwargs, where in attempts:
        with pytest.raises(TypeError) as caught:
            clients.call(surface, method, *args, **kwargs)
        message = str(caught.value)
        assert where in message, message
        if where == "metadata":
            assert key in message, message  # the top-level key that holds the bad value
    assert len(clients.fake.requests) == before, "nothing may be sent half-built"


@pytest.mark.parametrize("surface", ["sync", "async"])
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"email": b"u@example.com"}, "email", id="email-bytes"),
        pytest.param({"phone": 15551234567}, "phone", id="phone-int"),
        pytest.param({"metadata": ["a"]}, "metadata", id="metadata-list"),
        pytest.param({"groups": {"id": "g"}}, "groups", id="groups-mapping"),
        pytest.param({"groups": "g"}, "groups", id="groups-str"),
        pytest.param({"groups": [{"id": "g", "name": {1}}]}, r"groups\[0\]\['name'\]", id="name"),
        pytest.param({"groups": ["g"]}, r"groups\[0\]", id="group-str"),
        pytest.param({"email": "e", "groups": [{"id": "g"}, 5]}, r"groups\[1\]", id="second"),
    ],
)
def test_other_bad_update_fields_are_type_errors_before_sending(
    clients: Clients, surface: str, kwargs: dict[str, Any], match: str
) -> None:
    before = len(clients.fake.requests)
    with pytest.raises(TypeError, match=match):
        clients.call(surface, "update_user", "u1", **kwargs)
    assert len(clients.fake.requests) == before


BAD_LEAVES = st.sampled_from(
    [
        {1, 2},
        Opaque(),
        float("nan"),
        float("inf"),
        b"bytes",
        dt.date(2021, 9, 1),
        decimal.Decimal(1),
    ]
)
GOOD_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def poisoned(draw: st.DrawFn, value: Any) -> Any:
    """`value` (JSON) with one bad leaf hidden somewhere inside it."""
    if isinstance(value, list) and value and draw(st.booleans()):
        index = draw(st.integers(0, len(value) - 1))
        return [*value[:index], draw(poisoned(value[index])), *value[index + 1 :]]
    if isinstance(value, dict) and value and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(value)))
        return {**value, key: draw(poisoned(value[key]))}
    bad = draw(BAD_LEAVES)
    if isinstance(value, list):
        return [*value, bad]
    if isinstance(value, dict):
        return {**value, draw(st.text(max_size=5)): bad}
    return bad


@st.composite
def bad_metadata(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    good = draw(st.dictionaries(st.text(max_size=8), GOOD_JSON, max_size=4))
    key = draw(st.text(max_size=8))
    return {**good, key: draw(poisoned(draw(GOOD_JSON)))}, key


@PROPERTY
@given(case=bad_metadata())
def test_generated_bad_metadata_is_a_type_error_naming_its_key(
    clients: Clients, case: tuple[dict[str, Any], str]
) -> None:
    metadata, key = case
    before = len(clients.fake.requests)
    for surface in ("sync", "async"):
        with pytest.raises(TypeError) as caught:
            clients.call(surface, "update_user", "u1", metadata=metadata)
        assert f"metadata[{key!r}]" in str(caught.value)
    assert len(clients.fake.requests) == before
