"""Relationships: `/digitaltwins/{id}/relationships[/{relationshipId}]` and incoming ones."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import jsonpatch
import jsonpointer
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adtquery.db import modelstore, relationships, twins
from adtquery.etags import new_etag
from adtquery.server import paging, validation
from adtquery.server.errors import ApiError, invalid, not_found
from adtquery.server.http import (
    if_none_match_any,
    json_response,
    no_content,
    read_json,
    segment,
)
from adtquery.server.routes.twins import check_etag, twin_not_found
from adtquery.server.state import state

Document = dict[str, Any]


def relationship_not_found(source_id: str, rel_id: str) -> ApiError:
    return not_found(
        "RelationshipNotFound",
        f"There is no relationship {rel_id} on the digital twin {source_id}.",
    )


def _new_relationship(source_id: str, rel_id: str, body: Any, etag: str) -> Document:
    """ADT ignores `$sourceId`/`$relationshipId` in the body; the path wins."""
    if not isinstance(body, dict) or not all(
        isinstance(body.get(key), str) and body[key] for key in ("$targetId", "$relationshipName")
    ):
        raise invalid("Could not deserialize relationship create body.")
    properties = {k: v for k, v in body.items() if not k.startswith("$")}
    return {
        "$relationshipId": rel_id,
        "$etag": etag,
        "$sourceId": source_id,
        "$relationshipName": body["$relationshipName"],
        "$targetId": body["$targetId"],
        **properties,
    }


async def _checker(conn: Any) -> validation.RelationshipCheck:
    return validation.relationship_checker(await modelstore.all_models(conn))


async def get_relationship(request: Request) -> Response:
    source_id, rel_id = segment(request, "id"), segment(request, "relationshipId")
    async with state(request).pool.connection() as conn:
        found = await relationships.get(conn, source_id, rel_id)
        if found is None and await twins.get(conn, source_id) is None:
            raise twin_not_found(source_id)
    if found is None:
        raise relationship_not_found(source_id, rel_id)
    return json_response(found, headers={"ETag": found["$etag"]})


async def put_relationship(request: Request) -> Response:
    source_id, rel_id = segment(request, "id"), segment(request, "relationshipId")
    create_only = if_none_match_any(request)
    relationship = _new_relationship(source_id, rel_id, await read_json(request), new_etag())
    target_id = relationship["$targetId"]
    if target_id == source_id:
        raise invalid("A relationship cannot point at its own source twin.", "OperationNotAllowed")

    async with state(request).pool.connection() as conn:
        check = await _checker(conn)

        def change(source: Document | None, target: Document | None, current: Any) -> Document:
            if source is None:
                raise twin_not_found(source_id)
            if target is None:
                raise not_found(
                    "TargetDigitalTwinNotFound", f"The target twin {target_id} does not exist."
                )
            if current is not None and create_only:
                raise ApiError(412, "PreconditionFailed", f"The relationship {rel_id} exists.")
            check(source, relationship, target)
            return relationship

        stored = await relationships.write(conn, source_id, rel_id, target_id, change)
    return json_response(stored, headers={"ETag": stored["$etag"]})


async def patch_relationship(request: Request) -> Response:
    source_id, rel_id = segment(request, "id"), segment(request, "relationshipId")
    patch = await read_json(request)
    if not isinstance(patch, list) or any(
        not isinstance(op, dict) or op.get("op") not in ("add", "replace", "remove") for op in patch
    ):
        raise invalid("Only add, replace and remove operations are supported.", "JsonPatchInvalid")
    for op in patch:
        if not isinstance(op.get("path"), str) or op["path"].startswith("/$"):
            raise invalid(f"{op.get('path')} cannot be changed.", "JsonPatchInvalid")

    async with state(request).pool.connection() as conn:
        check = await _checker(conn)

        def change(source: Document | None, target: Document | None, current: Any) -> Document:
            if source is None:
                raise twin_not_found(source_id)
            if current is None:
                raise relationship_not_found(source_id, rel_id)
            check_etag(request, current)
            try:
                patched = jsonpatch.apply_patch(current, patch)
            except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as error:
                raise invalid(str(error), "JsonPatchInvalid") from None
            patched["$etag"] = new_etag()
            assert target is not None
            check(source, patched, target)
            return patched  # type: ignore[no-any-return]

        stored = await relationships.write(conn, source_id, rel_id, None, change)
    return no_content({"ETag": stored["$etag"]})


async def delete_relationship(request: Request) -> Response:
    source_id, rel_id = segment(request, "id"), segment(request, "relationshipId")

    def check(source: Document | None, current: Document | None) -> None:
        if source is None:
            raise twin_not_found(source_id)
        if current is None:
            raise relationship_not_found(source_id, rel_id)
        check_etag(request, current)

    async with state(request).pool.connection() as conn:
        await relationships.delete(conn, source_id, rel_id, check)
    return no_content()


async def list_relationships(request: Request) -> Response:
    source_id = segment(request, "id")
    name = request.query_params.get("relationshipName") or None
    page = paging.requested(request)
    async with state(request).pool.connection() as conn:
        if await twins.get(conn, source_id) is None:
            raise twin_not_found(source_id)
        items = await relationships.outgoing(conn, source_id, name, page.after, page.size + 1)
    keys = [item["$relationshipId"] for item in items]
    return json_response(paging.page_body(request, items, keys, page))


def _incoming_key(after: str | None) -> tuple[str, str] | None:
    """Incoming pages are keyed by (source id, relationship id), kept as a JSON pair."""
    if after is None:
        return None
    try:
        source, rel_id = json.loads(after)
    except ValueError:
        source = rel_id = None
    if not isinstance(source, str) or not isinstance(rel_id, str):
        raise ApiError(400, "BadRequest", "The continuation token is not valid.")
    return source, rel_id


async def list_incoming(request: Request) -> Response:
    target_id = segment(request, "id")
    page = paging.requested(request)
    after = _incoming_key(page.after)
    async with state(request).pool.connection() as conn:
        target = await twins.graph_id(conn, target_id)
        if target is None:
            raise twin_not_found(target_id)
        items = await relationships.incoming(conn, target, after, page.size + 1)
    incoming = [
        {
            "$relationshipId": item["$relationshipId"],
            "$sourceId": item["$sourceId"],
            "$relationshipName": item["$relationshipName"],
            "$relationshipLink": f"/digitaltwins/{quote(item['$sourceId'], safe='')}"
            f"/relationships/{quote(item['$relationshipId'], safe='')}",
        }
        for item in items
    ]
    keys = [json.dumps([item["$sourceId"], item["$relationshipId"]]) for item in items]
    return json_response(paging.page_body(request, incoming, keys, page))


_ONE = "/digitaltwins/{id}/relationships/{relationshipId}"
routes = [
    Route(_ONE, get_relationship, methods=["GET"]),
    Route(_ONE, put_relationship, methods=["PUT"]),
    Route(_ONE, patch_relationship, methods=["PATCH"]),
    Route(_ONE, delete_relationship, methods=["DELETE"]),
    Route("/digitaltwins/{id}/relationships", list_relationships, methods=["GET"]),
    Route("/digitaltwins/{id}/incomingrelationships", list_incoming, methods=["GET"]),
]
