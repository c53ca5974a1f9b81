"""`GET /healthz`: the server is up and its database answers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adtquery.server.http import json_response
from adtquery.server.state import state


async def healthz(request: Request) -> Response:
    async with state(request).pool.connection() as conn:
        await conn.execute("SELECT 1")
    return json_response({"status": "ok"})


routes = [Route("/healthz", healthz, methods=["GET"])]
