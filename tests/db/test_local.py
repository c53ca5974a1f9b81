"""The locally provisioned PostgreSQL 17 + Apache AGE server (needs root on Linux)."""

from __future__ import annotations

import os
import sys
import time

import psycopg
import pytest

from adtquery.db import local

pytestmark = [
    pytest.mark.db,
    pytest.mark.skipif(
        sys.platform != "linux" or os.geteuid() != 0,
        reason="local provisioning needs root on Linux",
    ),
]

# Not the default port, so the test can run next to another local server on 54329.
TEST_PORT = int(os.environ.get("ADTQUERY_TEST_PORT", "54330"))


def test_start_runs_age_and_is_idempotent() -> None:
    was_running = local.is_running()
    # A server someone already started is shared as is, whatever its port.
    url = local.start(port=None if was_running else TEST_PORT)
    graph = f"t_graph_{os.getpid()}"  # unique: the server may be shared
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS age")
            conn.execute("LOAD 'age'")
            conn.execute('SET search_path = ag_catalog, "$user", public')
            conn.execute("SELECT create_graph(%s)", (graph,))
            try:
                rows = conn.execute(
                    f"SELECT * FROM cypher('{graph}', $$ RETURN 1 $$) AS (x agtype)"
                ).fetchall()
            finally:
                conn.execute("SELECT drop_graph(%s, true)", (graph,))
        assert [str(x) for (x,) in rows] == ["1"]

        began = time.monotonic()
        assert local.start() == url
        assert time.monotonic() - began < 2
        assert local.is_running()
        assert local.running_url() == url
    finally:
        if not was_running:
            local.stop()
    if not was_running:
        assert not local.is_running()
        local.stop()  # stopping a stopped server is a no-op
