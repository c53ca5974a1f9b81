"""A real `adtquery serve` per test module: uvicorn in a thread on a free loopback port, on the
module's own throwaway database, driven by the official SDK (sync and async) and by httpx."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
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


@contextlib.contextmanager
def running(settings: Settings) -> Iterator[str]:
    """`adtquery serve`'s app under uvicorn in a thread, on a free loopback port: its URL."""
    # IPPROTO_TCP spelt out: asyncio turns Nagle off only on sockets that say so, and with Nagle
    # on every response waits 40 ms for the client's delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings), log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    try:
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="module")
def endpoint(schema_url: str) -> Iterator[str]:  # noqa: F811
    settings = Settings(database_url=schema_url, token_secret=b"test-secret", pool_size=4)
    with running(settings) as url:
        yield url


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


class ServerProcess:
    """`adtquery serve` as a process of its own, to be killed with SIGKILL and started again."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        self.database_url = database_url
        self.data_dir = data_dir
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        adtquery = str(Path(sys.executable).with_name("adtquery"))
        command = [adtquery, "serve", "--port", str(self.port), "--database-url",
                   self.database_url, "--data-dir", str(self.data_dir)]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 30
        while True:
            assert self.process.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not start"
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None
