"""Keeping the project secret out of messages and tracebacks.

The SDK never puts the secret in a message of its own, but a server (or a gateway in front of it)
can echo the `Authorization` header back: in an error body, or in a malformed status or header
line that h11, httpcore and httpx then quote in their exception messages. Those exceptions are
chained to the `RuptError` the caller gets (`__cause__`, `__context__`), so a traceback or
`logger.exception()` would print them. `scrub` redacts them in place: each keeps its type and
its message, with the secret replaced by `[redacted]`.

Redaction replaces `Bearer <secret>` and the secret as a whole token, never inside a word: a
short secret (`"s"` in a test) must not turn `Name or service not known` into nonsense. A long
secret (one that cannot occur inside ordinary words) is replaced wherever it appears.
"""

from __future__ import annotations

import contextlib
import functools
import re
from typing import Any

REDACTED = "[redacted]"
# At this length the secret cannot occur by chance inside an ordinary word.
_ALWAYS = 16
# Characters that continue a token: the secret next to one of them is part of a longer word.
_WORD = r"[A-Za-z0-9_\-]"
# Attributes some built-in exceptions format into their message besides `args`.
_TEXT_ATTRIBUTES = ("strerror", "filename", "filename2", "reason", "msg", "object")


@functools.lru_cache(maxsize=8)
def _forms(secret: str) -> tuple[str, ...]:
    # The secret as written, and as it looks inside the repr of bytes (h11 quotes raw lines so).
    forms = {secret, repr(secret.encode("utf-8", "backslashreplace"))[2:-1]}
    return tuple(sorted(forms, key=len, reverse=True))


@functools.lru_cache(maxsize=8)
def _pattern(secret: str) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(form) for form in _forms(secret))
    if len(secret) >= _ALWAYS:
        token = f"(?:{alternatives})"
    else:
        # Not inside a word, nor a contraction ("Rupt's" with a secret "s").
        token = f"(?<!{_WORD})(?<![A-Za-z]')(?:{alternatives})(?!{_WORD})(?!'[A-Za-z])"
    return re.compile(rf"(?:(?i:bearer)\s+)?{token}")


def _replacement(match: re.Match[str]) -> str:
    return "Bearer " + REDACTED if match.group(0)[:6].lower() == "bearer" else REDACTED


def redact(text: str, secret: str) -> str:
    """`text` with `Bearer <secret>` and the secret (as a whole token) replaced."""
    if not secret or not any(form in text for form in _forms(secret)):
        return text
    return _pattern(secret).sub(_replacement, text)


def _clean(value: Any, secret: str) -> Any:
    if isinstance(value, str):
        return redact(value, secret)
    if not isinstance(value, bytes | bytearray):
        # An object in `args` (aiohttp puts the request, headers included, in its errors):
        # replaced by its redacted text when its text would show the secret.
        try:
            texts = (str(value), repr(value))
        except Exception:
            return value
        if any(redact(text, secret) != text for text in texts):
            return redact(texts[0], secret)
        return value
    text = bytes(value).decode("latin-1")
    cleaned = redact(text, secret)
    return value if cleaned == text else type(value)(cleaned.encode("latin-1", "replace"))


def _leaks(exc: BaseException, secret: str) -> bool:
    try:
        text = str(exc)
    except Exception:
        return False
    return redact(text, secret) != text


class _Redacted:
    """Mixed into a copy of an exception's class whose `__str__` is its own (see `scrub`)."""

    def __str__(self) -> str:
        text: str = self.__dict__.get("_rupt_redacted_message", REDACTED)
        return text


# One copy per class that needed it (a handful at most), made on first use.
_redacting_classes: dict[type[BaseException], type[BaseException]] = {}


def _redacting_class(cls: type[BaseException]) -> type[BaseException]:
    made = _redacting_classes.get(cls)
    if made is None:
        attributes = {"__module__": cls.__module__, "__qualname__": cls.__qualname__}
        made = _redacting_classes[cls] = type(cls.__name__, (_Redacted, cls), attributes)
    return made


def _scrub_one(exc: BaseException, secret: str) -> None:
    with contextlib.suppress(AttributeError, TypeError):
        exc.args = tuple(_clean(arg, secret) for arg in exc.args)
    for name in _TEXT_ATTRIBUTES:
        value = getattr(exc, name, None)
        if isinstance(value, str | bytes | bytearray):
            with contextlib.suppress(AttributeError, TypeError, ValueError):
                setattr(exc, name, _clean(value, secret))
    notes = getattr(exc, "__notes__", None)
    if isinstance(notes, list):
        notes[:] = [_clean(note, secret) for note in notes]
    if _leaks(exc, secret):
        # A class that formats its message itself (from other attributes): give this instance a
        # copy of its class whose message is the redacted text. isinstance() checks still hold.
        text = redact(str(exc), secret)
        try:
            exc.__class__ = _redacting_class(type(exc))
            exc.__dict__["_rupt_redacted_message"] = text
        except TypeError:  # a built-in class: its message comes from `args`, set above
            exc.args = (text,)


def scrub(error: BaseException, secret: str) -> None:
    """Redact the secret from `error` and every exception chained to it, in place.

    Follows `__cause__`, `__context__` and the members of exception groups, once each.
    """
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        exc = pending.pop()
        if id(exc) in seen:
            continue
        seen.add(id(exc))
        _scrub_one(exc, secret)
        pending.extend(e for e in (exc.__cause__, exc.__context__) if e is not None)
        if isinstance(exc, BaseExceptionGroup):
            pending.extend(exc.exceptions)
