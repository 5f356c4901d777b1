"""The API's data models: what the client methods return, and what `update_user` sends.

They are generated from openapi.yaml (see the README's maintainer section) and re-exported here
unchanged, so a schema added to the spec appears here after `make generate`.

Every model is an attrs class with snake_case attributes (`created_at` for the wire's `createdAt`),
`from_dict()` and `to_dict()`. A field the API left out reads as None; date-times are `datetime`;
fields whose values Rupt keeps extending (verdict, statuses, severity, ...) are plain strings, so
`evaluation.verdict == "deny"` works and a new value never breaks parsing. Keys the spec does not
know are kept: `evaluation.additional_properties`, or `evaluation["new_key"]`.
"""

from ._generated.models import *  # noqa: F403
from ._generated.models import __all__  # noqa: F401 - re-exported as this module's own
