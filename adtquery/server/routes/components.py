"""Components and telemetry: `/digitaltwins/{id}/components/{name}` and `.../telemetry`.

Telemetry is accepted and dropped: this server has no endpoints to route it to yet. ADT does
not check it against the model either; it only needs the twin (and component) to exist.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adtquery.clock import twin_time
from adtquery.db import modelstore, twins
from adtquery.etags import new_etag
from adtquery.server import documents, validation
from adtquery.server.errors import ApiError, invalid, not_found
from adtquery.server.http import json_response, no_content, read_json, segment
from adtquery.server.routes.twins import check_etag, twin_not_found
from adtquery.server.state import state

Document = documents.Document


def component_not_found(twin_id: str, name: str) -> ApiError:
    return not_found("ComponentNotFound", f"The twin {twin_id} has no component {name}.")


async def _twin(request: Request, twin_id: str) -> Document:
    async with state(request).pool.connection() as conn:
        twin = await twins.get(conn, twin_id)
    if twin is None:
        raise twin_not_found(twin_id)
    return twin


async def get_component(request: Request) -> Response:
    twin_id, name = segment(request, "id"), segment(request, "componentPath")
    twin = await _twin(request, twin_id)
    if not documents.is_component(twin.get(name)):
        raise component_not_found(twin_id, name)
    return json_response(twin[name], headers={"ETag": twin["$etag"]})


async def patch_component(request: Request) -> Response:
    twin_id, name = segment(request, "id"), segment(request, "componentPath")
    patch = await read_json(request)
    async with state(request).pool.connection() as conn:
        check = validation.twin_checker(await modelstore.all_models(conn))

        def change(current: Document | None) -> Document:
            if current is None:
                raise twin_not_found(twin_id)
            check_etag(request, current)  # the twin's etag guards its components too
            twin = documents.patched_component(current, name, patch, twin_time(), new_etag())
            check(twin)
            return twin

        stored = await twins.write(conn, twin_id, change)
    return no_content({"ETag": stored["$etag"]})


async def _telemetry(request: Request, component: str | None) -> Response:
    twin_id = segment(request, "id")
    if not request.headers.get("message-id"):
        raise invalid("The Message-Id header is required.")
    await read_json(request)
    twin = await _twin(request, twin_id)
    if component is not None and not documents.is_component(twin.get(component)):
        raise component_not_found(twin_id, component)
    return no_content()


async def twin_telemetry(request: Request) -> Response:
    return await _telemetry(request, None)


async def component_telemetry(request: Request) -> Response:
    return await _telemetry(request, segment(request, "componentPath"))


_ONE = "/digitaltwins/{id}/components/{componentPath}"
routes = [
    Route(_ONE, get_component, methods=["GET"]),
    Route(_ONE, patch_component, methods=["PATCH"]),
    Route(f"{_ONE}/telemetry", component_telemetry, methods=["POST"]),
    Route("/digitaltwins/{id}/telemetry", twin_telemetry, methods=["POST"]),
]
