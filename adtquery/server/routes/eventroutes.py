"""`/eventroutes`: stored and listed so clients and scripts work; nothing is delivered yet."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adtquery.db import routes as store
from adtquery.server import paging
from adtquery.server.errors import ApiError, invalid, not_found
from adtquery.server.http import json_response, no_content, read_json, segment
from adtquery.server.state import state

_ID = re.compile(r"[A-Za-z0-9_-]{1,50}")  # ADT: letters, digits, '-' and '_', up to 50


def route_not_found(route_id: str) -> ApiError:
    return not_found("EventRouteNotFound", f"There is no event route with the id {route_id}.")


async def get_route(request: Request) -> Response:
    route_id = segment(request, "id")
    async with state(request).pool.connection() as conn:
        route = await store.get(conn, route_id)
    if route is None:
        raise route_not_found(route_id)
    return json_response(route)


async def list_routes(request: Request) -> Response:
    page = paging.requested(request)
    async with state(request).pool.connection() as conn:
        items = await store.page(conn, page.after, page.size + 1)
    keys = [item["id"] for item in items]
    return json_response(paging.page_body(request, items, keys, page))


async def put_route(request: Request) -> Response:
    route_id = segment(request, "id")
    body = await read_json(request)
    if not _ID.fullmatch(route_id):
        raise invalid(f"The event route id {route_id!r} is not valid.", "EventRouteIdInvalid")
    if not isinstance(body, dict):
        raise invalid("The body must be an object with endpointName and filter.")
    endpoint, filter = body.get("endpointName"), body.get("filter")
    if not isinstance(endpoint, str) or not endpoint:
        raise invalid("endpointName is required.", "EventRouteEndpointInvalid")
    if not isinstance(filter, str) or not filter.strip():
        raise invalid("filter is required.", "EventRouteFilterInvalid")
    async with state(request).pool.connection() as conn:
        await store.put(conn, route_id, endpoint, filter)
    return no_content()


async def delete_route(request: Request) -> Response:
    route_id = segment(request, "id")
    async with state(request).pool.connection() as conn:
        if not await store.delete(conn, route_id):
            raise route_not_found(route_id)
    return no_content()


routes = [
    Route("/eventroutes", list_routes, methods=["GET"]),
    Route("/eventroutes/{id}", get_route, methods=["GET"]),
    Route("/eventroutes/{id}", put_route, methods=["PUT"]),
    Route("/eventroutes/{id}", delete_route, methods=["DELETE"]),
]
