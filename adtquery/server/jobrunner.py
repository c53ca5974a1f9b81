"""The background thread that runs import and delete jobs, one at a time, inside the server.

It works on a connection of its own and holds the runner lock (adtquery.db.jobs.claim) while it
lives, so among several server processes one runs jobs. A job found `running` at start was cut
short (a crash, a kill, a restart): it resumes from its checkpoint. Stopping the server stops an
import after the unit in flight and leaves it `running`, to resume on the next start.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import psycopg

from adtquery.db import jobs
from adtquery.db.connect import server_options
from adtquery.db.importer import Checkpoint, ImportFailed, LogEntry, run_import
from adtquery.db.importlog import OutputLog
from adtquery.db.schema import SESSION_SETUP
from adtquery.schema import GRAPH, MODEL_LABEL, RELATIONSHIP_LABEL, TWIN_LABEL
from adtquery.server import blobs

log = logging.getLogger("adtquery.jobs")

_WIPE = f'TRUNCATE {GRAPH}."{RELATIONSHIP_LABEL}", {GRAPH}."{TWIN_LABEL}", {GRAPH}."{MODEL_LABEL}"'
_RETRY_SECONDS = 5.0  # after the database failed under the runner


class JobRunner(threading.Thread):
    def __init__(self, database_url: str, data_dir: Path, poll_seconds: float = 2.0) -> None:
        super().__init__(name="adtquery-jobs", daemon=True)
        self.database_url = database_url
        self.data_dir = data_dir
        self.poll_seconds = poll_seconds
        self.wake = threading.Event()  # a job was created or cancelled
        self.stopping = threading.Event()

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        self.wake.set()
        self.join(timeout)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self._serve()
            except psycopg.OperationalError as error:
                log.warning("job runner: database unavailable (%s); retrying", error)
                self.stopping.wait(_RETRY_SECONDS)

    def _serve(self) -> None:
        options = server_options(self.database_url)
        with psycopg.connect(self.database_url, autocommit=True, **options) as conn:
            conn.execute(SESSION_SETUP)
            claimed = False
            while not self.stopping.is_set():
                claimed = claimed or jobs.claim(conn)
                job = jobs.next_job(conn) if claimed else None
                if job is None:
                    self.wake.wait(self.poll_seconds)
                    self.wake.clear()
                else:
                    self._run(conn, job)

    def _run(self, conn: psycopg.Connection, job: jobs.Job) -> None:
        try:
            if job.kind == jobs.IMPORT:
                ImportRun(conn, job, self.data_dir, self.stopping).run()
            else:
                _delete_all(conn, job)
        except psycopg.OperationalError:
            raise  # the database went away: the job resumes once it is back
        except Exception as error:  # a job must end, not be retried forever
            log.exception("job %s failed", job.id)
            jobs.finish(conn, job, "failed", _error("InternalServerError", str(error)))


def _delete_all(conn: psycopg.Connection, job: jobs.Job) -> None:
    """ADT's delete job: every relationship, twin and model, in one transaction."""
    jobs.start(conn, job)
    with conn.transaction():
        conn.execute(_WIPE)
        jobs.finish(conn, job, "succeeded")
    log.info("delete job %s: succeeded", job.id)


class ImportRun:
    """One import job, from its checkpoint to a final state (or to the server stopping); the
    importer's sink."""

    def __init__(
        self, conn: psycopg.Connection, job: jobs.Job, data_dir: Path, stopping: threading.Event
    ) -> None:
        self.conn = conn
        self.job = job
        self.data_dir = data_dir
        self.stopping = stopping
        self.cancelled = False

    def run(self) -> None:
        job = self.job
        if job.status == "cancelling" and job.checkpoint is None:
            jobs.finish(self.conn, job, "cancelled")
            return
        try:
            path = blobs.local_path(job.output_uri or "", self.data_dir)
            self.output = OutputLog(path, job.id, size=job.log_size)
        except (blobs.BlobError, OSError) as error:
            jobs.finish(self.conn, job, "failed", _error("InvalidArgument", str(error)))
            return
        try:
            self._run()
        finally:
            self.output.close()

    def _run(self) -> None:
        job = self.job
        start = Checkpoint.from_json(job.checkpoint) if job.checkpoint else Checkpoint()
        if job.checkpoint is None:
            jobs.start(self.conn, job)
            size = self.output.write([LogEntry("Info", {"status": "Started"})])
            jobs.save_progress(self.conn, job, start.to_json(), size)
        log.info("import job %s: from line %d", job.id, start.line)
        try:
            lines = blobs.open_input(job.input_uri or "", self.data_dir, start.offset)
            result = run_import(self.conn, lines, self, start=start)
        except ImportFailed as error:
            return self._end("failed", _error("ValidationFailed", str(error)))
        except blobs.BlobError as error:
            return self._end("failed", _error("InvalidArgument", str(error)))
        done = result.checkpoint
        if result.stopped:
            if self.cancelled:
                self._end("cancelled", None)
            return None  # else the server is stopping: the job resumes on the next start
        if done.failed:
            message = (
                f"{done.failed:,} of {done.entities + done.failed:,} entities were not imported; "
                "the output log names each."
            )
            return self._end("failed", _error("ValidationFailed", message))
        return self._end("succeeded", None)

    def _end(self, final: str, error: dict[str, object] | None) -> None:
        details: dict[str, object] = {"status": final.capitalize()}
        if error is not None:
            details["error"] = error
        self.output.write([LogEntry("Error" if final == "failed" else "Info", details)])
        jobs.finish(self.conn, self.job, final, error)
        log.info("import job %s: %s", self.job.id, final)

    def record(
        self, conn: psycopg.Connection, entries: list[LogEntry], checkpoint: Checkpoint
    ) -> None:
        size = self.output.write(entries)
        jobs.save_progress(conn, self.job, checkpoint.to_json(), size)

    def committed(self, checkpoint: Checkpoint) -> bool:
        if self.stopping.is_set():
            return False
        self.cancelled = jobs.status(self.conn, self.job) == "cancelling"
        return not self.cancelled


def _error(code: str, message: str) -> dict[str, object]:
    return {"code": code, "message": message}
