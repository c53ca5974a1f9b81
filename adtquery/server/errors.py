"""ADT error responses: every refusal becomes `{"error": {"code", "message"}}` in one place.

Handlers raise AdtError (or `ApiError` for codes the core library has no class for); the handler
registered here turns it into the body and the `x-ms-error-code` header clients key on.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
import psycopg
from starlette.requests import Request
from starlette.responses import Response

from adtquery.errors import AdtError

log = logging.getLogger("adtquery.server")


class ApiError(AdtError):
    """An AdtError whose code and status are chosen where it is raised."""

    def __init__(
        self, status: int, code: str, message: str, *, details: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(message, reason=code)
        self.status = status
        self.code = code
        self.details = details


def not_found(code: str, message: str) -> ApiError:
    return ApiError(404, code, message)


def invalid(message: str, code: str = "InvalidArgument") -> ApiError:
    return ApiError(400, code, message)


def precondition_failed(etag: str) -> ApiError:
    return ApiError(
        412,
        "PreconditionFailed",
        f"The provided etag {etag} doesn't match the current etag for the resource. Please "
        "obtain and provide the latest etag by getting the resource.",
    )


def error_response(error: AdtError) -> Response:
    body: dict[str, Any] = {"code": error.code, "message": str(error).split("\n", 1)[0]}
    details = getattr(error, "details", None)
    if details:
        body["details"] = details
    return Response(
        orjson.dumps({"error": body}),
        status_code=error.status,
        headers={"x-ms-error-code": error.code},
        media_type="application/json; charset=utf-8",
    )


async def handle_adt_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AdtError)
    return error_response(exc)


async def handle_data_error(request: Request, exc: Exception) -> Response:
    """Values the database cannot store (a NUL in a string, an out-of-range number) are the
    client's fault: 400, never a 5xx the SDK would retry."""
    assert isinstance(exc, psycopg.DataError)
    message = exc.diag.message_primary or "The value cannot be stored."
    return error_response(ApiError(400, "InvalidArgument", f"Payload is invalid: {message}"))


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    # A bug, not bad input: log it with the traceback and answer like ADT would.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(ApiError(500, "InternalServerError", "An internal error occurred."))


# Seconds a client should wait after a 503: about what the pools need to notice the database is
# back (see app.py), and what the SDK honours between its retries.
RETRY_AFTER_SECONDS = 2


async def handle_database_unavailable(request: Request, exc: Exception) -> Response:
    """psycopg.OperationalError (refused or dropped connections, a server shutting down or
    starting, psycopg_pool.PoolTimeout, a deadlock): the request may succeed if retried, so 503
    with Retry-After, never a 500 with a traceback. A write that gets it ran in one transaction,
    so it is either wholly applied (the connection died after COMMIT) or not at all."""
    assert isinstance(exc, psycopg.OperationalError)
    reason = next(iter(str(exc).splitlines()), "") or type(exc).__name__
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, reason)
    response = error_response(
        ApiError(
            503,
            "ServiceUnavailable",
            "The database is unreachable or busy at the moment. Please retry later.",
        )
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


_HTTP_CODES = {404: "NotFound", 405: "MethodNotAllowed"}


async def handle_http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such route, wrong method) in ADT's error shape."""
    status = getattr(exc, "status_code", 400)
    detail = getattr(exc, "detail", "")
    code = _HTTP_CODES.get(status, "BadRequest")
    return error_response(ApiError(status, code, f"{detail}: {request.method} {request.url.path}"))
