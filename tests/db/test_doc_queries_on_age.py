"""Every valid query from the ADT documentation runs on AGE without a database error.

The queries come from ../shared/adt-doc-queries.jsonl (beside the project root); the graph is the
conformance graph (conformance_graph.py). Most documentation queries name twins and models that
graph does not hold, so their rows are not checked here (test_conformance.py checks rows): what
is checked is that the generated SQL (first page of POST /query) and Cypher both run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from adtquery.compiler import compile_query
from adtquery.db.execute import query_page, run_cypher
from adtquery.db.models import resolve_model_sets
from tests.db import conformance_graph
from tests.db.conftest import connect

pytestmark = pytest.mark.db

DOC_QUERIES = Path(__file__).resolve().parents[2].parent / "shared" / "adt-doc-queries.jsonl"
SECRET = b"doc-queries-secret"


def _valid_entries() -> list[Any]:
    lines = DOC_QUERIES.read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines if line.strip()]
    params = []
    for index, entry in enumerate(entries):
        if not entry["valid"]:
            continue
        source = entry["source"]
        anchor = source.rsplit("#", 1)[1] if "#" in source else source.rsplit("/", 1)[-1]
        name = f"doc-{index}-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", anchor).strip("-")[:60]
        params.append(pytest.param(entry["query"], id=name))
    return params


VALID = _valid_entries()


@pytest.fixture(scope="module")
def conn(schema_url: str) -> Iterator[psycopg.Connection]:
    with connect(schema_url) as connection:
        connection.execute("SET statement_timeout = '20s'")
        conformance_graph.load(connection)
        yield connection


def test_the_file_has_the_valid_documented_queries() -> None:
    assert len(VALID) >= 143


@pytest.mark.parametrize("query", VALID)
def test_documented_query_runs_on_age(conn: psycopg.Connection, query: str) -> None:
    page = query_page(conn, query=query, continuation_token=None, page_size=10, secret=SECRET)
    assert len(page.rows) <= 10
    compiled = compile_query(query)
    rows = run_cypher(conn, compiled, resolve_model_sets(conn, compiled.model_sets))
    if compiled.top is None and page.continuation_token is None:
        # One complete page: both translations found the same number of rows.
        assert len(rows) == len(page.rows)
