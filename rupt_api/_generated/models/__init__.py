"""Contains all the data models used in inputs/outputs"""

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
