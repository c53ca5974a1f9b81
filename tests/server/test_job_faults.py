"""Import jobs cut short: a server killed (SIGKILL) in the middle, after which the job resumes from
its checkpoint, the graph and the output log what one uninterrupted run gives; and a cancel."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.db.conftest import throwaway_database
from tests.server.conftest import API_VERSION, ServerProcess
from tests.server.jobgraph import RELATIONSHIPS_PER_ROOM, TWINS_PER_ROOM, graph_file

pytestmark = pytest.mark.db
ROOMS = 4000  # 20,000 twins and 32,000 relationships: several units, a few seconds of work


@pytest.fixture
def server(schema_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(schema_url, tmp_path)
    try:
        yield process
    finally:
        process.kill()


def job(server: ServerProcess, job_id: str) -> dict[str, Any]:
    response = httpx.get(
        f"{server.url}/jobs/imports/{job_id}", params={"api-version": API_VERSION}, timeout=10
    )
    return response.json()  # type: ignore[no-any-return]


def count(server: ServerProcess, query: str) -> int:
    response = httpx.post(
        f"{server.url}/query", params={"api-version": API_VERSION}, json={"query": query}
    )
    return response.json()["value"][0]["COUNT"]  # type: ignore[no-any-return]


def test_a_killed_import_resumes_and_loses_or_repeats_nothing(server: ServerProcess) -> None:
    graph_file(server.data_dir / "big.ndjson", rooms=ROOMS, bad=True)
    server.start()
    body = {"inputBlobUri": "file:big.ndjson", "outputBlobUri": "file:out.ndjson"}
    created = httpx.put(
        f"{server.url}/jobs/imports/big", params={"api-version": API_VERSION}, json=body
    )
    assert created.status_code == 201
    deadline = time.monotonic() + 60
    # Kill it once twins are being written: a unit is committed, and more are to come.
    while (twins := count(server, "SELECT COUNT() FROM DIGITALTWINS")) == 0:
        assert time.monotonic() < deadline, "the job did not start"
        time.sleep(0.02)
    assert job(server, "big")["status"] == "running"
    server.kill()
    assert twins < ROOMS * TWINS_PER_ROOM
    server.start()  # the runner finds the job running and resumes it from its checkpoint
    while (state := job(server, "big"))["status"] == "running":
        assert time.monotonic() < deadline, "the job did not finish"
        time.sleep(0.1)
    assert state["status"] == "failed"  # the bad twin and relationship, and nothing else
    assert state["error"]["message"].startswith("2 of ")
    assert count(server, "SELECT COUNT() FROM DIGITALTWINS") == ROOMS * TWINS_PER_ROOM
    assert count(server, "SELECT COUNT() FROM RELATIONSHIPS") == ROOMS * RELATIONSHIPS_PER_ROOM
    lines = [
        orjson.loads(line) for line in (server.data_dir / "out.ndjson").read_bytes().splitlines()
    ]
    details = [line["details"] for line in lines]
    assert [d for d in details if "line" in d] == sorted(
        (d for d in details if "line" in d), key=lambda d: d["line"]
    )
    assert sum("line" in d for d in details) == 2
    assert details.count({"status": "Started"}) == 1
    assert details.count({"section": "Twins", "status": "Started"}) == 1
    assert details[-1]["status"] == "Failed"


def test_a_running_import_is_cancelled_after_the_unit_in_flight(
    server_url: str, tmp_path: Path
) -> None:
    with throwaway_database(server_url) as url:
        server = ServerProcess(url, tmp_path)
        graph_file(tmp_path / "big.ndjson", rooms=ROOMS)
        server.start()
        try:
            body = {"inputBlobUri": "file:big.ndjson", "outputBlobUri": "file:out.ndjson"}
            params = {"api-version": API_VERSION}
            httpx.put(f"{server.url}/jobs/imports/c", params=params, json=body).raise_for_status()
            while count(server, "SELECT COUNT() FROM DIGITALTWINS") == 0:
                time.sleep(0.02)
            cancel = httpx.post(f"{server.url}/jobs/imports/c/cancel", params=params)
            assert cancel.json()["status"] == "cancelling"
            while (state := job(server, "c"))["status"] == "cancelling":
                time.sleep(0.05)
            assert state["status"] == "cancelled" and "finishedDateTime" in state
            twins = count(server, "SELECT COUNT() FROM DIGITALTWINS")
            assert 0 < twins < ROOMS * TWINS_PER_ROOM  # what was committed stays, as in ADT
        finally:
            server.kill()
    lines = (tmp_path / "out.ndjson").read_bytes().splitlines()
    assert orjson.loads(lines[-1])["details"] == {"status": "Cancelled"}
