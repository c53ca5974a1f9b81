"""POST /query's paging on real AGE: tokens, TOP across pages, inheritance in IS_OF_MODEL."""

from __future__ import annotations

import math
from collections.abc import Iterator

import psycopg
import pytest

from adtquery.db.execute import QueryPage, query_page
from adtquery.db.load import insert_relationships, insert_twins
from adtquery.db.models import insert_models
from adtquery.errors import BadRequest
from adtquery.schema import GRAPH, TWIN_LABEL
from tests.db.conftest import connect

pytestmark = pytest.mark.db
SECRET = b"s"
MODELS = [
    {"@id": "dtmi:t:Space;1", "@type": "Interface"},
    {"@id": "dtmi:t:Room;1", "@type": "Interface", "extends": "dtmi:t:Space;1"},
    {"@id": "dtmi:t:Room;2", "@type": "Interface", "extends": ["dtmi:t:Space;1"]},
    {"@id": "dtmi:t:MeetingRoom;1", "@type": "Interface", "extends": "dtmi:t:Room;2"},
    {"@id": "dtmi:t:Sensor;1", "@type": "Interface"},
]


def _twin(dtid: str, model: str, **props: object) -> dict:
    return {"$dtId": dtid, "$etag": 'W/"1"', "$metadata": {"$model": model}, **props}


@pytest.fixture(scope="module")
def conn(schema_url: str) -> Iterator[psycopg.Connection]:
    with connect(schema_url) as connection:
        twins = [_twin(f"room{i:02}", MODELS[i % 4]["@id"], n=i) for i in range(25)]
        twins.append(_twin("sensor", "dtmi:t:Sensor;1"))
        insert_twins(connection, twins)
        insert_relationships(
            connection,
            [
                {"$relationshipId": f"r{i}", "$sourceId": "room00", "$targetId": f"room{i:02}",
                 "$relationshipName": "contains", "$etag": 'W/"r"'}
                for i in range(1, 25)
            ],
        )  # fmt: skip
        insert_models(connection, MODELS, "2026-11-23T00:00:00Z")
        yield connection


def _all_pages(conn: psycopg.Connection, query: str, size: int) -> list[QueryPage]:
    pages = [query_page(conn, query=query, continuation_token=None, page_size=size, secret=SECRET)]
    while pages[-1].continuation_token:
        # The Python SDK sends the query again with the token; ADT ignores it.
        pages.append(
            query_page(
                conn,
                query=query,
                continuation_token=pages[-1].continuation_token,
                page_size=size,
                secret=SECRET,
            )
        )
    return pages


def test_pages_cover_every_row_once_and_none_is_empty(conn: psycopg.Connection) -> None:
    pages = _all_pages(conn, "SELECT T.n FROM DIGITALTWINS T WHERE IS_NUMBER(T.n)", 7)
    assert [len(page.rows) for page in pages] == [7, 7, 7, 4]
    assert sorted(row["n"] for page in pages for row in page.rows) == list(range(25))


def test_a_page_that_ends_the_result_exactly_has_no_token(conn: psycopg.Connection) -> None:
    pages = _all_pages(conn, "SELECT T.n FROM DIGITALTWINS T WHERE T.n < 20", 5)
    assert [len(page.rows) for page in pages] == [5, 5, 5, 5]


def test_top_holds_across_pages(conn: psycopg.Connection) -> None:
    pages = _all_pages(conn, "SELECT TOP(12) T.n FROM DIGITALTWINS T", 5)
    assert [len(page.rows) for page in pages] == [5, 5, 2]


def test_join_pages(conn: psycopg.Connection) -> None:
    query = "SELECT C FROM DIGITALTWINS R JOIN C RELATED R.contains WHERE R.$dtId = 'room00'"
    pages = _all_pages(conn, query, 10)
    assert sum(len(page.rows) for page in pages) == 24


def test_is_of_model_follows_versions_and_extends(conn: psycopg.Connection) -> None:
    def count(query: str) -> int:
        page = query_page(conn, query=query, continuation_token=None, page_size=10, secret=SECRET)
        return page.rows[0]["COUNT"]

    assert count("SELECT COUNT() FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:t:Space;1')") == 25
    # Room;1 takes Room;2 (a later version) and MeetingRoom;1 (extends Room;2): 3 of 4 models.
    assert count("SELECT COUNT() FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:t:Room;1')") == 18
    assert count("SELECT COUNT() FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:t:Room;2')") == 12
    exact = "SELECT COUNT() FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:t:Room;1', exact)"
    assert count(exact) == 6


def test_a_token_for_another_query_is_refused(conn: psycopg.Connection) -> None:
    first = query_page(
        conn,
        query="SELECT * FROM DIGITALTWINS",
        continuation_token=None,
        page_size=2,
        secret=SECRET,
    )
    assert first.continuation_token
    with pytest.raises(BadRequest):
        query_page(
            conn,
            query="SELECT T FROM DIGITALTWINS T",
            continuation_token=first.continuation_token,
            page_size=2,
            secret=SECRET,
        )


def test_floats_json_cannot_spell_come_back_as_floats(conn: psycopg.Connection) -> None:
    # Only a write through Cypher or SQL stores them (ADT's API takes JSON); rows still decode.
    document = (
        '{"$dtId": "odd", "$metadata": {"$model": "dtmi:t:Sensor;1"}, '
        '"low": -Infinity, "reading": NaN}'
    )
    conn.execute(
        f'INSERT INTO {GRAPH}."{TWIN_LABEL}" (properties) VALUES (%s::text::ag_catalog.agtype)',
        (document,),
    )
    query = "SELECT T.low, T.reading FROM DIGITALTWINS T WHERE T.$dtId = 'odd'"
    page = query_page(conn, query=query, continuation_token=None, page_size=5, secret=SECRET)
    [row] = page.rows
    assert row["low"] == -math.inf
    assert math.isnan(row["reading"])
