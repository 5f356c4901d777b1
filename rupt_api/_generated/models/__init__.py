"""Contains all the data models used in inputs/outputs"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .challenge import Challenge
    from .challenge_kyc import ChallengeKyc
    from .device import Device
    from .device_info import DeviceInfo
    from .device_info_device import DeviceInfoDevice
    from .error import Error
    from .evaluation import Evaluation
    from .evaluation_challenge import EvaluationChallenge
    from .fingerprint import Fingerprint
    from .geolocation import Geolocation
    from .geolocation_security import GeolocationSecurity
    from .group import Group
    from .policy import Policy
    from .policy_action import PolicyAction
    from .risk import Risk
    from .update_user_body import UpdateUserBody
    from .user import User

__all__ = (
    "Challenge",
    "ChallengeKyc",
    "Device",
    "DeviceInfo",
    "DeviceInfoDevice",
    "Error",
    "Evaluation",
    "EvaluationChallenge",
    "Fingerprint",
    "Geolocation",
    "GeolocationSecurity",
    "Group",
    "Policy",
    "PolicyAction",
    "Risk",
    "UpdateUserBody",
    "User",
)

# Each model's module, imported on first use (rupt-api: see templates/models_init.py.jinja.patch).
_MODULES = {
    "Challenge": ".challenge",
    "ChallengeKyc": ".challenge_kyc",
    "Device": ".device",
    "DeviceInfo": ".device_info",
    "DeviceInfoDevice": ".device_info_device",
    "Error": ".error",
    "Evaluation": ".evaluation",
    "EvaluationChallenge": ".evaluation_challenge",
    "Fingerprint": ".fingerprint",
    "Geolocation": ".geolocation",
    "GeolocationSecurity": ".geolocation_security",
    "Group": ".group",
    "Policy": ".policy",
    "PolicyAction": ".policy_action",
    "Risk": ".risk",
    "UpdateUserBody": ".update_user_body",
    "User": ".user",
}


# Defined for the interpreter only: type checkers see the imports above, and an unknown name
# stays an error for them rather than reading as Any.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        module = _MODULES.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(import_module(module, __name__), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
