"""Route on the raw, still percent-encoded path.

ASGI servers hand over `path` already decoded, so `/digitaltwins/a%2Fb` would arrive as
`/digitaltwins/a/b` and match the wrong route (or none). ADT ids may hold `/`, `:` and `;`, so
routing must see segments as sent and decode each one afterwards (`http.segment`).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class RawPathMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path")
        if scope["type"] == "http" and raw:
            scope = {**scope, "path": raw.decode("latin-1").split("?", 1)[0]}
        await self.app(scope, receive, send)
