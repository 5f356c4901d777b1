"""Reading a response body: decoded as it arrives, bounded in size.

httpx decodes a compressed body one network chunk at a time, with no limit on what a chunk
becomes: 2 KB of gzip can become 1 GiB before any size check runs. The SDK therefore reads the
raw bytes (`iter_raw`) and decodes them here in pieces of at most `PIECE` bytes; each piece
goes through `Call.check_chunk`, which counts decoded bytes against the 4 MiB limit. Wire bytes
are counted against the same limit. (The deadline bounds the reads themselves: see
`_deadline_backend.py`; and each raw chunk is checked against the call's backstop, so that an
answer trickled a byte at a time, each read returning in time, still ends there on every
transport.)

Only codings that can be decoded in bounded pieces are accepted, and only those are advertised
in `Accept-Encoding`: gzip and deflate always (zlib), `br` when `brotli` (>= 1.2) or `brotlicffi`
(>= 1.2) is installed, `zstd` when `compression.zstd` (Python 3.14) or `backports.zstd` is. The
`zstandard` package that httpx uses cannot bound its output, so it is not used. A stacked
coding (`gzip, gzip`: a bomb inside a bomb) or one not advertised is refused unread.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ._call import MAX_BODY_BYTES
from ._exceptions import RuptResponseError

if TYPE_CHECKING:
    import httpx

    from ._call import Answer, Call

# The most one decoding step may produce; also what the size check sees at a time.
PIECE = 64 * 1024
# zstd frames may ask for a window of up to 2 GiB; HTTP's zstd coding (RFC 9659) caps it at 8 MiB.
ZSTD_WINDOW_LOG_MAX = 23


class _Undecodable(Exception):
    """The body is not valid for its coding (truncated, corrupt, trailing data)."""


class _Identity:
    def decode(self, data: bytes) -> Iterator[bytes]:
        for start in range(0, len(data), PIECE):
            yield data[start : start + PIECE]

    def finish(self) -> None:
        pass


class _Zlib:
    """gzip (`wbits` 31) or deflate: zlib-wrapped as the RFC says, or raw as some servers send."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._decompressor: Any = zlib.decompressobj(31) if gzip else None
        self._head = b""

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._decompressor is None:
            # deflate: a zlib header is two bytes whose big-endian value is a multiple of 31.
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, b""
            wrapped = data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._decompressor = zlib.decompressobj(15 if wrapped else -15)
        decompressor = self._decompressor
        while True:
            if decompressor.eof:
                if data or decompressor.unused_data:
                    raise _Undecodable("data after the end of the compressed stream")
                return
            try:
                out = decompressor.decompress(data, PIECE)
            except zlib.error as exc:
                raise _Undecodable(str(exc)) from exc
            if out:
                yield out
            data = decompressor.unconsumed_tail
            if not data and len(out) < PIECE and not decompressor.eof:
                return

    def finish(self) -> None:
        if self._decompressor is None and not self._head:
            return  # no body at all
        if self._decompressor is None or not self._decompressor.eof:
            raise _Undecodable("the compressed body ends early")


class _Brotli:
    def __init__(self, module: Any) -> None:
        self._module = module
        self._decompressor = module.Decompressor()
        self._seen = False

    def decode(self, data: bytes) -> Iterator[bytes]:
        self._seen = True
        decompressor = self._decompressor
        try:
            yield decompressor.process(data, output_buffer_limit=PIECE)
            while not decompressor.can_accept_more_data():
                yield decompressor.process(b"", output_buffer_limit=PIECE)
        except self._module.error as exc:
            raise _Undecodable(str(exc) or "invalid brotli data") from exc

    def finish(self) -> None:
        if self._seen and not self._decompressor.is_finished():
            raise _Undecodable("the compressed body ends early")


class _Zstd:
    def __init__(self, module: Any) -> None:
        self._module = module
        self._decompressor = self._new()
        self._seen = False

    def _new(self) -> Any:
        option = self._module.DecompressionParameter.window_log_max
        return self._module.ZstdDecompressor(options={option: ZSTD_WINDOW_LOG_MAX})

    def decode(self, data: bytes) -> Iterator[bytes]:
        self._seen = True
        try:
            while True:
                if self._decompressor.eof:
                    # Another frame follows (RFC 8878 allows several): decode it too, bounded.
                    self._decompressor = self._new()
                decompressor = self._decompressor
                yield decompressor.decompress(data, PIECE)
                data = b""
                while not decompressor.eof and not decompressor.needs_input:
                    yield decompressor.decompress(b"", PIECE)
                if not (decompressor.eof and decompressor.unused_data):
                    return
                data = decompressor.unused_data
        except self._module.ZstdError as exc:
            raise _Undecodable(str(exc)) from exc

    def finish(self) -> None:
        if self._seen and not self._decompressor.eof:
            raise _Undecodable("the compressed body ends early")


def _brotli_module() -> Any:
    for name in ("brotli", "brotlicffi"):
        try:
            module = __import__(name)
        except ImportError:
            continue
        # Before 1.2 neither could bound one step's output: not safe, so not used.
        if hasattr(module.Decompressor, "can_accept_more_data"):
            return module
    return None


def _zstd_module() -> Any:
    for name in ("compression.zstd", "backports.zstd"):
        try:
            return __import__(name, fromlist=["ZstdDecompressor"])
        except ImportError:
            continue
    return None


@functools.cache
def decoders() -> dict[str, Callable[[], Any]]:
    """The codings this process can decode in bounded pieces, by name."""
    found: dict[str, Callable[[], Any]] = {
        "gzip": lambda: _Zlib(gzip=True),
        "deflate": lambda: _Zlib(gzip=False),
    }
    brotli = _brotli_module()
    if brotli is not None:
        found["br"] = lambda: _Brotli(brotli)
    zstd = _zstd_module()
    if zstd is not None:
        found["zstd"] = lambda: _Zstd(zstd)
    return found


@functools.cache
def accept_encoding() -> str:
    """The `Accept-Encoding` every request sends: exactly what `decoders()` can read."""
    return ", ".join(decoders())


class BodyReader:
    """Decodes one response's body, raw chunk by raw chunk, within the size limit.

    `content_encoding`: the answer's `Content-Encoding` header values, when the caller has them
    at hand (aiohttp parsed them already); otherwise they are read from `response.headers`.
    """

    def __init__(
        self, call: Call, response: Answer, content_encoding: list[str] | None = None
    ) -> None:
        self._call = call
        self._response = response
        self._content_encoding = content_encoding
        self._decoder: Any = None
        self._coding = "identity"
        self._wire = 0
        self._pieces: list[bytes] = []

    def feed(self, raw: bytes) -> None:
        if not raw:
            return
        self._call.check_backstop()
        if self._decoder is None:
            self._decoder = self._choose(raw)
        self._wire += len(raw)
        if self._wire > MAX_BODY_BYTES:
            raise self._refused(f"is larger than {MAX_BODY_BYTES} bytes on the wire", raw)
        try:
            for piece in self._decoder.decode(raw):
                self._call.check_chunk(self._response, piece)
                self._pieces.append(piece)
        except _Undecodable as exc:
            raise self._undecodable(exc, raw) from exc

    def already_read(self, content: bytes) -> bytes:
        """The body of a response httpx read (and decoded) before the SDK saw it.

        Only in-memory answers get here (an `httpx.MockTransport`, or an event hook of an
        injected client that calls `response.read()`): the size limit still applies.
        """
        self._decoder = _Identity()
        self.feed(content)
        return self.content()

    def content(self) -> bytes:
        """The whole decoded body, once the raw stream has ended."""
        if self._decoder is not None:
            try:
                self._decoder.finish()
            except _Undecodable as exc:
                raise self._undecodable(exc, b"") from exc
        return b"".join(self._pieces)

    def _choose(self, raw: bytes) -> Any:
        # Checked once there is a body: an empty 204 is never refused for its headers.
        values = self._content_encoding
        if values is None:
            values = self._response.headers.get_list("content-encoding")
        header = [coding for value in values for coding in value.split(",")]
        codings = [c.strip().lower() for c in header if c.strip().lower() not in {"", "identity"}]
        if not codings:
            return _Identity()
        codings = ["gzip" if c == "x-gzip" else c for c in codings]
        if len(codings) > 1:
            raise self._refused(
                f"has stacked content codings ({', '.join(codings)}); only one is accepted", raw
            )
        self._coding = codings[0]
        make = decoders().get(self._coding)
        if make is None:
            raise self._refused(
                f"has a content coding the SDK did not ask for ({self._coding[:40]!r};"
                f" accepted: {accept_encoding()})",
                raw,
            )
        return make()

    def _refused(self, why: str, raw: bytes) -> RuptResponseError:
        call, status = self._call, self._response.status_code
        return RuptResponseError(
            f"Rupt's {status} answer to {call.operation.name} {why}; refused"
            " (body holds the first bytes read)",
            status=status,
            body=raw[:1024],
            attempts=call.attempts,
        )

    def _undecodable(self, exc: _Undecodable, raw: bytes) -> RuptResponseError:
        return self._refused(f"is not valid {self._coding} ({str(exc)[:120]})", raw)


def read_body(call: Call, response: httpx.Response) -> bytes:
    """Read and decode a streamed response's body (see the module docstring)."""
    reader = BodyReader(call, response)
    if response.is_stream_consumed:
        return reader.already_read(response.content)
    for raw in response.iter_raw():
        reader.feed(raw)
    return reader.content()


async def aread_body(call: Call, response: httpx.Response) -> bytes:
    """`read_body` for an async response."""
    reader = BodyReader(call, response)
    if response.is_stream_consumed:
        return reader.already_read(response.content)
    async for raw in response.aiter_raw():
        reader.feed(raw)
    return reader.content()
