"""A throwaway database on a real AGE server: ADTQUERY_TEST_DATABASE_URL, else the local one."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from adtquery.db import local
from adtquery.db.execute import query_page
from adtquery.db.schema import SESSION_SETUP, ensure_schema


@pytest.fixture(scope="session")
def server_url() -> str:
    url = os.environ.get("ADTQUERY_TEST_DATABASE_URL")
    # CI never skips these: with no URL the suite provisions the local AGE server itself.
    return url or local.start()


@contextlib.contextmanager
def throwaway_database(server_url: str) -> Iterator[str]:
    """A new database with the adtquery schema, dropped afterwards; never the user's."""
    name = f"adtquery_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_conninfo(**{**conninfo_to_dict(server_url), "dbname": name})
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            ensure_schema(conn)
        yield url
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def schema_url(server_url: str) -> Iterator[str]:
    """A database of the module's own, so each module knows exactly what is stored."""
    with throwaway_database(server_url) as url:
        yield url


def all_pages(
    conn: psycopg.Connection, query: str, size: int, *, max_pages: int = 500
) -> list[list[dict[str, Any]]]:
    """Every page of POST /query, the SDK's way: the query again with each token."""
    pages = []
    token = None
    while True:
        page = query_page(
            conn, query=query, continuation_token=token, page_size=size, secret=b"tests"
        )
        pages.append(page.rows)
        token = page.continuation_token
        if token is None:
            return pages
        assert len(pages) < max_pages, "paging does not end"


def connect(url: str) -> psycopg.Connection:
    conn = psycopg.connect(url, autocommit=True)
    conn.execute(SESSION_SETUP)
    return conn
