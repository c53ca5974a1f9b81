"""What every handler needs from the running server, kept on `app.state.adt`."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg_pool
from starlette.requests import Request


@dataclass
class ServerState:
    pool: psycopg_pool.AsyncConnectionPool  # CRUD: async handlers, short transactions
    # POST /query runs adtquery.db.execute, which is synchronous: it gets its own pool and a thread.
    query_pool: psycopg_pool.ConnectionPool
    token_secret: bytes


def state(request: Request) -> ServerState:
    return request.app.state.adt  # type: ignore[no-any-return]
