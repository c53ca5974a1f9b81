"""Run the app under uvicorn (`adtquery serve`): pick the database, check the bind, log."""

from __future__ import annotations

import logging

import uvicorn

from adtquery.server.app import Settings, create_app
from adtquery.server.auth import check_bind


def run(
    *, host: str, port: int, database_url: str, insecure: bool = False, log_level: str = "info"
) -> None:
    check_bind(host, insecure)
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    app = create_app(Settings(database_url=database_url, allow_remote=insecure))
    # uvicorn stops accepting on SIGINT/SIGTERM, lets requests in flight finish (up to the
    # timeout), then runs the lifespan shutdown that closes the pools.
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,  # AccessLogMiddleware writes one line per request instead
        timeout_graceful_shutdown=10,
    )
    uvicorn.Server(config).run()
