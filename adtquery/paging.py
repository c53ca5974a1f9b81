"""Continuation tokens: where the next page starts, signed and bound to its query.

A token holds the ADT query text (so a later request may leave the query out, as ADT allows), the
keyset position of the last row sent (graph ids, and a branch number for MATCH hop ranges) and
how many rows TOP still allows. It never holds Cypher or SQL: the query is compiled again and
checked like any other, and the position is only ever bound as typed parameters. An HMAC over
the whole token refuses any change; a position must also fit the compiled query's key shape.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass

from adtquery.errors import BadRequest

_VERSION = 1
_GRAPHID = re.compile(r"[0-9]{1,20}")


@dataclass(frozen=True, slots=True)
class Position:
    query: str
    after: tuple[int | str, ...]
    remaining: int | None  # rows TOP still allows; None without TOP


def encode(position: Position, secret: bytes) -> str:
    payload = json.dumps(
        {"v": _VERSION, "q": position.query, "k": list(position.after), "n": position.remaining},
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    return f"{_b64(payload)}.{_b64(_sign(payload, secret))}"


def decode(token: str, secret: bytes, query: str | None) -> Position:
    """The position in `token`, or BadRequest if it was altered, cut, or belongs elsewhere.

    `query` is the text sent with the token, if any. Check the position against the compiled
    query with `check_fits` before using it.
    """
    try:
        body, signature = token.split(".")
        payload = _unb64(body)
        valid = hmac.compare_digest(_unb64(signature), _sign(payload, secret))
    except ValueError:
        valid = False
    if not valid:
        raise _invalid("it is not one this service issued, or it was changed")
    data = json.loads(payload)
    if data.get("v") != _VERSION:
        raise _invalid("it was issued by another version of this service")
    position = Position(data["q"], tuple(data["k"]), data["n"])
    if query is not None and query != position.query:
        raise _invalid("it belongs to another query")
    return position


def check_fits(position: Position, key_types: tuple[str, ...]) -> None:
    """Refuse a position whose shape is not the compiled query's keyset (graph ids, branch)."""
    remaining = position.remaining
    fits = len(position.after) == len(key_types) and (
        remaining is None or (type(remaining) is int and remaining > 0)
    )
    for value, kind in zip(position.after, key_types, strict=False):
        if kind == "integer":
            fits = fits and type(value) is int and value >= 0
        else:  # a graph id; None pads the keys of shorter MATCH branches
            fits = fits and (
                value is None or (isinstance(value, str) and bool(_GRAPHID.fullmatch(value)))
            )
    if not fits:
        raise _invalid("its position does not fit the query")


def _invalid(why: str) -> BadRequest:
    return BadRequest(f"The continuation token is invalid: {why}.", reason="bad-token")


def _sign(payload: bytes, secret: bytes) -> bytes:
    return hmac.new(secret, hashlib.sha256(payload).digest(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
