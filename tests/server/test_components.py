"""Components, telemetry and event routes."""

from __future__ import annotations

import httpx
import pytest
from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.digitaltwins.core import DigitalTwinsClient, DigitalTwinsEventRoute

from tests.server.conftest import error_code

pytestmark = pytest.mark.db

MODELS = [
    {
        "@id": "dtmi:test:Thermostat;1",
        "@type": "Interface",
        "@context": "dtmi:dtdl:context;2",
        "contents": [{"@type": "Property", "name": "target", "schema": "double"}],
    },
    {
        "@id": "dtmi:test:Device;1",
        "@type": "Interface",
        "@context": "dtmi:dtdl:context;2",
        "contents": [
            {"@type": "Component", "name": "thermo", "schema": "dtmi:test:Thermostat;1"},
            {"@type": "Property", "name": "serial", "schema": "string"},
        ],
    },
]


@pytest.fixture(scope="module", autouse=True)
def device(client: DigitalTwinsClient) -> None:
    client.create_models(MODELS)
    twin = {
        "$metadata": {"$model": "dtmi:test:Device;1"},
        "serial": "s1",
        "thermo": {"$metadata": {}, "target": 20.0},
    }
    client.upsert_digital_twin("dev", twin)


def test_get_component(client: DigitalTwinsClient, http: httpx.Client) -> None:
    component = client.get_component("dev", "thermo")
    assert component == client.get_digital_twin("dev")["thermo"]
    response = http.get("/digitaltwins/dev/components/thermo")
    assert response.headers["etag"] == client.get_digital_twin("dev")["$etag"]
    with pytest.raises(ResourceNotFoundError) as raised:
        client.get_component("dev", "serial")
    assert raised.value.error.code == "ComponentNotFound"
    with pytest.raises(ResourceNotFoundError) as raised:
        client.get_component("nope", "thermo")
    assert raised.value.error.code == "DigitalTwinNotFound"


def test_patch_component(client: DigitalTwinsClient, http: httpx.Client) -> None:
    etag = client.get_digital_twin("dev")["$etag"]
    patch = [{"op": "replace", "path": "/target", "value": 22.5}]
    with pytest.raises(ResourceModifiedError):
        client.update_component(
            "dev", "thermo", patch, match_condition=MatchConditions.IfNotModified, etag='W/"x"'
        )
    client.update_component(
        "dev", "thermo", patch, match_condition=MatchConditions.IfNotModified, etag=etag
    )
    twin = client.get_digital_twin("dev")
    assert twin["thermo"]["target"] == 22.5 and twin["$etag"] != etag
    assert twin["$metadata"]["serial"]["lastUpdateTime"] < twin["$metadata"]["$lastUpdateTime"]
    missing = http.patch(
        "/digitaltwins/dev/components/other", json=[{"op": "replace", "path": "/p", "value": 1}]
    )
    assert missing.status_code == 400
    assert error_code(missing) == "JsonPatchInvalid"


def test_telemetry(client: DigitalTwinsClient, http: httpx.Client) -> None:
    client.publish_telemetry("dev", {"temperature": 1})
    client.publish_component_telemetry("dev", "thermo", {"anything": 5})
    response = http.post("/digitaltwins/dev/telemetry", json={"x": 1})
    assert response.status_code == 400  # no Message-Id
    assert error_code(response) == "InvalidArgument"
    with pytest.raises(ResourceNotFoundError) as raised:
        client.publish_telemetry("nope", {"x": 1})
    assert raised.value.error.code == "DigitalTwinNotFound"
    with pytest.raises(ResourceNotFoundError) as raised:
        client.publish_component_telemetry("dev", "nope", {"x": 1})
    assert raised.value.error.code == "ComponentNotFound"


def test_event_routes(client: DigitalTwinsClient, http: httpx.Client) -> None:
    route = DigitalTwinsEventRoute(endpoint_name="hub", filter="type = 'x'")
    client.upsert_event_route("r1", route)
    got = client.get_event_route("r1")
    assert (got.id, got.endpoint_name, got.filter) == ("r1", "hub", "type = 'x'")
    for i in range(3):
        http.put(f"/eventroutes/extra{i}", json={"endpointName": "e", "filter": "true"})
    assert [r.id for r in client.list_event_routes()] == ["extra0", "extra1", "extra2", "r1"]
    page = http.get("/eventroutes", headers={"max-items-per-page": "3"}).json()
    assert len(page["value"]) == 3 and httpx.get(page["nextLink"]).json()["value"][0]["id"] == "r1"
    client.delete_event_route("r1")
    with pytest.raises(ResourceNotFoundError) as raised:
        client.get_event_route("r1")
    assert raised.value.error.code == "EventRouteNotFound"
    with pytest.raises(ResourceNotFoundError):
        client.delete_event_route("r1")
    bad = http.put("/eventroutes/r2", json={"filter": "true"})
    assert error_code(bad) == "EventRouteEndpointInvalid"
    with pytest.raises(HttpResponseError):
        client.upsert_event_route("bad id!", route)
