"""Run the app under uvicorn (`adtquery serve`): pick the database, check the bind, log."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import uvicorn

from adtquery.server.app import Settings, create_app
from adtquery.server.auth import JwtVerifier, check_bind, load_auth

__all__ = ["check_bind", "load_auth", "run"]


def run(
    *,
    host: str,
    port: int,
    database_url: str,
    insecure: bool = False,
    jwt: JwtVerifier | None = None,
    data_dir: Path | None = None,
    log_level: str = "info",
) -> None:
    """Serve until SIGINT/SIGTERM. `jwt` (from `load_auth`, keys already read) turns on token
    checks; without it only loopback is served, unless `insecure`."""
    check_bind(host, insecure, authenticated=jwt is not None)
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    settings = Settings(database_url=database_url, allow_remote=insecure, jwt=jwt)
    if data_dir is not None:
        settings = replace(settings, data_dir=data_dir)
    app = create_app(settings)
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
