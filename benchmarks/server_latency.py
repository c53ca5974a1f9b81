"""The HTTP side of benchmarks/query_latency.py: `adtquery serve` as a subprocess, driven by raw
httpx with the SDK's wire format and by the official SDK (azure-digitaltwins-core).

Each function returns a `Run` (call it, get the rows) so query_latency can interleave it with
the executor's run of the same query and take the difference as the server's overhead.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import orjson
from azure.core.credentials import AccessToken
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.digitaltwins.core import DigitalTwinsClient

API_VERSION = "2023-10-31"
SERVE = str(Path(sys.executable).with_name("adtquery"))

Rows = list[Any]
Run = Callable[[], Rows]


class StaticToken:
    """Any object with get_token() is a credential; `--auth none` accepts any token."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("benchmark", int(time.time()) + 3600)


class AllowPlainHttp(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """The SDK refuses to send a bearer token over http:// without this."""

    def on_request(self, request: Any) -> None:
        request.context["enforce_https"] = False


@contextlib.contextmanager
def serve(database_url: str, secret: bytes) -> Iterator[str]:
    """`adtquery serve` on a free loopback port; yields its base URL. Tokens are signed with
    `secret`, so the executor's continuation tokens are good on the server too."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    environment = {**os.environ, "ADTQUERY_TOKEN_SECRET": secret.decode()}
    command = [SERVE, "serve", "--database-url", database_url, "--port", str(port)]
    # The access log line per request is part of the cost measured; it goes nowhere.
    server = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_healthy(endpoint, server)
        yield endpoint
    finally:
        server.terminate()
        server.wait(15)


def _wait_healthy(endpoint: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"adtquery serve exited with status {server.returncode}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{endpoint}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError("adtquery serve did not answer /healthz within 60 s")


def http_client(endpoint: str) -> httpx.Client:
    """One keep-alive connection, as an SDK client holds."""
    return httpx.Client(base_url=endpoint, params={"api-version": API_VERSION}, timeout=60)


def sdk_client(endpoint: str) -> DigitalTwinsClient:
    return DigitalTwinsClient(endpoint, StaticToken(), per_call_policies=[AllowPlainHttp()])


class RawHttp:
    """HTTP/1.1 on one keep-alive socket, no client library: what the server itself costs.
    httpx adds about 1 ms a request on this machine, the SDK more."""

    def __init__(self, endpoint: str) -> None:
        url = urlsplit(endpoint)
        self.host = url.netloc
        self.address = (url.hostname, url.port)
        self.sock = self._connect()

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(self.address)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def close(self) -> None:
        self.sock.close()

    def request(self, method: str, path: str, body: bytes = b"", headers: str = "") -> bytes:
        head = f"{method} {path}?api-version={API_VERSION} HTTP/1.1\r\nHost: {self.host}\r\n"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        message = f"{head}{headers}\r\n".encode() + body
        try:
            return self._exchange(message)
        except ConnectionError:  # uvicorn closes a connection idle for 5 s: open another
            self.sock.close()
            self.sock = self._connect()
            return self._exchange(message)

    def _exchange(self, message: bytes) -> bytes:
        self.sock.sendall(message)
        received = b""
        while b"\r\n\r\n" not in received:
            received += self._recv()
        head_bytes, _, content = received.partition(b"\r\n\r\n")
        lines = head_bytes.decode().split("\r\n")
        if lines[0].split()[1] != "200":
            raise RuntimeError(f"{message.splitlines()[0].decode()}: {lines[0]}")
        length = next(
            int(line.split(":")[1]) for line in lines if line.lower().startswith("content-length")
        )
        while len(content) < length:
            content += self._recv()
        return content

    def _recv(self) -> bytes:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk


@contextlib.contextmanager
def raw_client(endpoint: str) -> Iterator[RawHttp]:
    raw = RawHttp(endpoint)
    try:
        yield raw
    finally:
        raw.close()


def raw_post_query(raw: RawHttp, query: str, page_size: int, token: str | None) -> Run:
    body = orjson.dumps({"query": query} if token is None else {"continuationToken": token})
    headers = f"max-items-per-page: {page_size}\r\n"
    return lambda: orjson.loads(raw.request("POST", "/query", body, headers))["value"]


def raw_get_twin(raw: RawHttp, dtid: str) -> Run:
    path = f"/digitaltwins/{quote(dtid, safe='')}"
    return lambda: [orjson.loads(raw.request("GET", path))]


def post_query(client: httpx.Client, query: str, page_size: int, token: str | None) -> Run:
    """POST /query as the SDK sends it: one page, rows decoded."""
    body = {"query": query} if token is None else {"continuationToken": token}
    headers = {"max-items-per-page": str(page_size)}

    def run() -> Rows:
        response = client.post("/query", json=body, headers=headers)
        response.raise_for_status()
        return response.json()["value"]  # type: ignore[no-any-return]

    return run


def healthz(client: httpx.Client) -> Run:
    """The floor under every request: HTTP both ways, the middleware, one `SELECT 1`."""

    def run() -> Rows:
        client.get("/healthz").raise_for_status()
        return []

    return run


def get_twin(client: httpx.Client, dtid: str) -> Run:
    def run() -> Rows:
        response = client.get(f"/digitaltwins/{dtid}")
        response.raise_for_status()
        return [response.json()]

    return run


def sdk_get_twin(client: DigitalTwinsClient, dtid: str) -> Run:
    return lambda: [client.get_digital_twin(dtid)]


def sdk_query(client: DigitalTwinsClient, query: str) -> Run:
    """The first page of query_twins (the SDK's default page size)."""
    return lambda: list(next(iter(client.query_twins(query).by_page())))
