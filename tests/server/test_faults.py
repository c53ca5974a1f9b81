"""Faults: the database going away (through tests/faultproxy.py, so the shared cluster keeps
running) and the server killed with SIGKILL, both while clients write. Requests answer 503 with
Retry-After and an ADT error body, quickly; the server recovers by itself; no acknowledged write
is lost and no write is half-applied."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest

from adtquery.db.twins import TWINS
from adtquery.server.app import Settings
from benchmarks.load import prepare, run, verify
from tests.db.conftest import connect, schema_url  # noqa: F401  (fixture)
from tests.faultproxy import FaultProxy
from tests.server.conftest import API_VERSION, ServerProcess, error_code, running

pytestmark = pytest.mark.db

POOL_TIMEOUT = Settings("").pool_timeout  # what a request waits at most with the database away
RETRY_AFTER = "2"


@pytest.fixture(scope="module")
def proxy(schema_url: str) -> Iterator[FaultProxy]:  # noqa: F811
    with FaultProxy.to_database(schema_url) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def endpoint(schema_url: str, proxy: FaultProxy) -> Iterator[str]:  # noqa: F811
    """The server, reaching its database through the proxy."""
    settings = Settings(database_url=proxy.url(schema_url), token_secret=b"test", pool_size=4)
    with running(settings) as url:
        prepare(url)
        yield url


@pytest.fixture
def http(endpoint: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=endpoint, params={"api-version": API_VERSION}, timeout=10) as raw:
        yield raw


def until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert error_code(response) == "ServiceUnavailable"
    assert response.headers["Retry-After"] == RETRY_AFTER


def wait_for_a_lock_wait(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        deadline = time.monotonic() + 10
        while not conn.execute(
            "SELECT 1 FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone():
            assert time.monotonic() < deadline, "the request never waited for the lock"
            time.sleep(0.02)


def test_a_request_whose_connection_drops_is_a_503_and_changes_nothing(
    http: httpx.Client,
    proxy: FaultProxy,
    schema_url: str,  # noqa: F811
) -> None:
    twin = {"$metadata": {"$model": "dtmi:adtquery:load:Gauge;1"}, "value": 1, "label": "v1"}
    etag = http.put("/digitaltwins/held", json=twin).json()["$etag"]
    patch = [{"op": "replace", "path": "/value", "value": 2}]
    answers: list[httpx.Response] = []
    # A row lock taken directly on the database keeps the PATCH waiting inside its transaction,
    # so the proxy cuts its connection mid-request.
    with connect(schema_url) as holder, holder.transaction():
        holder.execute(f"SELECT 1 FROM {TWINS} FOR UPDATE")
        writer = threading.Thread(
            target=lambda: answers.append(http.patch("/digitaltwins/held", json=patch))
        )
        writer.start()
        wait_for_a_lock_wait(schema_url)
        began = time.monotonic()
        with proxy.away():
            writer.join(10)
            assert_unavailable(answers[0])
            assert time.monotonic() - began < 1, "not answered as soon as the connection broke"
            assert_unavailable(http.get("/healthz"))
    assert http.get("/healthz").status_code == 200
    stored = http.get("/digitaltwins/held").json()
    assert (stored["value"], stored["$etag"]) == (1, etag)


def test_requests_on_either_pool_fail_fast_with_503_while_the_database_is_away(
    http: httpx.Client, proxy: FaultProxy
) -> None:
    requests = [
        ("GET", "/digitaltwins/anything", None),  # the async pool
        ("POST", "/query", {"query": "SELECT * FROM DIGITALTWINS"}),  # the query pool, a thread
    ]

    def send(request: tuple[str, str, object]) -> tuple[httpx.Response, float]:
        began = time.monotonic()
        response = http.request(request[0], request[1], json=request[2])
        return response, time.monotonic() - began

    with proxy.away(), ThreadPoolExecutor(len(requests)) as pool:
        for response, seconds in pool.map(send, requests):
            assert_unavailable(response)
            assert seconds < POOL_TIMEOUT + 1
    assert http.post("/query", json={"query": "SELECT * FROM DIGITALTWINS"}).status_code == 200


def test_the_database_going_away_under_load(endpoint: str, proxy: FaultProxy) -> None:
    away, back, end, recovery = 1.5, 4.5, 8.5, 2.5

    def outage(started: float) -> None:
        until(started + away)
        with proxy.away():
            until(started + back)

    result = run(endpoint, clients=6, seconds=end, seed=1, during=outage)
    failed = [s for s in result.samples if not s.ok]
    assert failed, "the clients did not notice the outage"
    assert {(s.status, s.code, s.retry_after) for s in failed} == {
        (503, "ServiceUnavailable", RETRY_AFTER)
    }
    assert max(s.seconds for s in result.samples) < POOL_TIMEOUT + 1.5, "a request hung"
    # Never restarted, the server answers again once its pools have reconnected.
    late = [s for s in result.samples if s.started > back + recovery]
    assert {s.op for s in late if s.ok} == {"create", "patch", "get", "query"}
    assert all(s.ok for s in late), [s for s in late if not s.ok]
    assert verify(endpoint, result.writes) == []


def test_the_server_killed_mid_write_loses_no_acknowledged_write(
    schema_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    server = ServerProcess(schema_url, tmp_path)
    server.start()
    try:
        prepare(server.url)
        result = run(
            server.url, clients=6, seconds=2.5, seed=2, during=lambda t: kill_at(server, t + 1.5)
        )
        answered = [s for s in result.samples if s.status is not None]
        assert all(s.ok for s in answered), [s for s in answered if not s.ok]
        unanswered = [w for writes in result.writes.values() for w in writes if not w.acknowledged]
        assert unanswered, "no write was cut short"
        server.start()  # the same database, nothing repaired in between
        assert verify(server.url, result.writes) == []
    finally:
        server.kill()


def kill_at(server: ServerProcess, moment: float) -> None:
    until(moment)
    server.kill()
