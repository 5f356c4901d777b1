"""Step 4 of Rupt's challenge flow for a login: `POST /verify-challenge`, and its success page.

Rupt sends the user back from its challenge page to `GET /verified?evaluation=<id>` (the success
URL of the challenge config); that page posts the evaluation id to `POST /verify-challenge`, which
calls `verify_challenge` on the process-wide `RuptAPI` (consume: single use; challenge completed;
action and identifiers as expected) and only then honours the login.

Request: a JSON object `{"evaluation_id": "...", "email": "...", "user_id": "..."}` (at least one
of `email` and `user_id`: each one given is checked against the evaluation), or the same fields as
form data. JSON is read whatever the Content-Type says, so the guide's `fetch` (text/plain) works
as is. In a real login the expected user comes from your own state (the pending login in the
session), not from the request.

Answers are JSON `{"status": <word>, "error": <text>, ...}`; they never hold the secret, an
exception's text, or the values compared by a mismatch:

    200 verified            the challenge passed; the session is marked (see `_honour_login`)
    400 invalid_request     not a JSON object nor a form, or a field missing or malformed
    403 challenge_required  the challenge is not completed: `redirect` is Rupt's challenge page,
                            where to send the user back (null when Rupt gave none: a block)
    303 (no body)           the same for a browser's form post (a form content type and an Accept
                            that does not prefer JSON): a redirect to the challenge page
    403 mismatch            the evaluation is about another action or identity: blocked
    404 unknown_evaluation  Rupt does not know this evaluation
    409 already_used        consumed before (a replayed success URL): start the action again
    503 unavailable         Rupt unreachable, too slow, 5xx or 429: post the same body again after
                            `Retry-After` seconds (also `retry_after` in the body)
    502 error               anything else (Rupt refused the secret, answered something unexpected)

An unfinished challenge is a 403, not a 409, so that 409 keeps exactly one meaning ("already used,
start again") and a frontend can act on the status code alone; a 403 with a `redirect` means "back
to the challenge", without one "blocked".

CSRF protection stays on (no `csrf_exempt`): this endpoint logs a browser in, so without it another
site could post an evaluation id the attacker passed a challenge for and log the victim's browser
into the attacker's account (login CSRF). The success page gets the `csrftoken` cookie
(`ensure_csrf_cookie`) and sends it back as the `X-CSRFToken` header; an HTML form would include
`{% csrf_token %}`. A client that is not a browser (no cookies) is not affected by CSRF and can be
served by a separate, `csrf_exempt` endpoint that authenticates it some other way.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import math
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from rupt_api import (
    ChallengeAlreadyUsedError,
    ChallengeMismatchError,
    ChallengeNotCompletedError,
    Evaluation,
    RuptApiError,
    RuptError,
    RuptNetworkError,
    RuptTimeoutError,
)

from .rupt_client import get_rupt

ACTION = "login"
VERIFIED_SESSION_KEY = "rupt_verified_login"
RETRY_AFTER_SECONDS = 2  # after a timeout or a network error
MAX_RETRY_AFTER_SECONDS = 60  # a longer Retry-After from Rupt is shortened to this

_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})

logger = logging.getLogger(__name__)


@require_POST
def verify_challenge(request: HttpRequest) -> HttpResponse:
    """`POST /verify-challenge`: see the module's docstring for the request and the answers."""
    try:
        evaluation_id, email, user_id = _read_request(request)
    except _BadRequest as exc:
        return _answer(400, "invalid_request", str(exc))
    key = (evaluation_id, email, user_id)
    try:
        evaluation = _timed_out.resume(key)
        if evaluation is None:
            evaluation = _verify(key)
    except _BadRequest as exc:
        return _answer(400, "invalid_request", str(exc))
    except RuptError as err:
        return _refusal(request, err)
    _honour_login(request, evaluation)
    return JsonResponse({"status": "verified", "action": ACTION, "evaluation_id": evaluation.id})


def _verify(key: _Key) -> Evaluation:
    evaluation_id, email, user_id = key
    rupt = get_rupt()  # the one client of the process, never one per request
    try:
        return rupt.verify_challenge(evaluation_id, action=ACTION, email=email, user_id=user_id)
    except (TypeError, ValueError):
        # Raised before anything is sent: an id Rupt could not have issued ("..", control
        # characters, too long). Everything else the SDK raises is a RuptError.
        raise _BadRequest("evaluation_id is not a valid evaluation id.") from None
    except RuptTimeoutError as err:
        _timed_out.keep(key, err)
        raise


def _honour_login(request: HttpRequest, evaluation: Evaluation) -> None:
    """Honour the action. Here: mark the session; a real app calls `django.contrib.auth.login`."""
    request.session.cycle_key()  # a new session id when privileges change (session fixation)
    request.session[VERIFIED_SESSION_KEY] = {
        "evaluation_id": evaluation.id,
        "user_id": evaluation.user.id if evaluation.user is not None else None,
    }


# -- reading the request ---------------------------------------------------------------------------


class _BadRequest(Exception):
    """The request cannot be verified as sent; the message is safe to show."""


def _read_request(request: HttpRequest) -> tuple[str, str | None, str | None]:
    data: Any
    if request.content_type in _FORM_TYPES:
        data = request.POST.dict()
    else:
        try:
            data = json.loads(request.body)
        except ValueError:  # not JSON, or not UTF-8
            data = None
    if not isinstance(data, dict):
        raise _BadRequest("The body must be a JSON object or form data.")
    evaluation_id = _text(data, "evaluation_id")
    if evaluation_id is None:
        raise _BadRequest("evaluation_id is required.")
    email, user_id = _text(data, "email"), _text(data, "user_id")
    if email is None and user_id is None:
        # verify_challenge checks the identity, as Rupt's guide does: one of them is required.
        raise _BadRequest("email or user_id is required.")
    return evaluation_id, email, user_id


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None or value == "":  # absent, null, or a form field left empty
        return None
    if not isinstance(value, str):
        raise _BadRequest(f"{name} must be a string.")
    return value


# -- answering -------------------------------------------------------------------------------------


def _answer(status: int, word: str, error: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"status": word, "error": error, **extra}, status=status)


def _refusal(request: HttpRequest, err: RuptError) -> HttpResponse:
    """The answer to a verification that did not pass; logs say why, the answer says little."""
    if isinstance(err, ChallengeAlreadyUsedError):
        # With err.earlier_attempt_unknown, this very call may have consumed it on an attempt whose
        # answer was lost. Strictly, that is still "not verified": the user starts again.
        return _answer(409, "already_used", "This challenge was already used. Start again.")
    if isinstance(err, ChallengeNotCompletedError):
        return _back_to_challenge(request, err.redirect)
    if isinstance(err, ChallengeMismatchError):
        logger.warning(
            "Rupt evaluation %s: %s does not match; blocked", err.evaluation.id, err.field
        )
        return _answer(403, "mismatch", "This challenge is not for this sign-in. Start again.")
    if isinstance(err, RuptApiError) and err.status in (400, 404):
        return _answer(404, "unknown_evaluation", "Unknown challenge. Start again.")
    transient = isinstance(err, RuptTimeoutError | RuptNetworkError) or (
        isinstance(err, RuptApiError) and (err.status == 429 or err.status >= 500)
    )
    if transient:
        logger.warning("Rupt unavailable: %s", err)
        return _unavailable(err)
    logger.error("Rupt verification failed: %s", err)
    return _answer(502, "error", "Could not verify the challenge.")


def _back_to_challenge(request: HttpRequest, redirect: str | None) -> HttpResponse:
    parts = urlsplit(redirect or "")
    url = redirect if parts.scheme in ("https", "http") and parts.netloc else None
    if url is not None and _is_browser_form_post(request):
        return HttpResponseSeeOther(url)
    return _answer(403, "challenge_required", "Finish the challenge first.", redirect=url)


def _is_browser_form_post(request: HttpRequest) -> bool:
    if request.content_type not in _FORM_TYPES:
        return False
    return request.get_preferred_type(["text/html", "application/json"]) == "text/html"


def _unavailable(err: RuptError) -> JsonResponse:
    seconds = RETRY_AFTER_SECONDS
    if isinstance(err, RuptApiError) and err.retry_after is not None:
        seconds = min(MAX_RETRY_AFTER_SECONDS, max(1, math.ceil(err.retry_after)))
    response = _answer(
        503, "unavailable", "The sign-in check is unavailable. Try again.", retry_after=seconds
    )
    response["Retry-After"] = str(seconds)
    return response


class HttpResponseSeeOther(HttpResponseRedirect):
    """303: the browser follows it with a GET (a 302 after a POST is ambiguous)."""

    status_code = 303


# -- resuming a call that timed out ----------------------------------------------------------------

_Key = tuple[str, str | None, str | None]  # evaluation_id, email, user_id


class _TimedOut:
    """Verifications that timed out while their consume may still succeed in the background.

    After a timeout the SDK keeps the call running (`err.continuation`), and the consume it sent
    may well succeed. A retry that called Rupt again would then find the evaluation consumed and
    answer 409, so the retry (same evaluation id, email and user id) takes the earlier call's
    outcome instead, whichever it is: the verified evaluation, or the error it ended with, waiting
    for it at most as long as a call may take. Nothing is honoured twice: one request takes an
    entry.

    Per process: a retry that lands on another worker calls Rupt again and gets 409 (start
    again), which is safe. Bounded: at most `limit` entries, each kept at most `ttl` seconds.
    """

    def __init__(self, limit: int = 1000, ttl: float = 120.0) -> None:
        self._limit = limit
        self._ttl = ttl
        self._lock = threading.Lock()
        self._entries: dict[_Key, tuple[float, RuptTimeoutError]] = {}

    def keep(self, key: _Key, err: RuptTimeoutError, since: float | None = None) -> None:
        if not isinstance(err.continuation, concurrent.futures.Future):
            return  # the background work timed out itself: nothing left to wait for
        now = time.monotonic()
        with self._lock:
            for stale in [k for k, (t, _) in self._entries.items() if now - t > self._ttl]:
                del self._entries[stale]
            if len(self._entries) >= self._limit:
                del self._entries[next(iter(self._entries))]  # the oldest
            self._entries[key] = (now if since is None else since, err)

    def resume(self, key: _Key) -> Evaluation | None:
        """The outcome of an earlier timed-out call for `key`; None when there is none."""
        with self._lock:
            entry = self._entries.pop(key, None)
        if entry is None:
            return None
        since, err = entry
        assert isinstance(err.continuation, concurrent.futures.Future)
        try:
            result: Evaluation = err.continuation.result(timeout=err.timeout)
        except TimeoutError:  # still running: keep it for the next retry, answer 503 again
            self.keep(key, err, since)
            raise err.with_traceback(None) from None
        return result


_timed_out = _TimedOut()


# -- the success page ------------------------------------------------------------------------------

_SUCCESS_PAGE = """<!doctype html>
<meta charset="utf-8">
<title>Checking your sign-in</title>
<p id="message">Checking your sign-in...</p>
<script>
  // Step 3 of the guide: carry the evaluation id to the server, which decides (step 4).
  // The expected identity comes from this page's URL here, to keep the example small; a real
  // login keeps it on the server (the pending login in the session).
  const query = new URLSearchParams(location.search);
  const evaluation = query.get("evaluation");
  const csrf = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.slice(10);
  const show = (text) => { document.getElementById("message").textContent = text; };
  function verify() {
    fetch("/verify-challenge", {
      method: "POST",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRFToken": csrf ?? ""},
      body: JSON.stringify({
        evaluation_id: evaluation, email: query.get("email"), user_id: query.get("user_id"),
      }),
    })
      .then((response) => response.json())
      .then((answer) => {
        if (answer.status === "verified") return show("Signed in.");
        if (answer.redirect) return location.assign(answer.redirect);  // back to the challenge
        if (answer.retry_after) return setTimeout(verify, answer.retry_after * 1000);
        show(answer.error ?? "Could not sign you in.");
      })
      .catch(() => show("Could not sign you in."));
  }
  verify();
</script>
"""


@require_GET
@ensure_csrf_cookie
def success_page(request: HttpRequest) -> HttpResponse:
    """`GET /verified?evaluation=<id>&user_id=<id>`: the success URL; posts to `/verify-challenge`.

    Rupt appends `evaluation`; the example's `user_id` / `email` stand in for the login the app
    expects (see the module's docstring).
    """
    return HttpResponse(_SUCCESS_PAGE)
