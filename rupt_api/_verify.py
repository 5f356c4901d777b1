"""`verify_challenge`: step 4 of Rupt's challenge flow, shared by both clients.

The server-side check every integration writes by hand: consume the evaluation (single use), require
a completed challenge, and compare the action and identifiers with what the app expected. The
client methods do the consume; everything else is here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ._exceptions import RuptApiError, RuptError
from ._operations import check_metadata, check_text

if TYPE_CHECKING:
    import concurrent.futures

    from ._generated.models import Evaluation

__all__ = [
    "ChallengeAlreadyUsedError",
    "ChallengeMismatchError",
    "ChallengeNotCompletedError",
    "Expected",
    "RuptVerificationError",
]


class RuptVerificationError(RuptError):
    """`verify_challenge` refused the evaluation: do not honour the action.

    `evaluation` is the consumed evaluation when Rupt returned one (None when the consume itself
    was refused). The subclass says why.
    """

    def __init__(self, message: str, *, evaluation: Evaluation | None, attempts: int = 0) -> None:
        super().__init__(message, attempts=attempts)
        self.evaluation = evaluation


class ChallengeAlreadyUsedError(RuptVerificationError):
    """The evaluation was consumed before (Rupt answered 409): a replayed success URL.

    `earlier_attempt_unknown` is True when this very call may have consumed it on an attempt
    whose answer was lost (see the README); the `RuptApiError` is chained as `__cause__`.
    """

    def __init__(self, message: str, *, attempts: int, earlier_attempt_unknown: bool) -> None:
        super().__init__(message, evaluation=None, attempts=attempts)
        self.earlier_attempt_unknown = earlier_attempt_unknown


class ChallengeNotCompletedError(RuptVerificationError):
    """The challenge is not `completed` (or there is none): send the user back to `redirect`.

    `status` is the challenge's status (None when the evaluation has no challenge), `redirect` the
    hosted challenge page from the evaluation (None when Rupt gave none).
    """

    def __init__(
        self,
        message: str,
        *,
        evaluation: Evaluation,
        status: str | None,
        redirect: str | None,
    ) -> None:
        super().__init__(message, evaluation=evaluation)
        self.status = status
        self.redirect = redirect


class ChallengeMismatchError(RuptVerificationError):
    """The evaluation is not about what the app expected: block the action.

    `field` names what differs (`user_id`, `email`, `phone`, `action`, `metadata['key']` for the
    user's metadata or `evaluation_metadata['key']` for the evaluation's); the values are never
    echoed, in the message or anywhere else.
    """

    def __init__(self, message: str, *, evaluation: Evaluation, field: str) -> None:
        super().__init__(message, evaluation=evaluation)
        self.field = field


def _email_key(value: object) -> object:
    # Email addresses compare without case (what users type varies; Rupt stores what the browser
    # SDK sent). A value that is not text (a malformed answer) is compared as it is, and differs.
    return value.strip().casefold() if isinstance(value, str) else value


def _same_json(expected: object, actual: object) -> bool:
    """JSON equality: `True` is not `1` (Python says it is), and `3` is `3.0` (JSON says so)."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return expected == actual
    if isinstance(expected, Mapping):
        return (
            isinstance(actual, Mapping)
            and expected.keys() == actual.keys()
            and all(_same_json(value, actual[key]) for key, value in expected.items())
        )
    if isinstance(expected, list | tuple):
        return (
            isinstance(actual, list | tuple)
            and len(expected) == len(actual)
            and all(_same_json(e, a) for e, a in zip(expected, actual, strict=True))
        )
    return type(expected) is type(actual) and expected == actual


def _metadata_mismatch(name: str, expected: dict[str, Any] | None, actual: object) -> str | None:
    """The first expected key whose value differs (or is missing), as `name['key']`."""
    if expected is None:
        return None
    actual = actual if isinstance(actual, Mapping) else {}
    for key, value in expected.items():
        if key not in actual or not _same_json(value, actual[key]):
            return f"{name}[{key!r}]"
    return None


def _text(name: str, value: object) -> str:
    text = check_text(name, value)
    if not text.strip():
        raise ValueError(f"{name} must not be empty")
    return text


def _identity(name: str, value: object) -> str | None:
    # An empty identity (a Django user without an email, say) can only ever mismatch: refusing it
    # before the consume keeps the evaluation usable.
    return None if value is None else _text(name, value)


@attrs.frozen
class Expected:
    """What the caller expects the evaluation to be about: the guide's step 4 checks.

    `action` and at least one identity are always checked; None skips the others.
    """

    action: str
    user_id: str | None = None
    email: str | None = None
    phone: str | None = None
    # Compared with `evaluation.user.metadata`, as the guide does.
    metadata: dict[str, Any] | None = None
    # Compared with the evaluation's own `metadata`.
    evaluation_metadata: dict[str, Any] | None = None

    @classmethod
    def create(
        cls,
        *,
        action: object,
        user_id: object,
        email: object,
        phone: object,
        metadata: object,
        evaluation_metadata: object = None,
    ) -> Expected:
        """Check the caller's expectations before anything is consumed."""
        checked_action = _text("action", action)
        identities = {
            "user_id": _identity("user_id", user_id),
            "email": _identity("email", email),
            "phone": _identity("phone", phone),
        }
        if all(value is None for value in identities.values()):
            raise ValueError(
                "verify_challenge needs the identity you expect: pass user_id, email or phone"
                " (at least one; a signup without a user id passes the email)"
            )
        return cls(
            action=checked_action,
            metadata=None if metadata is None else check_metadata("metadata", metadata),
            evaluation_metadata=(
                None
                if evaluation_metadata is None
                else check_metadata("evaluation_metadata", evaluation_metadata)
            ),
            **identities,
        )

    def settle(self, consumed: Evaluation | RuptApiError) -> Evaluation:
        """What `verify_challenge` returns or raises once the consume answered."""
        if isinstance(consumed, RuptApiError):
            raise already_used(consumed) if consumed.status == 409 else consumed
        return self.check(consumed)

    def settle_future(self, future: concurrent.futures.Future[Evaluation]) -> Evaluation:
        """`settle` for a sync continuation's outcome."""
        try:
            consumed: Evaluation | RuptApiError = future.result()
        except RuptApiError as err:
            consumed = err
        return self.settle(consumed)

    async def settle_awaitable(self, awaitable: Awaitable[Evaluation]) -> Evaluation:
        """`settle` for an async continuation's outcome."""
        try:
            consumed: Evaluation | RuptApiError = await awaitable
        except RuptApiError as err:
            consumed = err
        return self.settle(consumed)

    def check(self, evaluation: Evaluation) -> Evaluation:
        """Return the evaluation if it may be honoured; raise why not otherwise."""
        challenge = evaluation.challenge
        status = None if challenge is None else challenge.status
        if status != "completed":
            shown = "no challenge" if status is None else f"challenge status {status!r}"
            raise ChallengeNotCompletedError(
                f"evaluation {evaluation.id} has {shown}, not a completed challenge;"
                " send the user back to the challenge (err.redirect)",
                evaluation=evaluation,
                status=status,
                redirect=evaluation.redirect,
            )
        mismatch = self._mismatch(evaluation)
        if mismatch is not None:
            raise ChallengeMismatchError(
                f"evaluation {evaluation.id}: its {mismatch} does not match the expected one",
                evaluation=evaluation,
                field=mismatch,
            )
        return evaluation

    def _mismatch(self, evaluation: Evaluation) -> str | None:
        # The guide's order: identity, action, metadata. The first difference is reported.
        user = evaluation.user
        if self.user_id is not None and (user is None or user.id != self.user_id):
            return "user_id"
        if self.email is not None and (
            user is None or _email_key(user.email) != _email_key(self.email)
        ):
            return "email"
        if self.phone is not None and (user is None or user.phone != self.phone):
            return "phone"
        if evaluation.action != self.action:
            return "action"
        return _metadata_mismatch(
            "metadata", self.metadata, None if user is None else user.metadata
        ) or _metadata_mismatch(
            "evaluation_metadata", self.evaluation_metadata, evaluation.metadata
        )


def already_used(error: RuptApiError) -> ChallengeAlreadyUsedError:
    """A 409 from the consume: the evaluation was used before."""
    message = "the evaluation was already consumed (409): have the user start the action again"
    if error.earlier_attempt_unknown:
        message += "; an earlier attempt of this call may have consumed it"
    used = ChallengeAlreadyUsedError(
        message, attempts=error.attempts, earlier_attempt_unknown=error.earlier_attempt_unknown
    )
    used.__cause__ = error
    return used
