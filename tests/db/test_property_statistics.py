"""Statistics on declared properties: the planner's row estimates for property filters come
from the data, not from a fixed guess (adtquery.db.schema.PROPERTY_STATISTICS)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from adtquery.compiler import compile_query
from adtquery.db.connect import connect
from adtquery.db.execute import sql_params
from adtquery.db.load import insert_twins
from adtquery.db.models import insert_models
from adtquery.db.schema import PROPERTY_STATISTICS

MODEL = {
    "@id": "dtmi:test:Part;1",
    "@type": "Interface",
    "@context": "dtmi:dtdl:context;3",
    "contents": [
        {"@type": "Property", "name": "kind", "schema": "string"},
        {"@type": ["Property", "Temperature"], "name": "heat", "schema": "double",
         "unit": "degreeCelsius"},
        {"@type": "Telemetry", "name": "reading", "schema": "double"},
        {"@type": "Property", "name": "tags", "schema": {
            "@type": "Map", "mapKey": {"name": "k", "schema": "string"},
            "mapValue": {"name": "v", "schema": "string"}}},
        {"@type": "Property", "name": "mode", "schema": {
            "@type": "Enum", "valueSchema": "string",
            "enumValues": [{"name": "on", "enumValue": "on"}]}},
    ],
}  # fmt: skip
TWINS = 20_000  # fewer than ANALYZE's sample: every twin is counted


@pytest.fixture(scope="module")
def conn(schema_url: str) -> Iterator[psycopg.Connection]:
    with connect(schema_url) as conn:
        insert_models(conn, [MODEL], "2026-11-23T00:00:00Z")
        twins = [
            {"$dtId": f"p{i}", "$metadata": {"$model": MODEL["@id"]}, "kind": kind}
            for i, kind in enumerate(["rare"] * 10 + ["common"] * (TWINS - 10))
        ]
        insert_twins(conn, twins)
        conn.execute('ANALYZE adt."Twin"')
        yield conn


def statistics(conn: psycopg.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT stxname FROM pg_statistic_ext")}


def test_each_declared_property_gets_statistics_and_nothing_else(
    conn: psycopg.Connection,
) -> None:
    names = statistics(conn)
    assert {name.rsplit("_", 1)[0] for name in names} == {"twin_kind", "twin_heat", "twin_mode"}


def test_creating_them_again_changes_nothing(conn: psycopg.Connection) -> None:
    before = statistics(conn)
    conn.execute(PROPERTY_STATISTICS)
    assert statistics(conn) == before


def estimated_rows(conn: psycopg.Connection, query: str) -> int:
    compiled = compile_query(query)
    statement = compiled.paged.page(TWINS, resumed=False)
    [[plan]] = conn.execute(f"EXPLAIN (FORMAT JSON) {statement}", sql_params(compiled, None))
    node = plan[0]["Plan"]
    while node["Node Type"] in ("Limit", "Sort", "Gather", "Gather Merge"):
        node = node["Plans"][0]
    return int(node["Plan Rows"])


@pytest.mark.parametrize(("value", "low", "high"), [("common", 15_000, TWINS), ("rare", 1, 50)])
def test_the_planner_knows_how_many_twins_a_value_selects(
    conn: psycopg.Connection, value: str, low: int, high: int
) -> None:
    # Without statistics both would be estimated at 0.5% of the twins (100).
    query = f"SELECT * FROM DIGITALTWINS T WHERE T.kind = '{value}'"
    assert low <= estimated_rows(conn, query) <= high
