"""/digitaltwins/{id}: the SDK's round trips, ETags, JSON Patch, and ADT's error codes."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.digitaltwins.core import DigitalTwinsClient

from tests.server.conftest import error_code

pytestmark = pytest.mark.db

ROOM = "dtmi:test:Room;1"
MODELS = [
    {
        "@id": "dtmi:test:Sensor;1",
        "@type": "Interface",
        "@context": "dtmi:dtdl:context;2",
        "contents": [{"@type": "Property", "name": "reading", "schema": "double"}],
    },
    {
        "@id": ROOM,
        "@type": "Interface",
        "@context": "dtmi:dtdl:context;2",
        "contents": [
            {"@type": "Property", "name": "name", "schema": "string"},
            {"@type": "Property", "name": "t", "schema": "double"},
            {"@type": "Component", "name": "sensor", "schema": "dtmi:test:Sensor;1"},
        ],
    },
    {"@id": "dtmi:test:Retired;1", "@type": "Interface", "@context": "dtmi:dtdl:context;2"},
]


def room(**properties: Any) -> dict[str, Any]:
    """A Room twin; ADT wants every component present, if only as `{"$metadata": {}}`."""
    return {"$metadata": {"$model": ROOM}, "sensor": {"$metadata": {}}, **properties}


@pytest.fixture(scope="module", autouse=True)
def models(client: DigitalTwinsClient) -> None:
    client.create_models(MODELS)
    client.decommission_model("dtmi:test:Retired;1")


def test_put_returns_what_get_returns(client: DigitalTwinsClient) -> None:
    sensor = {"$metadata": {}, "reading": 1.5}
    created = client.upsert_digital_twin("r1", room(name="one", t=20.5, sensor=sensor))
    assert created["$dtId"] == "r1"
    assert created["$etag"].startswith('W/"')
    metadata = created["$metadata"]
    assert metadata["$model"] == ROOM
    assert set(metadata) == {"$model", "$lastUpdateTime", "name", "t", "sensor"}
    assert metadata["t"] == {"lastUpdateTime": metadata["$lastUpdateTime"]}
    assert set(created["sensor"]["$metadata"]) == {"$lastUpdateTime", "reading"}
    assert client.get_digital_twin("r1") == created


def test_wire_put_get_and_encoded_ids(http: httpx.Client) -> None:
    twin_id = "a b/c:d;1"
    path = "/digitaltwins/a%20b%2Fc%3Ad%3B1"
    body = room(t=1, **{"$dtId": "ignored", "$etag": "ignored"})
    response = http.put(path, json=body)
    assert response.status_code == 200
    twin = response.json()
    assert twin["$dtId"] == twin_id
    assert response.headers["etag"] == twin["$etag"]
    got = http.get(path)
    assert got.json() == twin and got.headers["etag"] == twin["$etag"]
    assert http.get("/digitaltwins/a%20b").status_code == 404
    assert http.delete(path).status_code == 204


def test_sdk_handles_slash_in_id(client: DigitalTwinsClient) -> None:
    client.upsert_digital_twin("x/y", room())
    assert client.get_digital_twin("x/y")["$dtId"] == "x/y"
    client.delete_digital_twin("x/y")


def test_if_none_match_star_refuses_existing(client: DigitalTwinsClient) -> None:
    client.upsert_digital_twin("once", room(), match_condition=MatchConditions.IfMissing)
    with pytest.raises(ResourceExistsError):
        client.upsert_digital_twin("once", room(), match_condition=MatchConditions.IfMissing)


def test_replace_keeps_id_and_changes_etag(client: DigitalTwinsClient) -> None:
    first = client.upsert_digital_twin("rep", room(t=1))
    second = client.upsert_digital_twin("rep", room(name="n"))
    assert second["$etag"] != first["$etag"]
    assert "t" not in second and second["name"] == "n"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ([{}], "InvalidArgument"),
        ({"t": 1}, "InvalidArgument"),
        ({"$metadata": {"$model": "dtmi:test:Nope;1"}}, "ValidationFailed"),
        (room(LowestTemperature=3), "ValidationFailed"),
        ({"$metadata": {"$model": "dtmi:test:Retired;1"}}, "ModelDecommissioned"),
    ],
)
def test_bad_put_bodies(http: httpx.Client, body: Any, code: str) -> None:
    response = http.put("/digitaltwins/bad", json=body)
    assert response.status_code == 400
    assert error_code(response) == code


def test_validation_failure_has_details(http: httpx.Client) -> None:
    error = http.put("/digitaltwins/bad", json=room(Lowest=1)).json()["error"]
    assert error["details"][0]["message"] == "Lowest does not appear on the DTDL for Twin."


def test_get_missing_twin(client: DigitalTwinsClient) -> None:
    with pytest.raises(ResourceNotFoundError) as raised:
        client.get_digital_twin("missing")
    assert raised.value.error.code == "DigitalTwinNotFound"


def test_patch_properties_and_metadata(client: DigitalTwinsClient, http: httpx.Client) -> None:
    before = client.upsert_digital_twin("p1", room(name="a", t=1.0))
    patch = [
        {"op": "replace", "path": "/t", "value": 2.0},
        {"op": "add", "path": "/$metadata/t/sourceTime", "value": "2024-01-01T00:00:00Z"},
        {"op": "remove", "path": "/name"},
    ]
    response = http.patch(
        "/digitaltwins/p1", json=patch, headers={"Content-Type": "application/json-patch+json"}
    )
    assert response.status_code == 204
    after = client.get_digital_twin("p1")
    assert response.headers["etag"] == after["$etag"] != before["$etag"]
    assert after["t"] == 2.0 and "name" not in after and "name" not in after["$metadata"]
    assert after["$metadata"]["t"]["sourceTime"] == "2024-01-01T00:00:00Z"
    # A property the patch leaves alone keeps its time.
    client.update_digital_twin("p1", [{"op": "add", "path": "/name", "value": "b"}])
    later = client.get_digital_twin("p1")
    assert later["$metadata"]["t"] == after["$metadata"]["t"]
    assert later["$metadata"]["name"]["lastUpdateTime"] >= after["$metadata"]["t"]["lastUpdateTime"]


def test_patch_model_and_component(client: DigitalTwinsClient) -> None:
    client.upsert_digital_twin("p2", room(sensor={"$metadata": {}, "reading": 1}))
    client.update_digital_twin("p2", [{"op": "replace", "path": "/sensor/reading", "value": 5}])
    assert client.get_digital_twin("p2")["sensor"]["reading"] == 5
    client.upsert_digital_twin("bare", {"$metadata": {"$model": "dtmi:test:Sensor;1"}})
    to_room = [
        {"op": "replace", "path": "/$metadata/$model", "value": ROOM},
        {"op": "add", "path": "/sensor", "value": {"$metadata": {}}},
    ]
    client.update_digital_twin("bare", to_room)
    assert client.get_digital_twin("bare")["$metadata"]["$model"] == ROOM


@pytest.mark.parametrize(
    "patch",
    [
        [{"op": "move", "from": "/t", "path": "/u"}],
        [{}],
        [{"op": "replace", "path": "/absent", "value": 1}],
        [{"op": "replace", "path": "/$dtId", "value": "other"}],
        [{"op": "replace", "path": "/$metadata/t/lastUpdateTime", "value": "x"}],
        {"op": "add", "path": "/t", "value": 1},
    ],
)
def test_bad_patches(http: httpx.Client, patch: Any) -> None:
    http.put("/digitaltwins/p3", json=room(t=1))
    response = http.patch("/digitaltwins/p3", json=patch)
    assert response.status_code == 400
    assert error_code(response) == "JsonPatchInvalid"


def test_patch_that_breaks_the_model_is_refused(http: httpx.Client) -> None:
    http.put("/digitaltwins/p4", json=room())
    response = http.patch("/digitaltwins/p4", json=[{"op": "add", "path": "/bogus", "value": 1}])
    assert error_code(response) == "ValidationFailed"


def test_patch_missing_twin(client: DigitalTwinsClient) -> None:
    with pytest.raises(ResourceNotFoundError):
        client.update_digital_twin("nobody", [{"op": "add", "path": "/t", "value": 1}])


def test_if_match(client: DigitalTwinsClient) -> None:
    twin = client.upsert_digital_twin("m1", room(t=1))
    stale = 'W/"00000000-0000-0000-0000-000000000000"'
    patch = [{"op": "replace", "path": "/t", "value": 2}]
    with pytest.raises(ResourceModifiedError):
        client.update_digital_twin(
            "m1", patch, match_condition=MatchConditions.IfNotModified, etag=stale
        )
    client.update_digital_twin(
        "m1", patch, match_condition=MatchConditions.IfNotModified, etag=twin["$etag"]
    )
    client.update_digital_twin("m1", patch, match_condition=MatchConditions.IfPresent)
    with pytest.raises(ResourceModifiedError):
        client.delete_digital_twin("m1", match_condition=MatchConditions.IfNotModified, etag=stale)
    current = client.get_digital_twin("m1")["$etag"]
    client.delete_digital_twin("m1", match_condition=MatchConditions.IfNotModified, etag=current)


def test_etag_race_has_one_winner(endpoint: str, http: httpx.Client) -> None:
    etag = http.put("/digitaltwins/race", json=room(t=0)).json()["$etag"]
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def patch(value: int) -> None:
        with httpx.Client(base_url=endpoint, params={"api-version": "2023-10-31"}) as own:
            barrier.wait()
            body = [{"op": "replace", "path": "/t", "value": value}]
            statuses.append(
                own.patch("/digitaltwins/race", json=body, headers={"If-Match": etag}).status_code
            )

    threads = [threading.Thread(target=patch, args=(value,)) for value in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [204, 412]


def test_delete(client: DigitalTwinsClient, http: httpx.Client) -> None:
    client.upsert_digital_twin("gone", room())
    response = http.delete("/digitaltwins/gone")
    assert response.status_code == 204 and response.content == b""
    with pytest.raises(ResourceNotFoundError):
        client.delete_digital_twin("gone")


def test_query_sees_written_twins(client: DigitalTwinsClient) -> None:
    client.upsert_digital_twin("q1", room(t=42.0))
    rows = list(client.query_twins("SELECT * FROM DIGITALTWINS T WHERE T.t = 42"))
    assert rows == [client.get_digital_twin("q1")]


def test_async_client_round_trip(async_client) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    async def run() -> dict[str, Any]:
        async with async_client:
            await async_client.upsert_digital_twin("async1", room(t=3.0))
            return await async_client.get_digital_twin("async1")  # type: ignore[no-any-return]

    assert asyncio.run(run())["t"] == 3.0


def test_sdk_error_for_bad_patch(client: DigitalTwinsClient) -> None:
    client.upsert_digital_twin("p5", room())
    with pytest.raises(HttpResponseError) as raised:
        client.update_digital_twin("p5", [{"op": "move", "from": "/a", "path": "/b"}])
    assert raised.value.error.code == "JsonPatchInvalid"


def test_unstorable_text_is_400_not_500(http: httpx.Client) -> None:
    response = http.put("/digitaltwins/nul", json=room(name="a\u0000b"))
    assert response.status_code == 400


def test_wrong_value_type_is_validation_failed(http: httpx.Client) -> None:
    http.put("/digitaltwins/typed", json=room(t=1.0))
    response = http.patch(
        "/digitaltwins/typed", json=[{"op": "replace", "path": "/t", "value": "warm"}]
    )
    assert response.status_code == 400
    assert error_code(response) == "ValidationFailed"
    assert response.json()["error"]["details"][0]["message"]
    assert http.put("/digitaltwins/typed2", json=room(name=5)).status_code == 400
