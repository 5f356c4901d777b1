"""Faults, recorded requests and the server's life cycle."""

from __future__ import annotations

import asyncio
import http.client
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest

from rupt_api.testing import FakeRupt, Fault, RecordedRequest

AUTH = {"Authorization": "Bearer sk_test_fake"}

# -- Status faults ----------------------------------------------------------------------------


def test_status_fault_n_times_then_normal(fake: FakeRupt, client: httpx.Client) -> None:
    fake.add_evaluation(id="ev_1")
    fake.inject(Fault(status=503, times=2))
    first = client.get("/v3/evaluations/ev_1")
    second = client.get("/v3/evaluations/ev_1")
    third = client.get("/v3/evaluations/ev_1")
    assert [first.status_code, second.status_code, third.status_code] == [503, 503, 200]
    assert first.json() == {
        "error": "service_unavailable",
        "message": "injected fault: 503 Service Unavailable",
    }
    assert third.json()["id"] == "ev_1"
    assert len(fake.requests) == 3


def test_status_fault_with_html_body_and_headers(fake: FakeRupt, client: httpx.Client) -> None:
    html = "<html><body>502 Bad Gateway</body></html>"
    fake.inject(Fault(status=502, body=html, headers={"Retry-After": "1"}))
    response = client.get("/v3/evaluations/ev_1")
    assert response.status_code == 502
    assert response.text == html
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["retry-after"] == "1"


def test_headers_only_fault_decorates_the_normal_answer(
    fake: FakeRupt, client: httpx.Client
) -> None:
    fake.add_evaluation(id="ev_1")
    fake.inject(Fault(headers={"X-Test": "yes"}))
    response = client.get("/v3/evaluations/ev_1")
    assert response.status_code == 200
    assert response.headers["x-test"] == "yes"
    assert "x-test" not in client.get("/v3/evaluations/ev_1").headers


def test_faults_apply_before_auth(fake: FakeRupt, client: httpx.Client) -> None:
    fake.inject(Fault(status=503))
    response = client.get("/v3/evaluations/x", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 503
    assert (
        client.get("/v3/evaluations/x", headers={"Authorization": "Bearer wrong"}).status_code
        == 401
    )


def test_fault_filters_by_path_and_method(fake: FakeRupt, client: httpx.Client) -> None:
    evaluation = fake.add_evaluation()
    fake.inject(Fault(status=500, path="/consume", method="post"))
    assert client.get(f"/v3/evaluations/{evaluation['id']}").status_code == 200
    assert client.get("/v3/user/u/devices").status_code == 200
    assert client.post(f"/v3/evaluations/{evaluation['id']}/consume").status_code == 500
    # The fault is used up; the evaluation was never consumed by the faulted request.
    assert client.post(f"/v3/evaluations/{evaluation['id']}/consume").status_code == 200


def test_fault_path_matches_decoded_path(fake: FakeRupt, client: httpx.Client) -> None:
    fake.add_evaluation(id="a/b")
    fake.inject(Fault(status=500, path="/a/b"))
    assert client.get("/v3/evaluations/a%2Fb").status_code == 500


def test_first_injected_fault_wins(fake: FakeRupt, client: httpx.Client) -> None:
    fake.inject(Fault(status=500))
    fake.inject(Fault(status=503))
    assert client.get("/v3/evaluations/x").status_code == 500
    assert client.get("/v3/evaluations/x").status_code == 503
    assert client.get("/v3/evaluations/x").status_code == 404


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"status": 503, "times": 0}, {"delay": -1.0}, {"status": 99}, {"body": "x"}],
)
def test_invalid_faults_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        Fault(**kwargs)  # type: ignore[arg-type]


# -- Delay ------------------------------------------------------------------------------------


def test_delay_then_normal_answer(fake: FakeRupt, client: httpx.Client) -> None:
    fake.add_evaluation(id="ev_1")
    fake.inject(Fault(delay=0.3))
    started = time.monotonic()
    response = client.get("/v3/evaluations/ev_1")
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200
    started = time.monotonic()
    client.get("/v3/evaluations/ev_1")
    assert time.monotonic() - started < 0.3


def test_delay_then_status(fake: FakeRupt, client: httpx.Client) -> None:
    fake.inject(Fault(delay=0.2, status=504))
    started = time.monotonic()
    response = client.get("/v3/evaluations/ev_1")
    assert time.monotonic() - started >= 0.2
    assert response.status_code == 504


def test_delay_longer_than_read_timeout_times_out(fake: FakeRupt, client: httpx.Client) -> None:
    evaluation = fake.add_evaluation()
    fake.inject(Fault(delay=1.0))
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        client.post(f"/v3/evaluations/{evaluation['id']}/consume", timeout=0.2)
    assert time.monotonic() - started < 0.9
    # Like a real server, the fake still handled the request the client gave up on.
    deadline = time.monotonic() + 5
    while not client.get(f"/v3/evaluations/{evaluation['id']}").json()["consumed"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)


async def test_async_delay_can_be_cancelled(fake: FakeRupt, aclient: httpx.AsyncClient) -> None:
    fake.add_evaluation(id="ev_1")
    fake.inject(Fault(delay=5.0))
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(aclient.get("/v3/evaluations/ev_1"), timeout=0.2)
    assert time.monotonic() - started < 2


async def test_async_delay_then_answer(fake: FakeRupt, aclient: httpx.AsyncClient) -> None:
    fake.add_evaluation(id="ev_1")
    fake.inject(Fault(delay=0.2, status=503))
    started = time.monotonic()
    response = await aclient.get("/v3/evaluations/ev_1")
    assert time.monotonic() - started >= 0.2
    assert response.status_code == 503
    assert (await aclient.get("/v3/evaluations/ev_1")).status_code == 200


# -- Drop -------------------------------------------------------------------------------------


def test_drop_in_process_raises_remote_protocol_error(fake: FakeRupt) -> None:
    fake.add_evaluation(id="ev_1")
    fake.inject(Fault(drop=True))
    with httpx.Client(transport=fake.transport(), base_url="https://x", headers=AUTH) as http:
        with pytest.raises(
            httpx.RemoteProtocolError, match="Server disconnected without sending a response"
        ):
            http.get("/v3/evaluations/ev_1")
        assert http.get("/v3/evaluations/ev_1").status_code == 200


def test_drop_over_http_is_a_connection_error(fake: FakeRupt) -> None:
    evaluation = fake.add_evaluation()
    fake.inject(Fault(drop=True, times=2))
    with fake.serve() as url, httpx.Client(base_url=url, headers=AUTH) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.post(f"/v3/evaluations/{evaluation['id']}/consume")
        with pytest.raises(httpx.TransportError):
            http.get(f"/v3/evaluations/{evaluation['id']}")
        response = http.post(f"/v3/evaluations/{evaluation['id']}/consume")
        assert response.status_code == 200  # the dropped consume was never handled
    assert len(fake.requests) == 3


async def test_async_drop(fake: FakeRupt, aclient: httpx.AsyncClient) -> None:
    fake.add_evaluation(id="ev_1")
    fake.inject(Fault(drop=True, delay=0.1))
    with pytest.raises(httpx.RemoteProtocolError):
        await aclient.get("/v3/evaluations/ev_1")
    assert (await aclient.get("/v3/evaluations/ev_1")).status_code == 200


# -- Recorded requests ------------------------------------------------------------------------


def test_requests_are_recorded(fake: FakeRupt, client: httpx.Client) -> None:
    before = time.time()
    client.get("/v3/evaluations/a%2Fb?x=1")
    client.post("/v3/user/u/update", json={"email": "e@x"})
    client.get("/v3/challenges/c", headers={"Authorization": "Bearer wrong"})

    first, second, third = fake.requests
    assert isinstance(first, RecordedRequest)
    assert (first.method, first.path, first.json, first.body) == (
        "GET",
        "/v3/evaluations/a%2Fb?x=1",
        None,
        b"",
    )
    assert first.authorized is True
    assert first.headers["authorization"] == "Bearer [redacted]"
    assert before <= first.time <= second.time <= third.time <= time.time()
    assert (second.method, second.path) == ("POST", "/v3/user/u/update")
    assert second.json == {"email": "e@x"}
    assert second.headers["content-type"] == "application/json"
    assert third.authorized is False
    assert third.headers["authorization"] == "Bearer [redacted]"
    assert all("sk_test_fake" not in repr(request) for request in fake.requests)
    with pytest.raises(AttributeError):
        first.method = "PUT"  # type: ignore[misc]


def test_requests_list_is_a_copy(fake: FakeRupt, client: httpx.Client) -> None:
    client.get("/v3/evaluations/x")
    fake.requests.clear()
    assert len(fake.requests) == 1


# -- The server -------------------------------------------------------------------------------


def test_server_binds_to_loopback_and_closes(fake: FakeRupt) -> None:
    fake.add_evaluation(id="ev_1")
    with fake.serve() as url:
        assert url.startswith("http://127.0.0.1:")
        port = urlsplit(url).port
        assert port
        response = httpx.get(f"{url}/v3/evaluations/ev_1", headers=AUTH)
        assert response.status_code == 200
        assert response.http_version == "HTTP/1.1"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/v3/evaluations/ev_1", headers=AUTH)
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass


def test_server_keeps_connections_alive(fake: FakeRupt) -> None:
    fake.add_evaluation(id="ev_1")
    with fake.serve() as url:
        parts = urlsplit(url)
        assert parts.hostname
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        try:
            connection.request("GET", "/v3/evaluations/ev_1", headers=AUTH)
            first = connection.getresponse()
            body = first.read()
            assert first.getheader("Content-Length") == str(len(body))
            assert first.getheader("Connection") is None
            sock = connection.sock
            connection.request("POST", "/v3/user/u/update", body=b"{}", headers=AUTH)
            second = connection.getresponse()
            second.read()
            assert sock is not None
            assert connection.sock is sock  # same socket: the server kept it open
            assert first.status == 200
            assert second.status == 204
        finally:
            connection.close()


def test_server_stops_with_an_open_delayed_request(fake: FakeRupt) -> None:
    fake.inject(Fault(delay=30))
    started = time.monotonic()
    with (
        fake.serve() as url,
        httpx.Client(base_url=url, headers=AUTH, timeout=0.2) as http,
        pytest.raises(httpx.ReadTimeout),
    ):
        http.get("/v3/evaluations/x")
    assert time.monotonic() - started < 5


def test_server_does_not_log_requests(fake: FakeRupt, capfd: pytest.CaptureFixture[str]) -> None:
    with fake.serve() as url:
        httpx.get(f"{url}/v3/evaluations/x", headers=AUTH)
        httpx.get(f"{url}/v3/evaluations/x")
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out == ""
