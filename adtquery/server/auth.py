"""Who may call: bearer JWTs checked against configured keys (`--auth jwt`), or, with no auth,
only loopback clients.

`--auth none` accepts any token, or none; that is only safe on loopback, so `check_bind` refuses
any other address unless the operator passes --insecure, and `LoopbackOnlyMiddleware` refuses
remote peers in case a proxy forwards them anyway. `--auth jwt` verifies every request except
/healthz with PyJWT (signature, `iss`, `aud`, `exp`, `nbf`), using a PEM public key or a JWKS file
read once at startup, and may bind anywhere.

ADT documents no body for 401; the refusal uses its error shape with the code `Unauthorized`, and
RFC 6750's `WWW-Authenticate: Bearer` header.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from starlette.types import ASGIApp, Receive, Scope, Send

from adtquery.server.errors import ApiError, error_response

log = logging.getLogger("adtquery.server.auth")

OPEN_PATHS = ("/healthz",)  # answered without a token: probes carry none
LEEWAY_SECONDS = 60  # clock skew allowed on exp and nbf
_RSA = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
_EC = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
ENV = {
    "auth": "ADTQUERY_AUTH",
    "issuer": "ADTQUERY_JWT_ISSUER",
    "audience": "ADTQUERY_JWT_AUDIENCE",
    "public_key": "ADTQUERY_JWT_PUBLIC_KEY",
    "jwks": "ADTQUERY_JWT_JWKS",
}


class AuthConfigError(ValueError):
    """Settings or a key file that `--auth jwt` cannot start with."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, insecure: bool, *, authenticated: bool = False) -> None:
    """Refuse to listen beyond loopback without authentication, unless told to."""
    if not (insecure or authenticated or is_loopback(host)):
        raise ValueError(
            f"Refusing to listen on {host} without authentication: pass --auth jwt (with "
            "--jwt-issuer, --jwt-audience and a key), or --insecure to expose it anyway (anyone "
            "who can reach it can read and change every twin)."
        )


@dataclass(frozen=True)
class _Key:
    key: Any  # a cryptography public key
    algorithms: tuple[str, ...]


class JwtVerifier:
    """Checks bearer tokens; built once at startup by `load_auth`."""

    def __init__(
        self, *, issuer: str, audience: Sequence[str], keys: Mapping[str | None, _Key]
    ) -> None:
        self.issuer = issuer
        self.audience = list(audience)
        self.keys = dict(keys)  # by `kid`; None: the key of a PEM file, used for any token

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims; `jwt.PyJWTError` when it is malformed, unsigned by a known key,
        expired, not yet valid, or for another issuer or audience."""
        kid = jwt.get_unverified_header(token).get("kid")
        key = self.keys.get(None) or self.keys.get(kid)
        if key is None and kid is None and len(self.keys) == 1:
            key = next(iter(self.keys.values()))  # a one-key JWKS: tokens need not name it
        if key is None:
            raise jwt.InvalidKeyError(f"No key with kid {kid!r} is configured.")
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=list(key.algorithms),
            audience=self.audience,
            issuer=self.issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iss", "aud"]},
        )
        return claims


def load_auth(
    mode: str | None = None,
    *,
    issuer: str | None = None,
    audience: Sequence[str] | None = None,
    public_key: str | None = None,
    jwks: str | None = None,
) -> JwtVerifier | None:
    """The verifier for `--auth jwt`, its keys read now, or None for `--auth none`. Each setting
    falls back to its ADTQUERY_* variable; AuthConfigError says what is missing or which file is
    bad."""
    mode = mode or os.environ.get(ENV["auth"]) or "none"
    issuer = issuer or os.environ.get(ENV["issuer"])
    if not audience and (value := os.environ.get(ENV["audience"])):
        audience = [part.strip() for part in value.split(",") if part.strip()]
    public_key = public_key or os.environ.get(ENV["public_key"])
    jwks = jwks or os.environ.get(ENV["jwks"])
    if mode == "none":
        if issuer or audience or public_key or jwks:
            raise AuthConfigError("JWT settings are given but auth is none: pass --auth jwt.")
        return None
    if mode != "jwt":
        raise AuthConfigError(f"Unknown auth mode {mode!r}: use none or jwt.")
    if not issuer or not audience:
        raise AuthConfigError("--auth jwt needs --jwt-issuer and --jwt-audience.")
    if bool(public_key) == bool(jwks):
        raise AuthConfigError("--auth jwt needs one of --jwt-public-key FILE or --jwt-jwks FILE.")
    keys = _load_pem(public_key) if public_key else _load_jwks(jwks or "")
    return JwtVerifier(issuer=issuer, audience=audience, keys=keys)


def _read(path: str, what: str) -> str:
    try:
        return Path(path).read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise AuthConfigError(f"Cannot read the JWT {what} {path}: {error}") from error


def _load_pem(path: str) -> dict[str | None, _Key]:
    text = _read(path, "public key")
    try:
        if "-----BEGIN CERTIFICATE-----" in text:
            key: Any = x509.load_pem_x509_certificate(text.encode()).public_key()
        else:
            key = load_pem_public_key(text.encode())
    except ValueError as error:
        raise AuthConfigError(
            f"{path} is not a PEM public key or certificate ({error}); for a JWKS use --jwt-jwks."
        ) from error
    if isinstance(key, rsa.RSAPublicKey):
        algorithms: tuple[str, ...] = _RSA
    elif isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in _EC:
        algorithms = (_EC[key.curve.name],)
    elif isinstance(key, ed25519.Ed25519PublicKey):
        algorithms = ("EdDSA",)
    else:
        raise AuthConfigError(f"{path}: unsupported key type {type(key).__name__}.")
    return {None: _Key(key, algorithms)}


def _load_jwks(path: str) -> dict[str | None, _Key]:
    text = _read(path, "JWKS")
    try:
        entries = json.loads(text)["keys"]
    except (ValueError, KeyError, TypeError) as error:
        raise AuthConfigError(f'{path} is not a JWKS: expected {{"keys": [...]}}.') from error
    if not isinstance(entries, list):
        raise AuthConfigError(f'{path} is not a JWKS: "keys" is not a list.')
    keys: dict[str | None, _Key] = {}
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or entry.get("use") == "enc":
            continue  # encryption keys never sign tokens
        if entry.get("kty") == "oct":
            # A shared secret: anyone who may read the file could mint tokens.
            raise AuthConfigError(f"{path}: key {number} is symmetric; only public keys are used.")
        try:
            jwk = jwt.PyJWK(entry)
        except jwt.PyJWTError as error:
            raise AuthConfigError(f"{path}: key {number} is unusable: {error}") from error
        kid = entry.get("kid")
        if kid in keys or (kid is None and len(entries) > 1):
            raise AuthConfigError(f"{path}: key {number} needs a kid of its own.")
        keys[kid] = _Key(jwk.key, (jwk.algorithm_name,))
    if not keys:
        raise AuthConfigError(f"{path} holds no signing keys.")
    return keys


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else ""
    return None


def _refusal(message: str, challenge: str) -> ASGIApp:
    response = error_response(ApiError(401, "Unauthorized", message))
    response.headers["WWW-Authenticate"] = challenge
    return response


class JwtAuthMiddleware:
    """Every request but OPEN_PATHS carries a valid bearer token, or is answered 401."""

    def __init__(self, app: ASGIApp, *, verifier: JwtVerifier) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        token = _bearer(scope)
        if not token:
            # RFC 6750: no error attribute when the request carried no credentials at all.
            refusal = _refusal(
                "The request has no valid 'Authorization: Bearer <token>' header.",
                "Bearer" if token is None else 'Bearer error="invalid_request"',
            )
            await refusal(scope, receive, send)
            return
        try:
            scope["auth"] = self.verifier.verify(token)
        except jwt.PyJWTError as error:
            log.info("refused a token on %s %s: %s", scope["method"], scope["path"], error)
            refusal = _refusal(
                f"The access token is not valid: {error}",
                f'Bearer error="invalid_token", error_description="{_quoted(error)}"',
            )
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _quoted(error: Exception) -> str:
    """The error as a quoted-string a header can carry: printable ASCII, no `"` or `\\`."""
    return "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in str(error))


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
