"""Compression bombs: small bodies that decode to 1 GiB of zeros, built in milliseconds.

- gzip and deflate: one raw deflate block of 1 MiB of zeros ends in a full flush, which resets
  the compressor, so every later 1 MiB compresses to the very same bytes: the bomb is that block
  repeated (~1 MB for 1 GiB). The trailers' checksums are left zero: nothing that reads 4 MiB
  and stops ever gets to them.
- gzip in gzip: the gzip bomb, gzipped again (~2 KB), sent as `Content-Encoding: gzip, gzip`.
- br: brotli at quality 1 (~200 KB); zstd: the `backports.zstd` compressor (~32 KB). None when
  the module is not installed.
"""

from __future__ import annotations

import functools
import struct
import zlib
from typing import Any

GIB = 1 << 30
_MIB = 1 << 20
_ZEROS = b"\0" * _MIB


def _raw_deflate(size: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    compressor.compress(_ZEROS)
    compressor.flush(zlib.Z_FULL_FLUSH)  # the first block differs; the next ones repeat
    block = compressor.compress(_ZEROS) + compressor.flush(zlib.Z_FULL_FLUSH)
    return block * (size // _MIB) + compressor.flush(zlib.Z_FINISH)


@functools.cache
def gzip_bomb(size: int = GIB) -> bytes:
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    return header + _raw_deflate(size) + struct.pack("<II", 0, size & 0xFFFFFFFF)


@functools.cache
def deflate_bomb(size: int = GIB) -> bytes:
    return b"\x78\xda" + _raw_deflate(size) + b"\0\0\0\0"


@functools.cache
def gzip_in_gzip_bomb(size: int = GIB) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    return compressor.compress(gzip_bomb(size)) + compressor.flush()


def _module(name: str) -> Any:
    try:
        return __import__(name, fromlist=["_"])
    except ImportError:
        return None


brotli = _module("brotli")
zstd = _module("backports.zstd")


@functools.cache
def br_bomb(size: int = GIB) -> bytes | None:
    if brotli is None:
        return None
    compressor = brotli.Compressor(quality=1)
    parts = [compressor.process(_ZEROS * 16) for _ in range(size // (16 * _MIB))]
    return b"".join(parts) + compressor.finish()


@functools.cache
def zstd_bomb(size: int = GIB) -> bytes | None:
    if zstd is None:
        return None
    compressor = zstd.ZstdCompressor(level=1)
    parts = [compressor.compress(_ZEROS * 16) for _ in range(size // (16 * _MIB))]
    return b"".join(parts) + compressor.flush()


# Content-Encoding -> builder, for every coding the SDK decodes (and the stacked one it refuses).
BOMBS = {
    "gzip": gzip_bomb,
    "deflate": deflate_bomb,
    "gzip, gzip": gzip_in_gzip_bomb,
    "br": br_bomb,
    "zstd": zstd_bomb,
}
