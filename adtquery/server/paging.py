"""nextLink paging for the list endpoints (models, relationships, event routes).

Python SDK 1.3.0 follows a nextLink without re-sending headers or filters, and the CLI GETs it
verbatim, so the link is absolute and carries everything: api-version, the original filters,
and an opaque `continuationToken` holding the last key sent and the page size. Lists are read in
key order, so a token is a keyset position, not an offset: pages stay stable under writes.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import urlencode

import orjson
from starlette.requests import Request

from adtquery.server.errors import ApiError
from adtquery.server.http import page_size

DEFAULT_SIZE = 100
MAX_SIZE = 1000
TOKEN = "continuationToken"


@dataclass(frozen=True, slots=True)
class ListPage:
    after: str | None  # the last key of the previous page
    size: int


def requested(request: Request) -> ListPage:
    """Where this page starts and how long it is, from the token or the first request."""
    token = request.query_params.get(TOKEN)
    if token is None:
        return ListPage(None, min(page_size(request) or DEFAULT_SIZE, MAX_SIZE))
    try:
        after, size = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        if isinstance(after, str) and isinstance(size, int) and 0 < size <= MAX_SIZE:
            return ListPage(after, size)
    except (ValueError, TypeError, binascii.Error):
        pass
    raise ApiError(400, "BadRequest", "The continuation token is not valid.")


def next_link(request: Request, last_key: str, size: int) -> str:
    """An absolute URL for the page after `last_key`, keeping the request's other parameters
    (each once: JS re-appends them when it follows a link)."""
    token = base64.urlsafe_b64encode(orjson.dumps([last_key, size])).decode()
    kept: list[tuple[str, str]] = []
    for key, value in request.query_params.multi_items():
        if key != TOKEN and (key, value) not in kept:
            kept.append((key, value))
    kept.append((TOKEN, token))
    base = str(request.base_url).rstrip("/")
    return f"{base}{request.scope['path']}?{urlencode(kept)}"


def page_body(
    request: Request, items: list[dict[str, object]], keys: list[str], page: ListPage
) -> dict[str, object]:
    """`{"value", "nextLink"}` from up to size + 1 items read in key order."""
    more = len(items) > page.size
    items = items[: page.size]
    link = next_link(request, keys[page.size - 1], page.size) if more else None
    return {"value": items, "nextLink": link}
