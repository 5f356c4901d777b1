"""rupt-api: the Python server SDK for Rupt.

    from rupt_api import RuptAPI

    rupt = RuptAPI()  # the secret from the RUPT_SECRET environment variable
    evaluation = rupt.consume_evaluation(evaluation_id)
    if evaluation.verdict == "deny":
        ...

`AsyncRuptAPI` has the same methods as coroutines. Results are the models in `rupt_api.models`;
every failure is a `RuptError`.
"""

from typing import TYPE_CHECKING, Any

from ._client import RuptAPI
from ._exceptions import (
    RuptApiError,
    RuptClientClosedError,
    RuptError,
    RuptNetworkError,
    RuptResponseError,
    RuptTimeoutError,
)
from ._logging import configure_from_environment as _configure_logging
from ._verify import (
    ChallengeAlreadyUsedError,
    ChallengeMismatchError,
    ChallengeNotCompletedError,
    RuptVerificationError,
)
from ._version import __version__

if TYPE_CHECKING:
    from ._async_client import AsyncRuptAPI
    from .models import Challenge, Device, Evaluation, Group, Risk, User

_MODELS = {"Challenge", "Device", "Evaluation", "Group", "Risk", "User"}

_configure_logging()


# Defined for the interpreter only: type checkers see the imports above, and an unknown name
# stays an error for them rather than reading as Any.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        # Loaded on first use: AsyncRuptAPI (and asyncio with it), so sync apps never import
        # asyncio, and each model (the generated models load one by one, on first use).
        value: Any
        if name == "AsyncRuptAPI":
            from . import _async_client  # noqa: PLC0415

            value = _async_client.AsyncRuptAPI
        elif name in _MODELS:
            from . import models  # noqa: PLC0415

            value = getattr(models, name)
        else:
            raise AttributeError(f"module 'rupt_api' has no attribute {name!r}")
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "AsyncRuptAPI",
    "Challenge",
    "ChallengeAlreadyUsedError",
    "ChallengeMismatchError",
    "ChallengeNotCompletedError",
    "Device",
    "Evaluation",
    "Group",
    "Risk",
    "RuptAPI",
    "RuptApiError",
    "RuptClientClosedError",
    "RuptError",
    "RuptNetworkError",
    "RuptResponseError",
    "RuptTimeoutError",
    "RuptVerificationError",
    "User",
    "__version__",
]
