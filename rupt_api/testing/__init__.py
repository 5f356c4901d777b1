"""A stand-in for Rupt's V3 API, for your tests, demos and local development.

`FakeRupt` keeps evaluations, challenges, devices and user updates in memory and answers the five
V3 endpoints the way Rupt documents them. Point any HTTP client at it, in process or over HTTP::

    import httpx
    from rupt_api.testing import FakeRupt, Fault

    fake = FakeRupt()  # secret "sk_test_fake"
    evaluation = fake.add_evaluation(user_id="user_1", challenge_status="code_sent")

    # In process: no socket, works with httpx.Client and httpx.AsyncClient.
    with httpx.Client(
        transport=fake.transport(),
        base_url="https://api.rupt.dev",
        headers={"Authorization": "Bearer sk_test_fake"},
    ) as http:
        http.get(f"/v3/evaluations/{evaluation['id']}")

    # Over real HTTP, on a free loopback port.
    with fake.serve() as base_url:
        ...

    # Make things go wrong: two 503s, then normal answers.
    fake.inject(Fault(status=503, times=2))

    # The challenge flow of one of your users: pending, then passed.
    evaluation = fake.evaluate("login", user_id="user_1", email="ada@example.com")
    fake.complete_challenge(evaluation)

With pytest, the fixtures `rupt_fake`, `rupt_client`, `rupt_async_client` and `rupt_server`
(`rupt_api.testing.pytest_plugin`) are there with no conftest; `vcr_config()` sets vcrpy up for
cassettes with no secret that replay on any port. From a shell,
`python -m rupt_api.testing --port 8007 --seed` serves a fake until Ctrl-C.
"""

from ._state import DEFAULT_SECRET, FakeRupt
from ._transport import FakeTransport
from ._vcr import STAND_IN_ORIGIN, vcr_config
from ._wire import Fault, RecordedRequest

__all__ = [
    "DEFAULT_SECRET",
    "STAND_IN_ORIGIN",
    "FakeRupt",
    "FakeTransport",
    "Fault",
    "RecordedRequest",
    "vcr_config",
]
