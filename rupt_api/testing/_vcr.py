"""vcrpy settings for cassettes of calls to Rupt: no secret written, replays on any port."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

# Where recorded calls to a loopback stand-in appear to have gone. `.invalid` never resolves, so
# a request that misses its cassette cannot reach anything real.
STAND_IN_ORIGIN = "http://rupt-stand-in.invalid"

# The origin of a server on this machine: FakeRupt.serve() and `python -m rupt_api.testing`.
_LOOPBACK_ORIGIN = re.compile(
    r"^https?://(?:127(?:\.\d{1,3}){3}|localhost|\[::1\])(?::\d+)?(?=/|\?|$)", re.IGNORECASE
)
# Response headers that differ at every recording and mean nothing on replay.
_VOLATILE = frozenset({"date", "server"})


def vcr_config(
    *,
    secrets: Mapping[str, str] | Iterable[str] = (),
    authorization: str | None = None,
    origin: str = STAND_IN_ORIGIN,
) -> dict[str, Any]:
    """Settings for vcrpy, for cassettes of calls to Rupt (or to its stand-in).

    Pass them to `vcr.VCR(**vcr_config())`, or return them from pytest-recording's `vcr_config`
    fixture. What they do:

    - The `Authorization` header is not written (`authorization` instead records it with that
      value, such as `"Bearer [scrubbed]"`), so the project secret never reaches a cassette.
    - A request to a stand-in on this machine (`http://127.0.0.1:<port>`, `localhost`, `[::1]`:
      `FakeRupt.serve()`, the `rupt_server` fixture, `python -m rupt_api.testing`) is recorded,
      and matched on replay, as a request to `origin`. The stand-in picks a new port each run;
      the cassette replays whatever the port, and without the stand-in running at all. Requests
      to any other host (Rupt's own API included) are left as they are.
    - Each of `secrets` (a mapping gives each its placeholder; otherwise `[secret]`) is replaced
      in URLs, headers and bodies, of requests and responses: for secrets that travel elsewhere
      than in `Authorization`.
    - The response headers `Date` and `Server` are dropped, so a re-recording changes less.

    Matching is vcrpy's default (method, scheme, host, port, path, query); add `match_on` to
    the returned dict to change it.
    """
    placeholders = (
        dict(secrets) if isinstance(secrets, Mapping) else dict.fromkeys(secrets, "[secret]")
    )
    scrub = _scrubber(placeholders)
    stand_in_host = origin.partition("://")[2]

    def before_record_request(request: Any) -> Any:
        request.uri = scrub(request.uri)
        if _LOOPBACK_ORIGIN.match(request.uri):
            request.uri = _LOOPBACK_ORIGIN.sub(origin, request.uri, count=1)
            if "host" in request.headers:
                request.headers["host"] = stand_in_host
        # No body is an empty one, whichever client sent it (vcrpy's aiohttp stub says None).
        request.body = _scrub_body(request.body or b"", scrub, placeholders)
        for name, value in list(request.headers.items()):
            request.headers[name] = scrub(value)
        return request

    def before_record_response(response: dict[str, Any]) -> dict[str, Any]:
        response["headers"] = {
            name: [scrub(value) for value in values]
            for name, values in response["headers"].items()
            if name.lower() not in _VOLATILE
        }
        body = response.get("body", {})
        if "string" in body:
            body["string"] = _scrub_body(body["string"], scrub, placeholders)
        return response

    return {
        "filter_headers": [("authorization", authorization)],
        "before_record_request": before_record_request,
        "before_record_response": before_record_response,
    }


def _scrubber(placeholders: Mapping[str, str]) -> Callable[[str], str]:
    def scrub(text: str) -> str:
        for secret, placeholder in placeholders.items():
            text = text.replace(secret, placeholder)
        return text

    return scrub


def _scrub_body(body: Any, scrub: Callable[[str], str], placeholders: Mapping[str, str]) -> Any:
    if isinstance(body, bytes):
        for secret, placeholder in placeholders.items():
            body = body.replace(secret.encode(), placeholder.encode())
        return body
    return scrub(body) if isinstance(body, str) else body
