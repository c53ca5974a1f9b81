"""`/jobs/imports` and `/jobs/deletions`: ADT's bulk jobs. The endpoints only record and read
jobs (adtquery.db.jobs); the server's job runner does the work in the background."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import anyio.to_thread
import psycopg
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adtquery.clock import OFFSET, adt_time
from adtquery.db import jobs
from adtquery.server import blobs, paging
from adtquery.server.errors import ApiError, invalid, not_found
from adtquery.server.http import json_response, no_content, read_json, segment
from adtquery.server.state import state

T = TypeVar("T")

_MAX_ID = 128
_TIMEOUT_MINUTES = (15, 24 * 60, 12 * 60)  # ADT: 15 minutes to 24 hours, 12 hours by default
_RETRY_AFTER = "1"


def _time(moment: datetime | None) -> str | None:
    """ADT's job times: `2022-01-01T00:00:00.0000000+00:00`."""
    return None if moment is None else adt_time(moment, OFFSET)


def _body(job: jobs.Job) -> dict[str, Any]:
    body: dict[str, Any] = {"id": job.id}
    if job.kind == jobs.IMPORT:
        body |= {"inputBlobUri": job.input_uri, "outputBlobUri": job.output_uri}
    body |= {"status": job.status, "createdDateTime": _time(job.created)}
    if job.kind == jobs.IMPORT:
        body["lastActionDateTime"] = _time(job.last_action)
    fields = {"finishedDateTime": _time(job.finished), "purgeDateTime": _time(job.purge)}
    body |= {key: value for key, value in fields.items() if value is not None}
    if job.error is not None:
        body["error"] = job.error
    return body


async def _store(request: Request, work: Callable[[psycopg.Connection], T]) -> T:
    pool = state(request).query_pool

    def run() -> T:
        with pool.connection() as conn:
            return work(conn)

    return await anyio.to_thread.run_sync(run)


def _not_found(kind: str, job_id: str) -> ApiError:
    name = "ImportJob" if kind == jobs.IMPORT else "DeleteJob"
    return not_found(
        f"{name}NotFound", f"There is no {name[:-3].lower()} job with the id {job_id}."
    )


def _job_id(request: Request) -> str:
    job_id = segment(request, "id")
    if not job_id or len(job_id) > _MAX_ID:
        raise invalid(f"A job id has 1 to {_MAX_ID} characters.", "ValidationFailed")
    return job_id


def _created(create: Callable[[psycopg.Connection], jobs.Job]) -> Callable[..., jobs.Job]:
    def run(conn: psycopg.Connection) -> jobs.Job:
        try:
            return create(conn)
        except jobs.JobExists as exists:
            raise invalid(
                f"A job with the id {exists} already exists.", "ValidationFailed"
            ) from None
        except jobs.JobLimitReached:
            raise invalid(
                "Another bulk job is not finished; one job runs at a time.", "JobLimitReached"
            ) from None

    return run


# -- import jobs


async def put_import(request: Request) -> Response:
    job_id = _job_id(request)
    body = await read_json(request)
    uris = [
        body.get(key) if isinstance(body, dict) else None
        for key in ("inputBlobUri", "outputBlobUri")
    ]
    if not all(isinstance(uri, str) and uri for uri in uris):
        raise invalid("The body needs inputBlobUri and outputBlobUri.", "ValidationFailed")
    data_dir = state(request).data_dir
    try:
        blobs.check_input(uris[0], data_dir)
        blobs.local_path(uris[1], data_dir)
    except blobs.BlobError as error:
        raise invalid(str(error), "ValidationFailed") from None
    job = await _store(
        request,
        _created(
            lambda conn: jobs.create(
                conn, jobs.IMPORT, job_id, input_uri=uris[0], output_uri=uris[1]
            )
        ),
    )
    state(request).wake_runner()
    return json_response(_body(job), status=201)


async def get_job(request: Request, kind: str) -> Response:
    job_id = segment(request, "id")
    job = await _store(request, lambda conn: jobs.get(conn, kind, job_id))
    if job is None:
        raise _not_found(kind, job_id)
    return json_response(_body(job))


async def list_jobs(request: Request, kind: str) -> Response:
    page = paging.requested(request)
    found = await _store(request, lambda conn: jobs.page(conn, kind, page.after, page.size + 1))
    items = [_body(job) for job in found]
    return json_response(paging.page_body(request, items, [job.id for job in found], page))


async def cancel_import(request: Request) -> Response:
    job_id = segment(request, "id")
    job = await _store(request, lambda conn: jobs.cancel(conn, jobs.IMPORT, job_id))
    if job is None:
        raise _not_found(jobs.IMPORT, job_id)
    if job.status != "cancelling":
        raise invalid(
            f"The import job {job_id} is {job.status}: it cannot be cancelled.", "ValidationFailed"
        )
    state(request).wake_runner()
    return json_response(_body(job))


async def delete_import(request: Request) -> Response:
    job_id = segment(request, "id")

    def run(conn: psycopg.Connection) -> jobs.Job | None:
        job = jobs.get(conn, jobs.IMPORT, job_id)
        if job is not None and not jobs.delete(conn, jobs.IMPORT, job_id):
            raise invalid(
                f"The import job {job_id} is {job.status}: cancel it and wait until it stops.",
                "ValidationFailed",
            )
        return job

    if await _store(request, run) is None:
        raise _not_found(jobs.IMPORT, job_id)
    return no_content()


# -- delete jobs


async def post_deletion(request: Request) -> Response:
    job_id = request.headers.get("operation-id") or str(uuid.uuid4())
    if len(job_id) > _MAX_ID:
        raise invalid(f"An operation-id has 1 to {_MAX_ID} characters.", "ValidationFailed")
    timeout = _timeout_minutes(request)
    job = await _store(
        request,
        _created(lambda conn: jobs.create(conn, jobs.DELETE, job_id, timeout_minutes=timeout)),
    )
    state(request).wake_runner()
    base = str(request.base_url).rstrip("/")
    version = request.query_params.get("api-version", "")
    headers = {
        "Operation-Location": f"{base}/jobs/deletions/{job_id}?api-version={version}",
        "Operation-Id": job_id,
        "Retry-After": _RETRY_AFTER,
    }
    return json_response(_body(job), status=202, headers=headers)


def _timeout_minutes(request: Request) -> int:
    low, high, default = _TIMEOUT_MINUTES
    text = request.query_params.get("timeoutInMinutes")
    if text is None:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise invalid(
            f"timeoutInMinutes must be a whole number from {low} to {high}, not {text!r}.",
            "ValidationFailed",
        )
    return int(text)


routes = [
    Route("/jobs/imports", partial(list_jobs, kind=jobs.IMPORT), methods=["GET"]),
    Route("/jobs/imports/{id}", partial(get_job, kind=jobs.IMPORT), methods=["GET"]),
    Route("/jobs/imports/{id}", put_import, methods=["PUT"]),
    Route("/jobs/imports/{id}", delete_import, methods=["DELETE"]),
    Route("/jobs/imports/{id}/cancel", cancel_import, methods=["POST"]),
    Route("/jobs/deletions", post_deletion, methods=["POST"]),
    Route("/jobs/deletions", partial(list_jobs, kind=jobs.DELETE), methods=["GET"]),
    Route("/jobs/deletions/{id}", partial(get_job, kind=jobs.DELETE), methods=["GET"]),
]
