"""Import and delete jobs through the official SDK's generated job clients (1.3.0 exposes them on
`client._client`), on a real server and AGE: states, output log, validation, limits, paging."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.digitaltwins.core import DigitalTwinsClient
from azure.digitaltwins.core._generated.models import (
    ImportJob,
    ImportJobsListOptions,
)

from adtquery.server.app import Settings
from adtquery.server.jobrunner import JobRunner
from tests.db.conftest import throwaway_database
from tests.server.conftest import API_VERSION, AllowPlainHttp, StaticToken, running
from tests.server.jobgraph import graph_file

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jobs")


@pytest.fixture(scope="module")
def endpoint(schema_url: str, data_dir: Path) -> Iterator[str]:
    settings = Settings(database_url=schema_url, pool_size=4, data_dir=data_dir)
    with running(settings) as url:
        yield url


@pytest.fixture(scope="module")
def idle_url(server_url: str) -> Iterator[str]:
    with throwaway_database(server_url) as url:
        yield url


@pytest.fixture(scope="module")
def idle_endpoint(idle_url: str, data_dir: Path) -> Iterator[str]:
    """A server on a database of its own that runs no jobs: they stay as created."""
    settings = Settings(database_url=idle_url, pool_size=4, data_dir=data_dir, run_jobs=False)
    with running(settings) as url:
        yield url


def sdk(endpoint: str) -> DigitalTwinsClient:
    return DigitalTwinsClient(endpoint, StaticToken(), per_call_policies=[AllowPlainHttp()])


def wait_for(read: Callable[[], Any], done: Callable[[Any], bool], seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while not done(value := read()):
        assert time.monotonic() < deadline, f"still {value}"
        time.sleep(0.05)
    return value


def finished(job: Any) -> bool:
    return job.status in ("succeeded", "failed", "cancelled")


def run_job(client: DigitalTwinsClient, job_id: str, source: str, output: str) -> Any:
    jobs = client._client.import_jobs
    created = jobs.add(job_id, ImportJob(input_blob_uri=source, output_blob_uri=output))
    assert created.status == "notstarted"
    return wait_for(lambda: jobs.get_by_id(job_id), finished)


def log_lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


@pytest.fixture(scope="module")
def imported(endpoint: str, data_dir: Path) -> tuple[Any, list[dict[str, Any]]]:
    """A graph with one bad twin and one bad relationship, imported by job `first`."""
    graph_file(data_dir / "graph.ndjson", rooms=30, bad=True)
    job = run_job(sdk(endpoint), "first", "file:graph.ndjson", "file:logs/first.ndjson")
    return job, log_lines(data_dir / "logs" / "first.ndjson")


def test_a_job_imports_and_skips_only_the_bad_entities(
    endpoint: str, imported: tuple[Any, list[dict[str, Any]]]
) -> None:
    job, _ = imported
    assert job.status == "failed"
    assert job.error.code == "ValidationFailed"
    assert job.error.message.startswith("2 of ")
    assert job.finished_date_time >= job.created_date_time
    client = sdk(endpoint)
    [count] = client.query_twins("SELECT COUNT() FROM DIGITALTWINS")
    assert count["COUNT"] == 30 * 5  # rooms and their four sensors; the bad twin is not there
    assert client.get_digital_twin("room-3")["temperature"] == 20.3
    sensors = client.list_relationships("room-3", "hasSensor")
    assert sorted(r["$targetId"] for r in sensors) == [f"sensor-3-{s}" for s in range(4)]


def test_the_output_log_is_adts_with_a_line_per_skipped_entity(
    imported: tuple[Any, list[dict[str, Any]]],
) -> None:
    _, lines = imported
    assert {(line["jobId"], line["jobType"]) for line in lines} == {("first", "Import")}
    assert all(line["timestamp"].endswith("Z") for line in lines)
    statuses = [
        (line["logType"], line["details"]) for line in lines if "error" not in line["details"]
    ]
    assert statuses == [
        ("Info", {"status": "Started"}),
        *(
            ("Info", {"section": section, "status": status})
            for section in ("Models", "Twins", "Relationships")
            for status in ("Started", "Succeeded")
        ),
    ]
    errors = [line["details"] for line in lines if line["logType"] == "Error"]
    assert errors[0]["section"] == "Twins" and errors[0]["id"] == "bad-twin"
    assert "floors" in errors[0]["error"]["message"]  # a property the model does not declare
    assert errors[1]["section"] == "Relationships"
    assert errors[1]["twinId"] == "room-0" and errors[1]["error"]["code"] == "DigitalTwinNotFound"
    assert all(isinstance(error["line"], int) for error in errors[:2])
    assert errors[2] == {
        "status": "Failed",
        "error": {"code": "ValidationFailed", "message": errors[2]["error"]["message"]},
    }


def test_a_clean_file_succeeds_and_existing_twins_are_refused(
    endpoint: str, data_dir: Path, imported: object
) -> None:
    graph_file(data_dir / "more.ndjson", rooms=3, first_room=30, models=False)
    client = sdk(endpoint)
    job = run_job(client, "more", "file:more.ndjson", "file:logs/more.ndjson")
    assert (job.status, job.error) == ("succeeded", None)
    again = run_job(client, "again", "file:more.ndjson", "file:logs/again.ndjson")
    assert again.status == "failed"
    errors = [
        line for line in log_lines(data_dir / "logs/again.ndjson") if "line" in line["details"]
    ]
    assert len(errors) == 3 * 5 + 3 * 8  # every twin and relationship is there already
    assert {e["details"]["error"]["message"].split(" already")[0] for e in errors} == {
        "a digital twin with this $dtId",
        "a relationship with this $relationshipId",
    }


def test_list_pages_and_get_a_job(endpoint: str, imported: object) -> None:
    jobs = sdk(endpoint)._client.import_jobs
    listed = list(jobs.list(import_jobs_list_options=ImportJobsListOptions(max_items_per_page=1)))
    assert [job.id for job in listed] == sorted(job.id for job in listed)
    assert "first" in {job.id for job in listed}
    with pytest.raises(ResourceNotFoundError) as missing:
        jobs.get_by_id("nope")
    assert missing.value.error.code == "ImportJobNotFound"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"inputBlobUri": "file:graph.ndjson"}, "needs inputBlobUri and outputBlobUri"),
        ({"inputBlobUri": "file:/etc/passwd", "outputBlobUri": "file:o"}, "outside"),
        ({"inputBlobUri": "file:../x", "outputBlobUri": "file:o"}, "outside"),
        ({"inputBlobUri": "file:g", "outputBlobUri": "https://blob/x"}, "only file: URIs"),
        ({"inputBlobUri": "ftp://h/x", "outputBlobUri": "file:o"}, "only file: URIs"),
    ],
)
def test_uris_are_checked(idle_endpoint: str, body: dict[str, str], problem: str) -> None:
    response = httpx.put(
        f"{idle_endpoint}/jobs/imports/bad", params={"api-version": API_VERSION}, json=body
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ValidationFailed"
    assert problem in response.json()["error"]["message"]


def test_one_job_at_a_time_cancel_and_delete(
    idle_endpoint: str, idle_url: str, data_dir: Path
) -> None:
    jobs = sdk(idle_endpoint)._client.import_jobs
    job = ImportJob(input_blob_uri="file:graph.ndjson", output_blob_uri="file:logs/x.ndjson")
    jobs.add("waiting", job)
    with pytest.raises(HttpResponseError) as limit:
        jobs.add("second", job)
    assert limit.value.error.code == "JobLimitReached"
    with pytest.raises(HttpResponseError) as twice:
        jobs.add("waiting", job)
    assert twice.value.error.code == "ValidationFailed"
    assert jobs.cancel("waiting").status == "cancelling"
    with pytest.raises(HttpResponseError) as active:
        jobs.delete("waiting")
    assert active.value.status_code == 400
    runner = JobRunner(idle_url, data_dir, poll_seconds=0.05)
    runner.start()  # it ends the cancellation of a job that never started
    try:
        done = wait_for(lambda: jobs.get_by_id("waiting"), finished, seconds=10)
    finally:
        runner.stop()
    assert done.status == "cancelled"
    with pytest.raises(HttpResponseError) as final:
        jobs.cancel("waiting")
    assert final.value.status_code == 400
    jobs.delete("waiting")
    with pytest.raises(ResourceNotFoundError):
        jobs.get_by_id("waiting")


def test_a_delete_job_wipes_the_graph(endpoint: str, data_dir: Path, imported: object) -> None:
    client = sdk(endpoint)
    # SDK 1.3.0 takes the operation id from its client configuration, which DigitalTwinsClient
    # leaves empty: the server names the job.
    job = client._client.delete_jobs.begin_add(polling_interval=0.1).result()
    assert job.status == "succeeded" and job.id
    assert list(client.query_twins("SELECT * FROM DIGITALTWINS")) == []
    assert list(client.list_models()) == []
    listed = list(client._client.delete_jobs.list())
    assert [j.id for j in listed] == [job.id]
    response = httpx.post(
        f"{endpoint}/jobs/deletions",
        params={"api-version": API_VERSION, "timeoutInMinutes": "5"},
        headers={"operation-id": "short"},
    )
    assert response.status_code == 400 and "timeoutInMinutes" in response.text


def test_delete_job_answer_has_operation_location(endpoint: str, imported: object) -> None:
    response = httpx.post(
        f"{endpoint}/jobs/deletions",
        params={"api-version": API_VERSION},
        headers={"operation-id": "located"},
    )
    assert response.status_code == 202
    assert response.json()["id"] == "located"
    assert response.headers["Operation-Location"] == (
        f"{endpoint}/jobs/deletions/located?api-version={API_VERSION}"
    )
    assert response.headers["Retry-After"] == "1"
    location = response.headers["Operation-Location"]
    wait_for(lambda: httpx.get(location).json()["status"], lambda status: status == "succeeded")
