"""`/digitaltwins/{id}`: get, create or replace, patch, delete; ETags on every write."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adtquery.clock import twin_time
from adtquery.db import modelstore, twins
from adtquery.etags import new_etag
from adtquery.server import documents, validation
from adtquery.server.errors import ApiError, invalid, not_found, precondition_failed
from adtquery.server.http import (
    if_match,
    if_none_match_any,
    json_response,
    no_content,
    read_json,
    segment,
)
from adtquery.server.state import state

Document = documents.Document


def twin_not_found(twin_id: str) -> ApiError:
    return not_found(
        "DigitalTwinNotFound",
        f"There is no digital twin instance that exists with the ID {twin_id}. Please verify "
        "that the twin id is valid and ensure that the twin is not deleted.",
    )


def check_etag(request: Request, document: Document) -> None:
    """412 unless If-Match is absent, `*`, or the twin's current etag."""
    wanted = if_match(request)
    if wanted is not None and wanted != "*" and wanted != document["$etag"]:
        raise precondition_failed(wanted)


async def get_twin(request: Request) -> Response:
    twin_id = segment(request, "id")
    async with state(request).pool.connection() as conn:
        twin = await twins.get(conn, twin_id)
    if twin is None:
        raise twin_not_found(twin_id)
    return json_response(twin, headers={"ETag": twin["$etag"]})


async def put_twin(request: Request) -> Response:
    twin_id = segment(request, "id")
    body = await read_json(request)
    create_only = if_none_match_any(request)
    twin = documents.new_twin(twin_id, body, twin_time(), new_etag())
    async with state(request).pool.connection() as conn:
        check = validation.twin_checker(await modelstore.all_models(conn))
        check(twin)

        def change(current: Document | None) -> Document:
            if current is not None and create_only:
                raise ApiError(412, "PreconditionFailed", f"The twin {twin_id} already exists.")
            return twin

        stored = await twins.write(conn, twin_id, change)
    return json_response(stored, headers={"ETag": stored["$etag"]})


async def patch_twin(request: Request) -> Response:
    twin_id = segment(request, "id")
    patch = await read_json(request)
    async with state(request).pool.connection() as conn:
        check = validation.twin_checker(await modelstore.all_models(conn))

        def change(current: Document | None) -> Document:
            if current is None:
                raise twin_not_found(twin_id)
            check_etag(request, current)
            twin = documents.patched_twin(current, patch, twin_time(), new_etag())
            check(twin)
            return twin

        stored = await twins.write(conn, twin_id, change)
    return no_content({"ETag": stored["$etag"]})


async def delete_twin(request: Request) -> Response:
    twin_id = segment(request, "id")

    def check(current: Document, has_relationships: bool) -> None:
        check_etag(request, current)
        if has_relationships:
            raise invalid(
                f"The twin {twin_id} still has relationships; delete them first.",
                code="RelationshipsNotDeleted",
            )

    async with state(request).pool.connection() as conn:
        if not await twins.delete(conn, twin_id, check):
            raise twin_not_found(twin_id)
    return no_content()


routes = [
    Route("/digitaltwins/{id}", get_twin, methods=["GET"]),
    Route("/digitaltwins/{id}", put_twin, methods=["PUT"]),
    Route("/digitaltwins/{id}", patch_twin, methods=["PATCH"]),
    Route("/digitaltwins/{id}", delete_twin, methods=["DELETE"]),
]
