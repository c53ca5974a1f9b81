"""The Starlette app: routes, middleware, error handlers and the database pools' lifetime."""

from __future__ import annotations

import contextlib
import os
import secrets
import select
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
import psycopg
import psycopg_pool
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from adtquery.db import jobs
from adtquery.db import routes as event_routes
from adtquery.db.connect import server_options
from adtquery.db.schema import SESSION_SETUP, ensure_schema
from adtquery.errors import AdtError
from adtquery.server import routes
from adtquery.server.access import AccessLogMiddleware
from adtquery.server.auth import JwtAuthMiddleware, JwtVerifier, LoopbackOnlyMiddleware
from adtquery.server.errors import (
    handle_adt_error,
    handle_data_error,
    handle_database_unavailable,
    handle_http_error,
    handle_unexpected,
)
from adtquery.server.jobrunner import JobRunner
from adtquery.server.rawpath import RawPathMiddleware
from adtquery.server.state import ServerState
from adtquery.server.versions import ApiVersionMiddleware

TOKEN_SECRET_ENV = "ADTQUERY_TOKEN_SECRET"


@dataclass(frozen=True)
class Settings:
    database_url: str
    # Continuation tokens are signed with this. Unset, each process draws its own, so tokens die
    # with the process and do not work across instances: multi-instance deployments must set
    # ADTQUERY_TOKEN_SECRET to one shared value.
    token_secret: bytes | None = None
    allow_remote: bool = False
    pool_size: int = 10
    # How long a request waits for a pooled connection before it is answered 503: with the
    # database away, clients hear so in seconds, not after psycopg_pool's default 30 s.
    pool_timeout: float = 3.0
    jwt: JwtVerifier | None = None  # `--auth jwt`: every request but /healthz needs a valid token
    data_dir: Path = field(default_factory=Path.cwd)  # import jobs' file: URIs stay inside it
    run_jobs: bool = True  # this process runs import and delete jobs in the background


def token_secret(settings: Settings) -> bytes:
    if settings.token_secret:
        return settings.token_secret
    if value := os.environ.get(TOKEN_SECRET_ENV):
        return value.encode()
    return secrets.token_bytes(32)


async def _configure(conn: psycopg.AsyncConnection) -> None:
    await conn.execute(SESSION_SETUP)


def _configure_sync(conn: psycopg.Connection) -> None:
    conn.execute(SESSION_SETUP)


def _heard_from(conn: psycopg.BaseConnection[Any]) -> bool:
    """Whether the server sent anything to this idle connection. It sends nothing to a healthy
    one, but closes the socket when it restarts or ends the session: only then is a round trip
    worth spending on a check (one per request otherwise, ~0.1 ms of a 1 ms lookup)."""
    if conn.closed:
        return True
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN)
    return bool(poller.poll(0))


async def _check(conn: psycopg.AsyncConnection) -> None:
    if _heard_from(conn):
        await psycopg_pool.AsyncConnectionPool.check_connection(conn)


def _check_sync(conn: psycopg.Connection) -> None:
    if _heard_from(conn):
        psycopg_pool.ConnectionPool.check_connection(conn)


# psycopg_pool retries a lost connection with a doubling delay (1, 2, 4 ... s) for
# reconnect_timeout, 5 minutes by default, so after a 10 s outage its next attempt could be 16 s
# away. Giving up after a few seconds frees the slot instead, and the next request that finds
# no connection grows the pool again at once: the server recovers as soon as the database does.
_RECONNECT_SECONDS = 3.0


def _pool_arguments(settings: Settings) -> dict[str, Any]:
    """What both pools share. Each pool's `check` tests a connection as it is checked out, so
    connections a database restart broke while idle are discarded, not used."""
    # autocommit: handlers open explicit transactions; configure must not leave one open.
    kwargs = {"autocommit": True, **server_options(settings.database_url)}
    return {
        "conninfo": settings.database_url,
        "kwargs": kwargs,
        "max_size": settings.pool_size,
        "timeout": settings.pool_timeout,
        "reconnect_timeout": _RECONNECT_SECONDS,
        "open": False,
    }


def _ensure_schema(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_schema(conn)
        event_routes.ensure_table(conn)
        jobs.ensure_table(conn)


def create_app(settings: Settings) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        url = settings.database_url
        await anyio.to_thread.run_sync(_ensure_schema, url)
        pool = psycopg_pool.AsyncConnectionPool(
            **_pool_arguments(settings),
            configure=_configure,
            check=_check,
        )
        query_pool = psycopg_pool.ConnectionPool(
            **_pool_arguments(settings),
            configure=_configure_sync,
            check=_check_sync,
        )
        await pool.open(wait=True)
        runner = None
        try:
            await anyio.to_thread.run_sync(lambda: query_pool.open(wait=True))
            runner = JobRunner(url, settings.data_dir) if settings.run_jobs else None
            app.state.adt = ServerState(
                pool, query_pool, token_secret(settings), settings.data_dir, runner
            )
            if runner is not None:
                runner.start()
            yield
        finally:
            if runner is not None:
                await anyio.to_thread.run_sync(runner.stop)
            await anyio.to_thread.run_sync(query_pool.close)
            await pool.close()

    guard = (
        Middleware(JwtAuthMiddleware, verifier=settings.jwt)
        if settings.jwt is not None
        else Middleware(LoopbackOnlyMiddleware, allow_remote=settings.allow_remote)
    )
    middleware = [
        Middleware(AccessLogMiddleware),
        guard,
        Middleware(RawPathMiddleware),
        Middleware(ApiVersionMiddleware),
    ]
    handlers = {
        AdtError: handle_adt_error,
        HTTPException: handle_http_error,
        psycopg.DataError: handle_data_error,
        psycopg.OperationalError: handle_database_unavailable,  # psycopg_pool.PoolTimeout too
        Exception: handle_unexpected,
    }
    return Starlette(
        routes=routes.ALL,
        middleware=middleware,
        exception_handlers=handlers,  # type: ignore[arg-type]
        lifespan=lifespan,
    )
