"""Import and delete jobs: a plain table beside the graph, synchronous (the runner's thread and
the job endpoints' worker threads use it).

A job's checkpoint and its output log's size are written in the same transaction as the data of
the unit they describe (adtquery.db.importer), so a job killed anywhere resumes exactly there.
ADT runs one bulk job at a time per instance; so does this table, across both kinds and across
server processes (`claim` takes a session advisory lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

TABLE = "public.adt_jobs"
CREATE = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    kind text NOT NULL,
    id text NOT NULL,
    status text NOT NULL,
    input_uri text,
    output_uri text,
    timeout_minutes integer,
    created timestamptz NOT NULL DEFAULT now(),
    last_action timestamptz NOT NULL DEFAULT now(),
    finished timestamptz,
    purge timestamptz NOT NULL DEFAULT now() + interval '30 days',
    error jsonb,
    checkpoint jsonb,
    log_size bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, id))"""

IMPORT, DELETE = "import", "delete"
ACTIVE = ("notstarted", "running", "cancelling")
FINAL = ("succeeded", "failed", "cancelled")
RETENTION = timedelta(days=30)  # ADT's examples purge a job 30 days after its last action

_RUNNER_LOCK = 0x61646A62  # "adjb": held by the one runner that may run jobs
_CREATE_LOCK = 0x61646A63  # "adjc": serializes the one-active-job check
_COLUMNS = (
    "kind, id, status, input_uri, output_uri, timeout_minutes, created, last_action, finished, "
    "purge, error, checkpoint, log_size"
)


@dataclass(frozen=True, slots=True)
class Job:
    kind: str
    id: str
    status: str
    input_uri: str | None
    output_uri: str | None
    timeout_minutes: int | None
    created: datetime
    last_action: datetime
    finished: datetime | None
    purge: datetime
    error: dict[str, Any] | None
    checkpoint: dict[str, Any] | None
    log_size: int


class JobLimitReached(Exception):
    """Another job is not finished yet."""


class JobExists(Exception):
    """A job of this kind already has the id."""


def ensure_table(conn: psycopg.Connection) -> None:
    conn.execute(CREATE)


def create(
    conn: psycopg.Connection,
    kind: str,
    job_id: str,
    *,
    input_uri: str | None = None,
    output_uri: str | None = None,
    timeout_minutes: int | None = None,
) -> Job:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_CREATE_LOCK,))
        _purge(conn)
        if get(conn, kind, job_id) is not None:
            raise JobExists(job_id)
        active = conn.execute(f"SELECT 1 FROM {TABLE} WHERE status = ANY(%s)", (list(ACTIVE),))
        if active.fetchone():
            raise JobLimitReached()
        row = conn.cursor(row_factory=dict_row).execute(
            f"INSERT INTO {TABLE} (kind, id, status, input_uri, output_uri, timeout_minutes) "
            f"VALUES (%s, %s, 'notstarted', %s, %s, %s) RETURNING {_COLUMNS}",
            (kind, job_id, input_uri, output_uri, timeout_minutes),
        )
        return Job(**row.fetchone())  # type: ignore[arg-type]


def get(conn: psycopg.Connection, kind: str, job_id: str) -> Job | None:
    cursor = conn.cursor(row_factory=dict_row)
    row = cursor.execute(
        f"SELECT {_COLUMNS} FROM {TABLE} WHERE kind = %s AND id = %s", (kind, job_id)
    ).fetchone()
    return None if row is None else Job(**row)


def page(conn: psycopg.Connection, kind: str, after: str | None, limit: int) -> list[Job]:
    _purge(conn)
    cursor = conn.cursor(row_factory=dict_row)
    rows = cursor.execute(
        f"SELECT {_COLUMNS} FROM {TABLE} WHERE kind = %s AND (%s::text IS NULL OR id > %s) "
        "ORDER BY id LIMIT %s",
        (kind, after, after, limit),
    ).fetchall()
    return [Job(**row) for row in rows]


def cancel(conn: psycopg.Connection, kind: str, job_id: str) -> Job | None:
    """Ask the runner to stop the job; a finished job stays as it is."""
    conn.execute(
        f"UPDATE {TABLE} SET status = 'cancelling', last_action = now() "
        "WHERE kind = %s AND id = %s AND status IN ('notstarted', 'running')",
        (kind, job_id),
    )
    return get(conn, kind, job_id)


def delete(conn: psycopg.Connection, kind: str, job_id: str) -> bool:
    """Forget a job that is not running; False if there is none or it is still active."""
    cursor = conn.execute(
        f"DELETE FROM {TABLE} WHERE kind = %s AND id = %s AND status <> ALL(%s)",
        (kind, job_id, list(ACTIVE)),
    )
    return cursor.rowcount == 1


def claim(conn: psycopg.Connection) -> bool:
    """Become the one runner (a session lock: it ends with the connection, or a crash)."""
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (_RUNNER_LOCK,)).fetchone()
    return bool(row and row[0])


def next_job(conn: psycopg.Connection) -> Job | None:
    """The oldest job not finished: started jobs first, so one cut short resumes."""
    cursor = conn.cursor(row_factory=dict_row)
    row = cursor.execute(
        f"SELECT {_COLUMNS} FROM {TABLE} WHERE status = ANY(%s) "
        "ORDER BY status = 'notstarted', created LIMIT 1",
        (list(ACTIVE),),
    ).fetchone()
    return None if row is None else Job(**row)


def start(conn: psycopg.Connection, job: Job) -> None:
    conn.execute(
        f"UPDATE {TABLE} SET status = 'running', last_action = now() "
        "WHERE kind = %s AND id = %s AND status = 'notstarted'",
        (job.kind, job.id),
    )


def save_progress(
    conn: psycopg.Connection, job: Job, checkpoint: dict[str, Any], log_size: int
) -> None:
    """Inside the transaction of the unit the checkpoint describes."""
    conn.execute(
        f"UPDATE {TABLE} SET checkpoint = %s, log_size = %s, last_action = now() "
        "WHERE kind = %s AND id = %s",
        (Jsonb(checkpoint), log_size, job.kind, job.id),
    )


def status(conn: psycopg.Connection, job: Job) -> str | None:
    row = conn.execute(
        f"SELECT status FROM {TABLE} WHERE kind = %s AND id = %s", (job.kind, job.id)
    ).fetchone()
    return None if row is None else row[0]


def finish(
    conn: psycopg.Connection, job: Job, final: str, error: dict[str, Any] | None = None
) -> None:
    conn.execute(
        f"UPDATE {TABLE} SET status = %s, error = %s, finished = now(), last_action = now(), "
        "purge = now() + %s WHERE kind = %s AND id = %s",
        (final, None if error is None else Jsonb(error), RETENTION, job.kind, job.id),
    )


def _purge(conn: psycopg.Connection) -> None:
    conn.execute(f"DELETE FROM {TABLE} WHERE purge < now() AND status = ANY(%s)", (list(FINAL),))
