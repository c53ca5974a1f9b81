"""/models through the SDK and on the wire."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.digitaltwins.core import DigitalTwinsClient

from tests.server.conftest import error_code

pytestmark = pytest.mark.db

CONTEXT = ["dtmi:dtdl:context;2"]


def interface(model_id: str, **extra: Any) -> dict[str, Any]:
    return {"@id": model_id, "@type": "Interface", "@context": CONTEXT, **extra}


BASE = interface("dtmi:test:Base;1", displayName="Base", contents=[])
ROOM = interface(
    "dtmi:test:Room;1",
    extends="dtmi:test:Base;1",
    contents=[{"@type": "Property", "name": "t", "schema": "double"}],
)


@pytest.fixture(scope="module", autouse=True)
def uploaded(client: DigitalTwinsClient) -> None:
    created = client.create_models([BASE, ROOM])
    assert [m.id for m in created] == [BASE["@id"], ROOM["@id"]]


def test_get_model_data_and_definition(client: DigitalTwinsClient) -> None:
    data = client.get_model(BASE["@id"])
    assert data.display_name == {"en": "Base"}
    assert data.description == {}
    assert data.decommissioned is False
    assert data.model is None
    assert data.upload_time is not None
    full = client.get_model(ROOM["@id"], include_model_definition=True)
    assert full.model == ROOM  # verbatim, @context still a list


def test_create_response_on_the_wire(http: httpx.Client) -> None:
    model = interface("dtmi:test:Wire;1", displayName={"en": "W", "fr": "V"})
    response = http.post("/models", json=[model])
    assert response.status_code == 201
    [data] = response.json()
    assert set(data) == {"id", "displayName", "description", "uploadTime", "decommissioned"}
    assert data["displayName"] == {"en": "W", "fr": "V"}
    assert data["uploadTime"].endswith("+00:00")
    assert http.delete("/models/dtmi%3Atest%3AWire%3B1").status_code == 204


def test_duplicate_id_is_409_and_nothing_is_stored(
    client: DigitalTwinsClient, http: httpx.Client
) -> None:
    fresh = interface("dtmi:test:Fresh;1")
    with pytest.raises(ResourceExistsError) as raised:
        client.create_models([fresh, BASE])
    assert raised.value.error.code == "ModelIdAlreadyExists"
    with pytest.raises(ResourceNotFoundError):
        client.get_model(fresh["@id"])
    # An id twice in one batch is a DTDL error rather than a conflict.
    response = http.post("/models", json=[fresh, fresh])
    assert response.status_code == 400
    assert error_code(response) == "DTDLParserError"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ([], "InvalidArgument"),
        ([{}], "DTDLParserError"),
        ({"@id": "dtmi:x;1"}, "DTDLParserError"),
        ([interface("dtmi:test:Orphan;1", extends="dtmi:test:Missing;1")], "DTDLParserError"),
    ],
)
def test_invalid_uploads_are_400(http: httpx.Client, body: Any, code: str) -> None:
    response = http.post("/models", json=body)
    assert response.status_code == 400
    assert error_code(response) == code


def test_empty_body_is_bad_request(client: DigitalTwinsClient) -> None:
    with pytest.raises(HttpResponseError) as raised:
        client.create_models(None)  # type: ignore[arg-type]
    assert raised.value.status_code == 400


def test_list_with_dependencies(client: DigitalTwinsClient) -> None:
    everything = {m.id for m in client.list_models()}
    assert {BASE["@id"], ROOM["@id"]} <= everything
    deps = list(client.list_models([ROOM["@id"]], include_model_definition=True))
    assert sorted(m.id for m in deps) == [BASE["@id"], ROOM["@id"]]
    assert all(m.model is not None for m in deps)
    with pytest.raises(ResourceNotFoundError):
        list(client.list_models(["dtmi:test:Nope;1"]))


def test_list_pages_with_absolute_next_links(
    client: DigitalTwinsClient, http: httpx.Client, endpoint: str
) -> None:
    client.create_models([interface(f"dtmi:test:paged:M{i:02};1") for i in range(12)])
    first = http.get("/models", headers={"max-items-per-page": "5"})
    body = first.json()
    assert len(body["value"]) == 5
    link = body["nextLink"]
    assert link.startswith(endpoint + "/models?") and "api-version=2023-10-31" in link
    ids = [m["id"] for m in body["value"]]
    while link:  # the CLI's way: GET the link verbatim, no headers
        page = httpx.get(link).json()
        assert len(page["value"]) <= 5
        ids += [m["id"] for m in page["value"]]
        link = page["nextLink"]
    assert ids == sorted(set(ids))
    assert ids == sorted(m.id for m in client.list_models())
    assert http.get("/models", params={"continuationToken": "bogus"}).status_code == 400


def test_decommission_twice_is_fine(client: DigitalTwinsClient) -> None:
    client.create_models([interface("dtmi:test:Old;1")])
    client.decommission_model("dtmi:test:Old;1")
    client.decommission_model("dtmi:test:Old;1")
    assert client.get_model("dtmi:test:Old;1").decommissioned is True


def test_only_decommission_patches_are_accepted(http: httpx.Client) -> None:
    patch = [{"op": "replace", "path": "/decommissioned", "value": False}]
    response = http.patch("/models/dtmi%3Atest%3ABase%3B1", json=patch)
    assert response.status_code == 400
    assert error_code(response) == "JsonPatchInvalid"
    good = [{"op": "replace", "path": "/decommissioned", "value": True}]
    assert error_code(http.patch("/models/dtmi%3Ano%3B1", json=good)) == "ModelNotFound"


def test_delete_refused_while_referenced(client: DigitalTwinsClient) -> None:
    client.create_models(
        [interface("dtmi:test:P;1"), interface("dtmi:test:C;1", extends="dtmi:test:P;1")]
    )
    with pytest.raises(ResourceExistsError) as raised:
        client.delete_model("dtmi:test:P;1")
    assert raised.value.error.code == "ModelReferencesNotDeleted"
    client.delete_model("dtmi:test:C;1")
    client.delete_model("dtmi:test:P;1")
    with pytest.raises(ResourceNotFoundError) as missing:
        client.get_model("dtmi:test:P;1")
    assert missing.value.error.code == "ModelNotFound"
    # Re-uploading a deleted id is allowed.
    client.create_models([interface("dtmi:test:P;1")])


def test_async_client_lists_models(async_client) -> None:  # type: ignore[no-untyped-def]
    async def ids() -> list[str]:
        async with async_client:
            return [m.id async for m in async_client.list_models()]

    assert BASE["@id"] in asyncio.run(ids())
