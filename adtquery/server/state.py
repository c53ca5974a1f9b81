"""What every handler needs from the running server, kept on `app.state.adt`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg_pool
from starlette.requests import Request

from adtquery.server.jobrunner import JobRunner


@dataclass
class ServerState:
    pool: psycopg_pool.AsyncConnectionPool  # CRUD: async handlers, short transactions
    # POST /query runs adtquery.db.execute, which is synchronous: it gets its own pool and a thread.
    query_pool: psycopg_pool.ConnectionPool
    token_secret: bytes
    data_dir: Path  # import jobs read and write file: URIs inside it
    runner: JobRunner | None = None

    def wake_runner(self) -> None:
        """A job was created or cancelled: the runner need not wait for its next poll."""
        if self.runner is not None:
            self.runner.wake.set()


def state(request: Request) -> ServerState:
    return request.app.state.adt  # type: ignore[no-any-return]
