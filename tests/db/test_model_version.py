"""IS_OF_MODEL through the models as this process last read them: the page's SQL checks that
they are still what is stored, so a model uploaded by another connection or process counts at
once, and the check costs the page nothing per row."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest

from adtquery.compiler import compile_query
from adtquery.db.execute import query_page, run_page, sql_params
from adtquery.db.load import insert_twins
from adtquery.db.models import ModelSets, insert_models, read_graph
from adtquery.schema import MODELS_CHANGED
from tests.db.conftest import connect, throwaway_database

pytestmark = pytest.mark.db
SPACE = {"@id": "dtmi:v:Space;1", "@type": "Interface"}
LAB = {"@id": "dtmi:v:Lab;1", "@type": "Interface", "extends": SPACE["@id"]}
STORE = {"@id": "dtmi:v:Store;1", "@type": "Interface", "extends": SPACE["@id"]}
UPLOADED = "2026-11-24T00:00:00Z"


def _twin(dtid: str, model: str) -> dict:
    return {"$dtId": dtid, "$etag": 'W/"1"', "$metadata": {"$model": model}}


@pytest.fixture
def url(server_url: str) -> Iterator[str]:
    with throwaway_database(server_url) as database_url:
        yield database_url


def _rows(conn: psycopg.Connection, query: str) -> list[dict]:
    page = query_page(conn, query=query, continuation_token=None, page_size=50, secret=b"v")
    return page.rows


def test_models_uploaded_elsewhere_count_in_the_next_query(url: str) -> None:
    spaces = "SELECT T.$dtId FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:v:Space;1')"
    count = "SELECT COUNT() FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:v:Space;1')"
    with connect(url) as reader, connect(url) as writer:
        insert_models(writer, [SPACE], UPLOADED)
        insert_twins(writer, [_twin("lab", LAB["@id"]), _twin("store", STORE["@id"])])
        assert _rows(reader, spaces) == []  # Lab and Store are not models yet
        insert_models(writer, [LAB], UPLOADED)
        assert _rows(reader, spaces) == [{"$dtId": "lab"}]
        insert_models(writer, [STORE], UPLOADED)
        assert _rows(reader, count) == [{"COUNT": 2}]


def test_a_page_refuses_model_sets_expanded_from_other_models(url: str) -> None:
    compiled = compile_query("SELECT * FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:v:Lab;1')")
    with connect(url) as conn:
        before = read_graph(conn).version
        insert_models(conn, [SPACE, LAB], UPLOADED)
        with pytest.raises(psycopg.DatabaseError) as refused:
            run_page(conn, compiled, ModelSets(before, {"m0": [LAB["@id"]]}), 10)
        assert refused.value.sqlstate == MODELS_CHANGED
        current = read_graph(conn).sets(compiled.model_sets)
        assert current.version != before
        assert run_page(conn, compiled, current, 10).rows == []


def test_the_check_runs_once_per_page_not_once_per_row(url: str) -> None:
    compiled = compile_query("SELECT * FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:v:Lab;1')")
    with connect(url) as conn:
        arguments = sql_params(compiled, read_graph(conn).sets(compiled.model_sets))
        statement = compiled.paged.page(10, resumed=False)
        [[plan]] = conn.execute(f"EXPLAIN (FORMAT JSON) {statement}", arguments).fetchall()
    checks = [
        node for node in _nodes(plan[0]["Plan"]) if "check_models_version" in json.dumps(node)
    ]
    assert checks and all(
        "check_models_version" in node.get("One-Time Filter", "") for node in checks
    )


def _nodes(plan: dict) -> Iterator[dict]:
    yield {key: value for key, value in plan.items() if key != "Plans"}
    for child in plan.get("Plans", ()):
        yield from _nodes(child)
