"""Who may call: for now, anyone who can reach a loopback-bound server.

There is no token check yet (`--auth jwt` is future work): a bearer token, or none, is accepted.
That is only safe on loopback, so `check_bind` refuses any other address unless the operator
passes --insecure, and the middleware refuses remote peers in case a proxy forwards them anyway.
"""

from __future__ import annotations

import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send

from adtquery.server.errors import ApiError, error_response


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, insecure: bool) -> None:
    """Refuse to listen beyond loopback without authentication, unless told to."""
    if not insecure and not is_loopback(host):
        raise ValueError(
            f"Refusing to listen on {host}: the server has no authentication yet, so it only "
            "binds to loopback. Pass --insecure to expose it anyway (anyone who can reach it "
            "can read and change every twin)."
        )


class LoopbackOnlyMiddleware:
    def __init__(self, app: ASGIApp, *, allow_remote: bool = False) -> None:
        self.app = app
        self.allow_remote = allow_remote

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        remote = client is not None and not is_loopback(client[0])
        if scope["type"] == "http" and remote and not self.allow_remote:
            error = ApiError(401, "Unauthorized", "Only loopback clients may call this server.")
            await error_response(error)(scope, receive, send)
            return
        await self.app(scope, receive, send)
