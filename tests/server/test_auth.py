"""`--auth jwt`: bearer tokens signed by a configured key (PEM or JWKS) pass, anything else is
refused with 401 in ADT's error shape; /healthz stays open; bad settings fail at startup."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from azure.digitaltwins.core import DigitalTwinsClient
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from adtquery.server.app import Settings
from adtquery.server.auth import AuthConfigError, JwtVerifier, check_bind, load_auth
from tests.db.conftest import schema_url, server_url  # noqa: F401  (fixtures)
from tests.server.conftest import API_VERSION, AllowPlainHttp, error_code, running

pytestmark = pytest.mark.db

ISSUER = "https://login.example.test/tenant/v2.0"
AUDIENCE = "https://digitaltwins.azure.net"
ROOM = {
    "@id": "dtmi:example:auth:Room;1",
    "@type": "Interface",
    "@context": "dtmi:dtdl:context;2",
    "contents": [
        {"@type": "Property", "name": "temperature", "schema": "double"},
        {"@type": "Relationship", "name": "next"},
    ],
}
QUERY = {"query": "SELECT * FROM DIGITALTWINS"}

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def token(key: Any = RSA_KEY, *, kid: str | None = None, **claims: Any) -> str:
    """A token for ISSUER and AUDIENCE, valid for an hour; `claims` override (None drops one)."""
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "tester", "iat": now, "exp": now + 3600}
    payload = {name: value for name, value in {**payload, **claims}.items() if value is not None}
    algorithm = "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "RS256"
    headers = {"kid": kid} if kid else None
    return jwt.encode(payload, key, algorithm=algorithm, headers=headers)


def pem(key: Any) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class SignedToken:
    """A duck-typed TokenCredential handing out one fixed JWT."""

    def __init__(self, value: str) -> None:
        self.value = value

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.value, int(time.time()) + 3600)


def sdk(endpoint: str, value: str) -> DigitalTwinsClient:
    return DigitalTwinsClient(endpoint, SignedToken(value), per_call_policies=[AllowPlainHttp()])


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def serve(url: str, verifier: JwtVerifier) -> contextlib.AbstractContextManager[str]:
    """`adtquery serve --auth jwt` in a thread on a free loopback port."""
    return running(Settings(database_url=url, token_secret=b"test", pool_size=4, jwt=verifier))


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the RSA public key as PEM, and a JWKS of an RSA key (k1) and an EC key (k2)."""
    folder = tmp_path_factory.mktemp("keys")
    (folder / "public.pem").write_bytes(pem(RSA_KEY))
    jwks = {
        "keys": [
            {**jwt.algorithms.RSAAlgorithm.to_jwk(RSA_KEY.public_key(), as_dict=True), "kid": "k1"},
            {**jwt.algorithms.ECAlgorithm.to_jwk(EC_KEY.public_key(), as_dict=True), "kid": "k2"},
        ]
    }
    (folder / "jwks.json").write_text(json.dumps(jwks))
    return folder


@pytest.fixture(scope="module")
def endpoint(schema_url: str, keys: Path) -> Iterator[str]:  # noqa: F811
    verifier = load_auth(
        "jwt", issuer=ISSUER, audience=[AUDIENCE], public_key=str(keys / "public.pem")
    )
    assert verifier is not None
    with serve(schema_url, verifier) as url:
        yield url


@pytest.fixture(scope="module")
def jwks_endpoint(schema_url: str, keys: Path) -> Iterator[str]:  # noqa: F811
    verifier = load_auth("jwt", issuer=ISSUER, audience=[AUDIENCE], jwks=str(keys / "jwks.json"))
    assert verifier is not None
    with serve(schema_url, verifier) as url:
        yield url


@pytest.fixture(scope="module")
def http(endpoint: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=endpoint, params={"api-version": API_VERSION}) as raw:
        yield raw


def refused(response: httpx.Response) -> str:
    """The 401's message, after checking ADT's error shape and the bearer challenge."""
    assert response.status_code == 401
    assert error_code(response) == "Unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")
    return response.json()["error"]["message"]  # type: ignore[no-any-return]


def test_a_valid_token_works_through_the_sdk(endpoint: str) -> None:
    client = sdk(endpoint, token())
    client.create_models([ROOM])
    for twin_id, temperature in (("room1", 21.5), ("room2", 19.0)):
        twin = {"$metadata": {"$model": ROOM["@id"]}, "temperature": temperature}
        client.upsert_digital_twin(twin_id, twin)
    relationship = {"$relationshipName": "next", "$targetId": "room2"}
    client.upsert_relationship("room1", "r1", relationship)
    query = "SELECT B FROM DIGITALTWINS A JOIN B RELATED A.next WHERE A.$dtId = 'room1'"
    rows = list(client.query_twins(query))
    assert [row["B"]["$dtId"] for row in rows] == ["room2"]


def test_an_expired_token_is_a_client_authentication_error(endpoint: str) -> None:
    client = sdk(endpoint, token(exp=int(time.time()) - 120))
    with pytest.raises(ClientAuthenticationError) as caught:
        client.get_digital_twin("room1")
    assert caught.value.status_code == 401
    assert "expired" in str(caught.value)


def test_no_header_is_401_with_adt_error_body(http: httpx.Client) -> None:
    response = http.post("/query", json=QUERY)
    assert "Authorization: Bearer" in refused(response)
    assert response.headers["www-authenticate"] == "Bearer"  # RFC 6750: no error, no token sent


def test_auth_is_checked_before_the_api_version(endpoint: str) -> None:
    refused(httpx.post(f"{endpoint}/query", json=QUERY))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (token(aud="https://someone.else"), "Audience"),
        (token(iss="https://login.example.test/other/v2.0"), "issuer"),
        (token(nbf=int(time.time()) + 600), "not yet valid"),
        (token(OTHER_RSA_KEY), "Signature verification failed"),
        (token(exp=None), "exp"),
        ("not-a-jwt", "segments"),
    ],
    ids=["audience", "issuer", "not-before", "signature", "no-exp", "malformed"],
)
def test_invalid_tokens_are_401(http: httpx.Client, value: str, reason: str) -> None:
    response = http.post("/query", json=QUERY, headers=bearer(value))
    assert reason in refused(response)
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


def test_other_schemes_are_401(http: httpx.Client) -> None:
    response = http.post("/query", json=QUERY, headers={"Authorization": f"Basic {token()}"})
    refused(response)
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_request"'


def test_clock_skew_within_a_minute_is_tolerated(http: httpx.Client) -> None:
    value = token(exp=int(time.time()) - 30, nbf=int(time.time()) + 30)
    assert http.post("/query", json=QUERY, headers=bearer(value)).status_code == 200


def test_healthz_needs_no_token(endpoint: str) -> None:
    assert httpx.get(f"{endpoint}/healthz").status_code == 200


def test_jwks_keys_are_chosen_by_kid(jwks_endpoint: str) -> None:
    assert sdk(jwks_endpoint, token(kid="k1")).get_model(ROOM["@id"]).id == ROOM["@id"]
    assert sdk(jwks_endpoint, token(EC_KEY, kid="k2")).get_model(ROOM["@id"]).id == ROOM["@id"]
    url = f"{jwks_endpoint}/query?api-version={API_VERSION}"
    assert "'k9'" in refused(httpx.post(url, json=QUERY, headers=bearer(token(kid="k9"))))
    assert "kid" in refused(httpx.post(url, json=QUERY, headers=bearer(token())))
    wrong_key = token(RSA_KEY, kid="k2")  # k2 is the EC key: RS256 is not its algorithm
    refused(httpx.post(url, json=QUERY, headers=bearer(wrong_key)))


def test_binding_anywhere_is_allowed_with_jwt() -> None:
    check_bind("0.0.0.0", insecure=False, authenticated=True)
    with pytest.raises(ValueError, match="--auth jwt"):
        check_bind("0.0.0.0", insecure=False)


def test_settings_come_from_the_environment(keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADTQUERY_AUTH", "jwt")
    monkeypatch.setenv("ADTQUERY_JWT_ISSUER", ISSUER)
    monkeypatch.setenv("ADTQUERY_JWT_AUDIENCE", f"api://other, {AUDIENCE}")
    monkeypatch.setenv("ADTQUERY_JWT_JWKS", str(keys / "jwks.json"))
    verifier = load_auth()
    assert verifier is not None
    assert verifier.verify(token(kid="k1"))["sub"] == "tester"


@pytest.mark.parametrize(
    ("content", "options", "message"),
    [
        (b"", {}, "--jwt-issuer and --jwt-audience"),
        (b"not a key", {"public_key": True}, "is not a PEM public key"),
        (b"[1, 2]", {"jwks": True}, "is not a JWKS"),
        (b'{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}', {"jwks": True}, "symmetric"),
        (b'{"keys": [{"kty": "RSA", "n": "x"}]}', {"jwks": True}, "key 1 is unusable"),
        (b'{"keys": []}', {"jwks": True}, "holds no signing keys"),
    ],
    ids=["no-issuer", "bad-pem", "bad-jwks", "symmetric", "broken-key", "empty"],
)
def test_bad_settings_fail_at_startup(
    tmp_path: Path, content: bytes, options: dict[str, bool], message: str
) -> None:
    path = tmp_path / "key"
    path.write_bytes(content)
    files = {name: str(path) for name in options}
    names: dict[str, Any] = {"issuer": ISSUER, "audience": [AUDIENCE]} if options else {}
    with pytest.raises(AuthConfigError, match=message):
        load_auth("jwt", **names, **files)


def test_jwt_settings_without_auth_jwt_are_refused() -> None:
    with pytest.raises(AuthConfigError, match="--auth jwt"):
        load_auth("none", issuer=ISSUER)


def test_cli_reports_a_missing_key_file(capsys: pytest.CaptureFixture[str]) -> None:
    from adtquery.cli.main import main

    argv = ["serve", "--auth", "jwt", "--jwt-issuer", ISSUER, "--jwt-audience", AUDIENCE]
    assert main([*argv, "--jwt-public-key", "/nonexistent/key.pem"]) == 2
    assert "Cannot read the JWT public key /nonexistent/key.pem" in capsys.readouterr().err
