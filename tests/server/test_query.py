"""POST /query: pages, continuation tokens, page size, and the errors ADT gives."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from azure.core.exceptions import HttpResponseError
from azure.digitaltwins.core import DigitalTwinsClient

from adtquery.db.load import insert_twins
from tests.db.conftest import connect
from tests.server.conftest import error_code

pytestmark = pytest.mark.db

COUNT = 250
ALL = "SELECT * FROM DIGITALTWINS"


@pytest.fixture(scope="module", autouse=True)
def twins(schema_url: str) -> Iterator[None]:
    documents = [
        {
            "$dtId": f"room-{i:03}",
            "$etag": f'W/"etag-{i}"',
            "$metadata": {"$model": "dtmi:test:Room;1"},
            "n": i,
        }
        for i in range(COUNT)
    ]
    with connect(schema_url) as conn:
        insert_twins(conn, documents)
    yield


def test_sdk_reads_every_page(client: DigitalTwinsClient) -> None:
    pages = list(client.query_twins(ALL).by_page())
    assert [len(list(page)) for page in pages] == [100, 100, 50]
    ids = sorted(twin["$dtId"] for twin in client.query_twins(ALL))
    assert ids == [f"room-{i:03}" for i in range(COUNT)]


def test_async_sdk_reads_every_page(async_client) -> None:  # type: ignore[no-untyped-def]
    async def collect() -> list[str]:
        async with async_client:
            return [twin["$dtId"] async for twin in async_client.query_twins(ALL)]

    assert len(asyncio.run(collect())) == COUNT


def test_wire_shape_and_page_size_header(http: httpx.Client) -> None:
    response = http.post("/query", json={"query": ALL}, headers={"max-items-per-page": "120"})
    assert response.status_code == 200
    assert float(response.headers["query-charge"]) > 0
    body = response.json()
    assert len(body["value"]) == 120
    assert set(body["value"][0]) == {"$dtId", "$etag", "$metadata", "n"}
    # The spec's QueryNextPage sends the token alone.
    token = body["continuationToken"]
    second = http.post("/query", json={"continuationToken": token}).json()
    assert len(second["value"]) == 100
    third = http.post(
        "/query", json={"query": ALL, "continuationToken": second["continuationToken"]}
    )
    assert third.json()["continuationToken"] is None
    assert len(third.json()["value"]) == 30


def test_last_page_has_null_token(http: httpx.Client) -> None:
    body = http.post("/query", json={"query": "SELECT COUNT() FROM DIGITALTWINS"}).json()
    assert body == {"value": [{"COUNT": COUNT}], "continuationToken": None}


def test_projection(client: DigitalTwinsClient) -> None:
    rows = list(client.query_twins("SELECT T.n FROM DIGITALTWINS T WHERE T.$dtId = 'room-007'"))
    assert rows == [{"n": 7}]


def test_compile_error_is_sql_query_error(client: DigitalTwinsClient, http: httpx.Client) -> None:
    response = http.post("/query", json={"query": "foo"})
    assert response.status_code == 400
    assert error_code(response) == "SqlQueryError"
    assert "SELECT" in response.json()["error"]["message"]
    with pytest.raises(HttpResponseError) as raised:
        list(client.query_twins("SELECT FROM"))
    assert raised.value.status_code == 400
    assert raised.value.error.code == "SqlQueryError"


@pytest.mark.parametrize("token", ["garbage", "a.b", ""])
def test_bad_token_is_bad_request(http: httpx.Client, token: str) -> None:
    response = http.post("/query", json={"query": ALL, "continuationToken": token or "x.y.z"})
    assert response.status_code == 400
    assert error_code(response) == "BadRequest"


def test_token_bound_to_its_query(http: httpx.Client) -> None:
    token = http.post("/query", json={"query": ALL}).json()["continuationToken"]
    other = "SELECT * FROM DIGITALTWINS T WHERE T.n > 3"
    response = http.post("/query", json={"query": other, "continuationToken": token})
    assert error_code(response) == "BadRequest"


@pytest.mark.parametrize("body", [{}, {"query": 5}, [], {"query": None, "continuationToken": None}])
def test_missing_or_mistyped_query_is_400(http: httpx.Client, body: object) -> None:
    response = http.post("/query", json=body)
    assert response.status_code == 400


@pytest.mark.parametrize("size", ["0", "-3", "ten"])
def test_bad_page_size_is_400(http: httpx.Client, size: str) -> None:
    response = http.post("/query", json={"query": ALL}, headers={"max-items-per-page": size})
    assert response.status_code == 400
