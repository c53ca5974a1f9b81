"""The `api-version` query parameter: required on every ADT operation, checked before routing.

Python SDK 1.3.0 and the CLI send 2023-10-31, JS 1.1.0 and Python 1.2.0 send 2022-05-31; the
first GA version is still accepted. JS re-appends api-version when following a nextLink, so a
repeated parameter is fine as long as every copy is supported.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from adtquery.server.errors import ApiError, error_response

SUPPORTED = ("2023-10-31", "2022-05-31", "2020-10-31")
UNVERSIONED = ("/healthz",)  # not ADT operations


def requested(query_string: bytes) -> list[str]:
    return parse_qs(query_string.decode("latin-1")).get("api-version", [])


def check(versions: list[str]) -> ApiError | None:
    if not versions:
        return ApiError(400, "MissingArgument", "The api-version query parameter is required.")
    for version in versions:
        if version not in SUPPORTED:
            return ApiError(
                400,
                "InvalidArgument",
                f"The api-version '{version}' is not supported; use one of {', '.join(SUPPORTED)}.",
            )
    return None


class ApiVersionMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in UNVERSIONED:
            error = check(requested(scope.get("query_string", b"")))
            if error is not None:
                await error_response(error)(scope, receive, send)
                return
        await self.app(scope, receive, send)
