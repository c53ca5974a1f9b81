"""Request and response helpers shared by every route: JSON in and out, ids, headers, ETags."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import orjson
from starlette.requests import Request
from starlette.responses import Response

from adtquery.server.errors import invalid

JSON = "application/json; charset=utf-8"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type=JSON)


def no_content(headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=204, headers=headers)


async def read_json(request: Request) -> Any:
    """The request body as JSON; empty or malformed bodies are the caller's fault (400)."""
    body = await request.body()
    if not body.strip():
        raise invalid("The request body is empty.", code="BadRequest")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise invalid(f"The request body is not valid JSON: {error}") from None


def segment(request: Request, name: str) -> str:
    """A path parameter, percent-decoded on its own: routing ran on the raw path (see app.py),
    so an id holding an encoded slash (%2F) stays one segment."""
    return unquote(request.path_params[name])


def page_size(request: Request) -> int | None:
    """The `max-items-per-page` header, or None; a value that is no positive integer is refused."""
    value = request.headers.get("max-items-per-page")
    if value is None or value == "":
        return None
    try:
        size = int(value)
    except ValueError:
        size = 0
    if size < 1:
        raise invalid(f"max-items-per-page must be a positive integer, not {value!r}.")
    return size


def if_match(request: Request) -> str | None:
    return request.headers.get("if-match") or None


def if_none_match_any(request: Request) -> bool:
    """Whether the request says `If-None-Match: *` (create only); other values are refused."""
    value = request.headers.get("if-none-match")
    if value is None:
        return False
    if value.strip() != "*":
        raise invalid("If-None-Match accepts only '*'.")
    return True
