"""Relationships: CRUD through the SDK, lists with nextLink, incoming, and error codes."""

from __future__ import annotations

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

FLOOR = "dtmi:test:Floor;1"
MODEL = {
    "@id": FLOOR,
    "@type": "Interface",
    "@context": "dtmi:dtdl:context;2",
    "contents": [
        {
            "@type": "Relationship",
            "name": "contains",
            "properties": [{"@type": "Property", "name": "since", "schema": "integer"}],
        },
        {"@type": "Relationship", "name": "near"},
    ],
}


def rel(target: str, name: str = "contains", **properties: Any) -> dict[str, Any]:
    return {"$targetId": target, "$relationshipName": name, **properties}


@pytest.fixture(scope="module", autouse=True)
def floors(client: DigitalTwinsClient) -> None:
    client.create_models([MODEL])
    for twin_id in ("f1", "f2", "f3", "a/b"):
        client.upsert_digital_twin(twin_id, {"$metadata": {"$model": FLOOR}})


def test_put_get_and_body_ids_ignored(client: DigitalTwinsClient) -> None:
    body = rel("f2", since=3, **{"$sourceId": "zzz", "$relationshipId": "zzz"})
    created = client.upsert_relationship("f1", "r1", body)
    assert {k: v for k, v in created.items() if k != "$etag"} == {
        "$relationshipId": "r1",
        "$sourceId": "f1",
        "$targetId": "f2",
        "$relationshipName": "contains",
        "since": 3,
    }
    assert client.get_relationship("f1", "r1") == created


def test_wire_put_headers_and_encoded_ids(http: httpx.Client) -> None:
    response = http.put("/digitaltwins/a%2Fb/relationships/x%3Ay", json=rel("f1"))
    assert response.status_code == 200
    assert response.headers["etag"] == response.json()["$etag"]
    assert response.json()["$sourceId"] == "a/b"
    assert response.json()["$relationshipId"] == "x:y"
    got = http.get("/digitaltwins/a%2Fb/relationships/x%3Ay")
    assert got.json() == response.json()
    assert http.delete("/digitaltwins/a%2Fb/relationships/x%3Ay").status_code == 204


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/digitaltwins/f1/relationships/bad", {"$targetId": "f2"}, 400, "InvalidArgument"),
        ("/digitaltwins/f1/relationships/bad", {}, 400, "InvalidArgument"),
        ("/digitaltwins/f1/relationships/bad", rel("f1"), 400, "OperationNotAllowed"),
        ("/digitaltwins/f1/relationships/bad", rel("nope"), 404, "TargetDigitalTwinNotFound"),
        ("/digitaltwins/nope/relationships/bad", rel("f1"), 404, "DigitalTwinNotFound"),
        ("/digitaltwins/f1/relationships/bad", rel("f2", "unknown"), 400, "ValidationFailed"),
    ],
)
def test_put_errors(http: httpx.Client, path: str, body: Any, status: int, code: str) -> None:
    response = http.put(path, json=body)
    assert response.status_code == status
    assert error_code(response) == code


def test_if_none_match(client: DigitalTwinsClient) -> None:
    client.upsert_relationship("f2", "only", rel("f3"), match_condition=MatchConditions.IfMissing)
    with pytest.raises(ResourceExistsError):
        client.upsert_relationship(
            "f2", "only", rel("f3"), match_condition=MatchConditions.IfMissing
        )
    client.delete_relationship("f2", "only")


def test_get_errors(client: DigitalTwinsClient) -> None:
    with pytest.raises(ResourceNotFoundError) as raised:
        client.get_relationship("f1", "nope")
    assert raised.value.error.code == "RelationshipNotFound"
    with pytest.raises(ResourceNotFoundError) as raised:
        client.get_relationship("nope", "r1")
    assert raised.value.error.code == "DigitalTwinNotFound"


def test_patch_with_etags(client: DigitalTwinsClient, http: httpx.Client) -> None:
    created = client.upsert_relationship("f1", "p1", rel("f3", since=1))
    patch = [{"op": "replace", "path": "/since", "value": 2}]
    with pytest.raises(ResourceModifiedError):
        client.update_relationship(
            "f1", "p1", patch, match_condition=MatchConditions.IfNotModified, etag='W/"stale"'
        )
    response = http.patch(
        "/digitaltwins/f1/relationships/p1", json=patch, headers={"If-Match": created["$etag"]}
    )
    assert response.status_code == 204
    after = client.get_relationship("f1", "p1")
    assert after["since"] == 2 and response.headers["etag"] == after["$etag"]
    bad = http.patch("/digitaltwins/f1/relationships/p1", json=[{"op": "move", "path": "/x"}])
    assert error_code(bad) == "JsonPatchInvalid"
    bad = http.patch(
        "/digitaltwins/f1/relationships/p1",
        json=[{"op": "replace", "path": "/$targetId", "value": "f2"}],
    )
    assert error_code(bad) == "JsonPatchInvalid"
    with pytest.raises(ResourceNotFoundError):
        client.update_relationship("f1", "none", patch)
    client.delete_relationship("f1", "p1")


def test_delete(client: DigitalTwinsClient) -> None:
    client.upsert_relationship("f3", "d1", rel("f1"))
    with pytest.raises(ResourceModifiedError):
        client.delete_relationship(
            "f3", "d1", match_condition=MatchConditions.IfNotModified, etag='W/"stale"'
        )
    client.delete_relationship("f3", "d1")
    with pytest.raises(ResourceNotFoundError):
        client.delete_relationship("f3", "d1")


def test_twin_with_relationships_cannot_be_deleted(
    client: DigitalTwinsClient, http: httpx.Client
) -> None:
    client.upsert_digital_twin("t1", {"$metadata": {"$model": FLOOR}})
    client.upsert_digital_twin("t2", {"$metadata": {"$model": FLOOR}})
    client.upsert_relationship("t1", "link", rel("t2"))
    for twin_id in ("t1", "t2"):  # source and target alike
        response = http.delete(f"/digitaltwins/{twin_id}")
        assert response.status_code == 400
        assert error_code(response) == "RelationshipsNotDeleted"
    with pytest.raises(HttpResponseError):
        client.delete_digital_twin("t1")
    client.delete_relationship("t1", "link")
    client.delete_digital_twin("t1")
    client.delete_digital_twin("t2")


def test_lists_page_with_next_links(client: DigitalTwinsClient, http: httpx.Client) -> None:
    client.upsert_digital_twin("hub", {"$metadata": {"$model": FLOOR}})
    for i in range(130):
        name = "near" if i % 2 else "contains"
        http.put(f"/digitaltwins/hub/relationships/h{i:03}", json=rel("f1", name))
    outgoing = list(client.list_relationships("hub"))
    assert [r["$relationshipId"] for r in outgoing] == [f"h{i:03}" for i in range(130)]
    first = http.get("/digitaltwins/hub/relationships").json()
    assert len(first["value"]) == 100 and first["nextLink"].startswith("http://")
    near = list(client.list_relationships("hub", relationship_id="near"))
    assert len(near) == 65 and {r["$relationshipName"] for r in near} == {"near"}
    linked = http.get("/digitaltwins/hub/relationships", params={"relationshipName": "near"})
    assert linked.json()["nextLink"] is None
    incoming = list(client.list_incoming_relationships("f1"))
    hub = [r for r in incoming if r.source_id == "hub"]
    assert len(hub) == 130
    assert hub[0].relationship_link == "/digitaltwins/hub/relationships/h000"
    with pytest.raises(ResourceNotFoundError):
        list(client.list_relationships("nope"))
    with pytest.raises(ResourceNotFoundError):
        list(client.list_incoming_relationships("nope"))


def test_query_follows_relationships(client: DigitalTwinsClient) -> None:
    rows = list(
        client.query_twins(
            "SELECT T FROM DIGITALTWINS S JOIN T RELATED S.contains WHERE S.$dtId = 'f1'"
        )
    )
    assert [row["T"]["$dtId"] for row in rows] == ["f2"]
