"""The API's data models: what the client methods return, and what `update_user` sends.

They are generated from openapi.yaml (see the README's maintainer section) and re-exported here
unchanged, so a schema added to the spec appears here after `make generate`.

Every model is an attrs class with snake_case attributes (`created_at` for the wire's `createdAt`),
`from_dict()` and `to_dict()`. A field the API left out reads as None; date-times are `datetime`;
fields whose values Rupt keeps extending (verdict, statuses, severity, ...) are plain strings, so
`evaluation.verdict == "deny"` works and a new value never breaks parsing. Keys the spec does not
know are kept: `evaluation.additional_properties`, or `evaluation["new_key"]`.
"""

from typing import TYPE_CHECKING, Any

from ._generated import models as _generated_models
from ._generated.models import __all__  # the generated list: this module re-exports it all

if TYPE_CHECKING:
    from ._generated.models import *  # noqa: F403


# Defined for the interpreter only: type checkers see the star import above, and an unknown name
# stays an error for them rather than reading as Any.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        # Each model is imported when first asked for, as in the generated package: importing
        # this module, or `from rupt_api.models import Evaluation`, loads no other model.
        if name not in __all__:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(_generated_models, name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
