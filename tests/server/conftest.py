"""A real `adtquery serve` per test module: uvicorn in a thread on a free loopback port, on the
module's own throwaway database, driven by the official SDK (sync and async) and by httpx."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from azure.core.credentials import AccessToken
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.digitaltwins.core import DigitalTwinsClient
from azure.digitaltwins.core.aio import DigitalTwinsClient as AsyncDigitalTwinsClient

from adtquery.server.app import Settings, create_app
from tests.db.conftest import schema_url, server_url  # noqa: F401  (fixtures)

API_VERSION = "2023-10-31"


class StaticToken:
    """A duck-typed TokenCredential: the server accepts any token on loopback."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("local-dev-token", int(time.time()) + 3600)


class AsyncStaticToken:
    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("local-dev-token", int(time.time()) + 3600)

    async def close(self) -> None:
        pass


class AllowPlainHttp(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Runs before the bearer-token policy, which otherwise refuses http:// URLs."""

    def on_request(self, request: Any) -> None:
        request.context["enforce_https"] = False


@pytest.fixture(scope="module")
def endpoint(schema_url: str) -> Iterator[str]:  # noqa: F811
    app = create_app(Settings(database_url=schema_url, token_secret=b"test-secret", pool_size=4))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="module")
def client(endpoint: str) -> DigitalTwinsClient:
    return DigitalTwinsClient(endpoint, StaticToken(), per_call_policies=[AllowPlainHttp()])


@pytest.fixture
def async_client(endpoint: str) -> AsyncDigitalTwinsClient:
    return AsyncDigitalTwinsClient(
        endpoint, AsyncStaticToken(), per_call_policies=[AllowPlainHttp()]
    )


@pytest.fixture(scope="module")
def http(endpoint: str) -> Iterator[httpx.Client]:
    """Raw wire access; every request carries the api-version unless a test overrides it."""
    with httpx.Client(base_url=endpoint, params={"api-version": API_VERSION}) as raw:
        yield raw


def error_code(response: httpx.Response) -> str:
    """The ADT error code, checked to agree between the body and the header."""
    code = response.json()["error"]["code"]
    assert response.headers["x-ms-error-code"] == code
    return code  # type: ignore[no-any-return]
