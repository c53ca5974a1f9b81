"""The skeleton: api-version, error bodies, health, path decoding, loopback binding."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from adtquery.server.auth import check_bind
from tests.db.conftest import schema_url  # noqa: F401  (fixture)
from tests.server.conftest import error_code

pytestmark = pytest.mark.db


def test_healthz_needs_no_api_version(endpoint: str) -> None:
    response = httpx.get(f"{endpoint}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("version", ["2023-10-31", "2022-05-31", "2020-10-31"])
def test_every_supported_api_version_is_accepted(endpoint: str, version: str) -> None:
    response = httpx.post(
        f"{endpoint}/query",
        params={"api-version": version},
        json={"query": "SELECT * FROM DIGITALTWINS"},
    )
    assert response.status_code == 200


def test_missing_api_version_is_400(endpoint: str) -> None:
    response = httpx.post(f"{endpoint}/query", json={"query": "SELECT * FROM DIGITALTWINS"})
    assert response.status_code == 400
    assert error_code(response) == "MissingArgument"


def test_unknown_api_version_is_400(endpoint: str) -> None:
    response = httpx.post(
        f"{endpoint}/query?api-version=2019-01-01", json={"query": "SELECT * FROM DIGITALTWINS"}
    )
    assert response.status_code == 400
    assert error_code(response) == "InvalidArgument"
    assert "2019-01-01" in response.json()["error"]["message"]


def test_malformed_json_is_400_not_500(http: httpx.Client) -> None:
    response = http.post("/query", content=b"{not json")
    assert response.status_code == 400
    assert error_code(response) == "InvalidArgument"


def test_empty_body_is_bad_request(http: httpx.Client) -> None:
    response = http.post("/query", content=b"")
    assert response.status_code == 400
    assert error_code(response) == "BadRequest"


def test_unknown_path_and_method_use_adt_error_bodies(http: httpx.Client) -> None:
    assert error_code(http.get("/nowhere")) == "NotFound"
    response = http.delete("/query")
    assert response.status_code == 405
    assert error_code(response) == "MethodNotAllowed"


def test_bearer_token_is_optional_on_loopback(http: httpx.Client) -> None:
    body = {"query": "SELECT * FROM DIGITALTWINS"}
    assert http.post("/query", json=body).status_code == 200
    headers = {"Authorization": "Bearer anything"}
    assert http.post("/query", json=body, headers=headers).status_code == 200


def test_binding_beyond_loopback_needs_insecure() -> None:
    check_bind("127.0.0.1", insecure=False)
    check_bind("::1", insecure=False)
    check_bind("localhost", insecure=False)
    with pytest.raises(ValueError, match="--insecure"):
        check_bind("0.0.0.0", insecure=False)
    check_bind("0.0.0.0", insecure=True)


def test_cli_refuses_a_public_host_without_insecure(capsys: pytest.CaptureFixture[str]) -> None:
    from adtquery.cli.main import main

    assert main(["serve", "--host", "0.0.0.0", "--database-url", "postgresql://unused"]) == 2
    assert "--insecure" in capsys.readouterr().err


def test_cli_serve_starts_and_stops_gracefully(schema_url: str) -> None:  # noqa: F811
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    command = [sys.executable, "-m", "adtquery", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--database-url", schema_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz")
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    # uvicorn finishes the lifespan (pools closed), then re-raises the signal it caught.
    assert process.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert "GET /healthz 200" in output  # the access log line
