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

    `field` names what differs (`action`, `user_id`, `email`, `phone` or `metadata['key']`); the
    values are never echoed, in the message or anywhere else.
    """

    def __init__(self, message: str, *, evaluation: Evaluation, field: str) -> None:
        super().__init__(message, evaluation=evaluation)
        self.field = field


def _email_key(value: object) -> object:
    # Email addresses compare without case (what users type varies; Rupt stores what the browser
    # SDK sent). A value that is not text (a malformed answer) is compared as it is, and differs.
    return value.strip().casefold() if isinstance(value, str) else value


@attrs.frozen
class Expected:
    """What the caller expects the evaluation to be about; None means "do not check"."""

    action: str | None = None
    user_id: str | None = None
    email: str | None = None
    phone: str | None = None
    metadata: dict[str, Any] | None = None

    @classmethod
    def create(
        cls,
        *,
        action: object,
        user_id: object,
        email: object,
        phone: object,
        metadata: object,
    ) -> Expected:
        """Check the caller's expectations before anything is consumed."""
        return cls(
            action=None if action is None else check_text("action", action),
            user_id=None if user_id is None else check_text("user_id", user_id),
            email=None if email is None else check_text("email", email),
            phone=None if phone is None else check_text("phone", phone),
            metadata=None if metadata is None else check_metadata("metadata", metadata),
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
        user = evaluation.user
        if self.action is not None and evaluation.action != self.action:
            return "action"
        if self.user_id is not None and (user is None or user.id != self.user_id):
            return "user_id"
        if self.email is not None and (
            user is None or _email_key(user.email) != _email_key(self.email)
        ):
            return "email"
        if self.phone is not None and (user is None or user.phone != self.phone):
            return "phone"
        if self.metadata is not None:
            actual = evaluation.metadata if isinstance(evaluation.metadata, Mapping) else {}
            for key, value in self.metadata.items():
                if key not in actual or actual[key] != value:
                    return f"metadata[{key!r}]"
        return None


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
