"""Many browsers at once over the loopback stand-in: each answer is its own, each consume once."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.test import Client

from rupt_api.testing import FakeRupt

from .conftest import consumes, passed, post

pytestmark = pytest.mark.usefixtures("loopback")

THREADS = 20
EACH = 5
SESSION_KEY = "rupt_verified_login"


def test_distinct_evaluations_from_many_threads_are_each_verified_once(fake: FakeRupt) -> None:
    evaluations = [
        [
            fake.add_evaluation(**passed(user_id=f"user_{t}_{i}", email=f"u{t}.{i}@example.com"))
            for i in range(EACH)
        ]
        for t in range(THREADS)
    ]
    barrier = threading.Barrier(THREADS)

    def browse(t: int) -> list[dict[str, Any]]:
        browser = Client()
        barrier.wait()
        seen = []
        for i, evaluation in enumerate(evaluations[t]):
            body = {
                "evaluation_id": evaluation["id"],
                "user_id": f"user_{t}_{i}",
                "email": f"U{t}.{i}@example.com",
            }
            first = post(browser, body)
            replay = post(browser, body)
            seen.append(
                {
                    "id": evaluation["id"],
                    "user": f"user_{t}_{i}",
                    "first": (first.status_code, first.json()),
                    "replay": (replay.status_code, replay.json()["status"]),
                    "session": browser.session[SESSION_KEY],
                }
            )
        return seen

    with ThreadPoolExecutor(THREADS) as pool:
        results = [row for rows in pool.map(browse, range(THREADS)) for row in rows]

    assert len(results) == THREADS * EACH
    for row in results:
        assert row["first"] == (
            200,
            {"status": "verified", "action": "login", "evaluation_id": row["id"]},
        )
        assert row["replay"] == (409, "already_used")
        assert row["session"] == {"evaluation_id": row["id"], "user_id": row["user"]}
    counts = Counter(consumes(fake))
    assert set(counts) == {row["id"] for row in results}
    assert set(counts.values()) == {2}
    assert all(request.authorized for request in fake.requests)


def test_one_evaluation_posted_by_many_threads_at_once_is_honoured_once(fake: FakeRupt) -> None:
    shared = [fake.add_evaluation(**passed()) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)

    def browse(t: int) -> list[tuple[str, int, str | None]]:
        browser = Client()
        barrier.wait()
        seen = []
        for k in range(EACH):  # each evaluation is posted by EACH different threads
            evaluation = shared[(t * EACH + k) % THREADS]
            response = post(browser, {"evaluation_id": evaluation["id"], "user_id": "user_1"})
            verified = browser.session.get(SESSION_KEY)
            seen.append(
                (evaluation["id"], response.status_code, response.json().get("evaluation_id"))
            )
            if response.status_code == 200:
                assert verified == {"evaluation_id": evaluation["id"], "user_id": "user_1"}
        return seen

    with ThreadPoolExecutor(THREADS) as pool:
        results = [row for rows in pool.map(browse, range(THREADS)) for row in rows]

    assert len(results) == THREADS * EACH
    by_evaluation: dict[str, Counter[int]] = {}
    for evaluation_id, status, answered_id in results:
        by_evaluation.setdefault(evaluation_id, Counter())[status] += 1
        if status == 200:
            assert answered_id == evaluation_id
    assert set(by_evaluation) == {evaluation["id"] for evaluation in shared}
    for statuses in by_evaluation.values():
        assert statuses == Counter({200: 1, 409: EACH - 1})
    assert Counter(consumes(fake)) == Counter({e["id"]: EACH for e in shared})
