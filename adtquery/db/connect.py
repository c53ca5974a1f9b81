"""Which database to use, and a connection to it that is ready for adtquery's SQL and Cypher."""

from __future__ import annotations

import os

import psycopg
from psycopg.conninfo import conninfo_to_dict

from adtquery.db import local
from adtquery.db.schema import SESSION_SETUP, ensure_schema

ENVIRONMENT = "ADTQUERY_DATABASE_URL"

# Connection settings a long-running server applies unless the URL sets them. libpq waits 130 s
# for a host that does not answer; keepalives end a statement stuck on a database that vanished
# silently (a dropped network) in about 20 s instead of the kernel's 15 minutes.
_SERVER_DEFAULTS = {
    "connect_timeout": 3,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 3,
    "keepalives_count": 3,
}

_READY: set[str] = set()  # URLs whose schema this process has already ensured


def configured_url(explicit: str | None) -> str | None:
    """`explicit`, else `$ADTQUERY_DATABASE_URL`, else None (an empty value counts as unset)."""
    return explicit or os.environ.get(ENVIRONMENT) or None


def database_url(explicit: str | None) -> str:
    """`explicit`, else `$ADTQUERY_DATABASE_URL`, else the local server (started if need be)."""
    return configured_url(explicit) or local.start()


def server_options(url: str) -> dict[str, int]:
    """`_SERVER_DEFAULTS` less what `url` sets itself, as keyword arguments for psycopg."""
    given = conninfo_to_dict(url)
    return {key: value for key, value in _SERVER_DEFAULTS.items() if key not in given}


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
