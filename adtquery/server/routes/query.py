"""`POST /query`: one page of an ADT query; the continuation token carries the rest."""

from __future__ import annotations

import logging
from typing import Any

import anyio.to_thread
import psycopg
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adtquery.db.execute import QueryPage, query_page
from adtquery.server.errors import ApiError, invalid
from adtquery.server.http import json_response, page_size, read_json
from adtquery.server.state import state

log = logging.getLogger("adtquery.server")


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise invalid(f"'{key}' must be a string.")
    return value or None


async def query(request: Request) -> Response:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise invalid("The body must be an object with 'query' and/or 'continuationToken'.")
    text, token = _text(body, "query"), _text(body, "continuationToken")
    size = page_size(request)
    server = state(request)

    def run() -> QueryPage:
        with server.query_pool.connection() as conn:
            return query_page(
                conn,
                query=text,
                continuation_token=token,
                page_size=size,
                secret=server.token_secret,
            )

    try:
        page = await anyio.to_thread.run_sync(run)
    except psycopg.errors.QueryCanceled:
        raise ApiError(400, "TimeoutError", "The query ran out of time.") from None
    except psycopg.OperationalError:
        raise  # the database is unreachable: a 5xx the SDK may retry
    except psycopg.DatabaseError as error:
        # A compiled query the database still refused. Never a 5xx: clients would retry it
        # ten times. Logged in full, since it may well be a compiler bug.
        log.warning("query %r failed on the database: %s", text or token, error)
        message = error.diag.message_primary or str(error)
        raise ApiError(400, "SqlQueryError", f"The query could not be run: {message}") from None
    # ADT bills in query units; ours is a rough stand-in so clients that sum it see a number.
    charge = f"{1 + len(page.rows) / 100:.2f}"
    return json_response(
        {"value": page.rows, "continuationToken": page.continuation_token},
        headers={"query-charge": charge},
    )


routes = [Route("/query", query, methods=["POST"])]
