"""Compressed answers: decoded as they arrive, within the 4 MiB limit and the deadline.

Answers here are streamed (not read ahead by httpx), so they go through the SDK's own bounded
decoder (`rupt_api/_decoding.py`) exactly as an answer from the network does.
"""

from __future__ import annotations

import asyncio
import json
import time
import zlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from rupt_api import RuptResponseError, RuptTimeoutError
from rupt_api._call import MAX_BODY_BYTES, Call
from rupt_api._decoding import PIECE, BodyReader, accept_encoding, decoders
from tests.payloads import DOC_ID, EVALUATION
from tests.reliability._bombs import BOMBS, brotli, zstd

from .conftest import Surface

BODY = json.dumps(EVALUATION).encode()


def _gzip(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    return compressor.compress(data) + compressor.flush()


def _deflate(data: bytes, wbits: int) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return compressor.compress(data) + compressor.flush()


def _br(data: bytes) -> bytes:
    return brotli.compress(data)


def _zstd(data: bytes) -> bytes:
    return zstd.compress(data)


needs_br = pytest.mark.skipif(brotli is None, reason="brotli is not installed")
needs_zstd = pytest.mark.skipif(zstd is None, reason="backports.zstd is not installed")


def streamed(body: bytes, encoding: str | None, status: int = 200, chunk: int = 4096) -> Any:
    """A handler answering `body` with `Content-Encoding: encoding`, streamed in chunks."""
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        headers = {"Content-Type": "application/json"}
        if encoding is not None:
            headers["Content-Encoding"] = encoding
        chunks = [body[i : i + chunk] for i in range(0, len(body), chunk)]
        return httpx.Response(status, headers=headers, stream=_Chunks(chunks))

    handler.requests = requests  # type: ignore[attr-defined]
    return handler


class _Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    # Iterators, not generators: a body the client stops reading early (a bomb refused) must
    # leave no suspended async generator behind for the loop to finalize (Python 3.13 reports
    # it as "Task was destroyed but it is pending").
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.sent = 0  # how many chunks the client pulled

    def __iter__(self) -> Any:
        return self

    def __next__(self) -> bytes:
        if self.sent >= len(self.chunks):
            raise StopIteration
        self.sent += 1
        return self.chunks[self.sent - 1]

    def __aiter__(self) -> Any:
        return self

    async def __anext__(self) -> bytes:
        if self.sent >= len(self.chunks):
            raise StopAsyncIteration
        self.sent += 1
        return self.chunks[self.sent - 1]


def test_accept_encoding_names_exactly_what_can_be_decoded(surface: Surface) -> None:
    handler = streamed(BODY, None)
    surface.call(surface.client(handler), "get_evaluation", DOC_ID)
    sent = handler.requests[0].headers["accept-encoding"]
    assert sent == accept_encoding() == ", ".join(decoders())
    expected = ["gzip", "deflate"] + ["br"] * (brotli is not None) + ["zstd"] * (zstd is not None)
    assert sent.split(", ") == expected


CODINGS: list[Any] = [
    pytest.param("gzip", _gzip, id="gzip"),
    pytest.param("x-gzip", _gzip, id="x-gzip"),
    pytest.param(" GZip ", _gzip, id="gzip-case-and-spaces"),
    pytest.param("deflate", lambda d: _deflate(d, 15), id="deflate-zlib"),
    pytest.param("deflate", lambda d: _deflate(d, -15), id="deflate-raw"),
    pytest.param("identity", lambda d: d, id="identity"),
    pytest.param("identity, gzip", _gzip, id="identity-then-gzip"),
    pytest.param("br", _br, id="br", marks=needs_br),
    pytest.param("zstd", _zstd, id="zstd", marks=needs_zstd),
    pytest.param(
        "zstd", lambda d: _zstd(d[:100]) + _zstd(d[100:]), id="zstd-frames", marks=needs_zstd
    ),
]


@pytest.mark.parametrize("chunk", [1, 4096])
@pytest.mark.parametrize(("encoding", "encode"), CODINGS)
def test_each_coding_decodes(
    surface: Surface, encoding: str, encode: Callable[[bytes], bytes], chunk: int
) -> None:
    handler = streamed(encode(BODY), encoding, chunk=chunk)
    evaluation = surface.call(surface.client(handler), "get_evaluation", DOC_ID)
    assert evaluation.id == DOC_ID
    assert evaluation.to_dict()["verdict"] == EVALUATION["verdict"]


BOMB_CASES = [
    pytest.param(
        encoding,
        marks=[needs_br] if encoding == "br" else [needs_zstd] if encoding == "zstd" else [],
        id=encoding.replace(", ", "-in-"),
    )
    for encoding in BOMBS
]


@pytest.mark.parametrize("encoding", BOMB_CASES)
def test_a_bomb_is_refused_once_the_limit_is_decoded(surface: Surface, encoding: str) -> None:
    bomb = BOMBS[encoding]()
    assert bomb is not None
    handler = streamed(bomb, encoding, chunk=64 * 1024)
    started = time.monotonic()
    with pytest.raises(RuptResponseError) as info:
        surface.call(surface.client(handler, timeout=5), "get_evaluation", DOC_ID)
    assert time.monotonic() - started < 2.5  # decoding 1 GiB would take several seconds
    error = info.value
    assert error.status == 200
    assert len(error.body) <= 1024
    assert len(handler.requests) == 1  # not retried
    if encoding == "gzip, gzip":
        assert "stacked content codings (gzip, gzip)" in str(error)
    else:
        assert f"larger than {MAX_BODY_BYTES} bytes" in str(error)


@pytest.mark.parametrize(
    ("encoding", "body", "says"),
    [
        ("gzip, gzip", _gzip(_gzip(BODY)), "stacked content codings (gzip, gzip)"),
        ("gzip, br", _gzip(BODY), "stacked content codings"),
        ("compress", BODY, "content coding the SDK did not ask for ('compress'"),
        ("zz-custom", BODY, "did not ask for"),
        ("gzip", BODY, "is not valid gzip"),
        ("gzip", _gzip(BODY)[:-12], "is not valid gzip (the compressed body ends early)"),
        ("gzip", _gzip(BODY) + b"trailing", "data after the end of the compressed stream"),
        ("deflate", b"\x78\x9c\xff\xff\xff", "is not valid deflate"),
    ],
)
def test_bad_or_unasked_codings_are_refused(
    surface: Surface, encoding: str, body: bytes, says: str
) -> None:
    handler = streamed(body, encoding)
    with pytest.raises(RuptResponseError) as info:
        surface.call(surface.client(handler), "get_evaluation", DOC_ID)
    assert says in str(info.value)
    assert len(handler.requests) == 1


@needs_br
def test_corrupt_brotli_is_refused(surface: Surface) -> None:
    handler = streamed(_br(BODY)[:-3] + b"\xff\xff\xff", "br")
    with pytest.raises(RuptResponseError, match="is not valid br"):
        surface.call(surface.client(handler), "get_evaluation", DOC_ID)


@needs_zstd
def test_a_zstd_window_over_8_mib_is_refused(surface: Surface) -> None:
    params = {zstd.CompressionParameter.window_log: 27}
    body = zstd.compress(BODY + b" " * (200 << 20), options=params)
    handler = streamed(body, "zstd", chunk=64 * 1024)
    with pytest.raises(RuptResponseError, match="is not valid zstd"):
        surface.call(surface.client(handler), "get_evaluation", DOC_ID)


def test_wire_bytes_count_against_the_limit_too(surface: Surface) -> None:
    # Empty stored deflate blocks: 5 bytes each on the wire, nothing decoded.
    empty_blocks = b"\x00\x00\x00\xff\xff" * (MAX_BODY_BYTES // 5 + 1000)
    handler = streamed(empty_blocks, "deflate", chunk=64 * 1024)
    with pytest.raises(RuptResponseError, match="on the wire"):
        surface.call(surface.client(handler), "get_evaluation", DOC_ID)


def test_an_empty_answer_is_not_refused_for_its_coding(surface: Surface) -> None:
    handler = streamed(b"", "gzip, gzip", status=204)
    assert surface.call(surface.client(handler), "update_user", "u1", email="a@b.c") is None


def test_every_piece_of_one_chunk_is_size_checked() -> None:
    """One raw chunk that decodes to many pieces: every piece passes the size check.

    (Not the deadline: the body is read by then, and a cut-off answer is finished by the
    continuation, never sent again; tests/facade/test_continuations.py.)
    """
    from rupt_api import _operations as ops
    from rupt_api._config import Options

    options = Options.create("sk_test", domain=None, timeout=5, retries=0, max_retry_delay=0)
    call = Call(options, ops.GET_EVALUATION, ops.GET_EVALUATION.request(DOC_ID))
    checked: list[int] = []
    check = call.check_chunk

    class Spy(Call):
        __slots__ = ()

        def check_chunk(self, response: httpx.Response, chunk: bytes) -> None:
            checked.append(len(chunk))
            check(response, chunk)

    call.__class__ = Spy
    response = httpx.Response(200, headers={"Content-Encoding": "gzip"})
    reader = BodyReader(call, response)
    reader.feed(_gzip(b"\0" * (2 << 20)))  # ~2 KB that decode to 2 MiB
    assert len(checked) >= (2 << 20) // PIECE
    assert max(checked) <= PIECE


def test_a_decoding_past_the_deadline_is_a_timeout(surface: Surface) -> None:
    def answer() -> httpx.Response:
        return httpx.Response(
            200, headers={"Content-Encoding": "gzip"}, stream=_Chunks([_gzip(BODY)])
        )

    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(0.3)  # past the deadline before the first byte is decoded
        return answer()

    async def slow_async(request: httpx.Request) -> httpx.Response:
        # (A handler that blocks the event loop would hold up the caller's own wait too.)
        await asyncio.sleep(0.3)
        return answer()

    handler: Any = slow_async if surface.is_async else slow
    with pytest.raises(RuptTimeoutError):
        surface.call(surface.client(handler, timeout=0.1, retries=0), "get_evaluation", DOC_ID)
