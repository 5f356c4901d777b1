"""rupt-api: the Python server SDK for Rupt.

    from rupt_api import RuptAPI

    rupt = RuptAPI(os.environ["RUPT_SECRET"])
    evaluation = rupt.consume_evaluation(evaluation_id)
    if evaluation.verdict == "deny":
        ...

`AsyncRuptAPI` has the same methods as coroutines. Results are the models in `rupt_api.models`;
every failure is a `RuptError`.
"""

from ._async_client import AsyncRuptAPI
from ._client import RuptAPI
from ._exceptions import (
    RuptApiError,
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
from .models import Challenge, Device, Evaluation, Group, Risk, User

_configure_logging()

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
    "RuptError",
    "RuptNetworkError",
    "RuptResponseError",
    "RuptTimeoutError",
    "RuptVerificationError",
    "User",
    "__version__",
]
