"""Which database to use, and a connection to it that is ready for adtquery's SQL and Cypher."""

from __future__ import annotations

import os

import psycopg

from adtquery.db import local
from adtquery.db.schema import SESSION_SETUP, ensure_schema

ENVIRONMENT = "ADTQUERY_DATABASE_URL"

_READY: set[str] = set()  # URLs whose schema this process has already ensured


def configured_url(explicit: str | None) -> str | None:
    """`explicit`, else `$ADTQUERY_DATABASE_URL`, else None (an empty value counts as unset)."""
    return explicit or os.environ.get(ENVIRONMENT) or None


def database_url(explicit: str | None) -> str:
    """`explicit`, else `$ADTQUERY_DATABASE_URL`, else the local server (started if need be)."""
    return configured_url(explicit) or local.start()


def connect(url: str) -> psycopg.Connection:
    """An autocommit connection with AGE loaded; the schema is ensured once per URL and process."""
    conn = psycopg.connect(url, autocommit=True)
    try:
        conn.execute(SESSION_SETUP)
        if url not in _READY:
            ensure_schema(conn)
            _READY.add(url)
    except BaseException:
        conn.close()
        raise
    return conn
