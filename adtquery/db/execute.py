"""Run a CompiledQuery on AGE and shape its rows exactly as ADT's POST /query does."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg

from adtquery import paging
from adtquery.analyze import ShapeKind
from adtquery.compiler import CompiledQuery, compile_query
from adtquery.db import models
from adtquery.db.models import ModelSets
from adtquery.errors import BadRequest
from adtquery.schema import MODELS_CHANGED, MODELS_VERSION_PARAM

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# Runs of a page whose models changed while it was bound: each one reads them anew, so only
# uploads faster than queries exhaust them, and then the last error stands.
_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[dict[str, Any]]
    last_key: tuple[str | int, ...] | None  # the position after the last row, when more follow


@dataclass(frozen=True, slots=True)
class QueryPage:
    """One page of POST /query: its rows, and the token for the next page when there is one."""

    rows: list[dict[str, Any]]
    continuation_token: str | None


def query_page(
    conn: psycopg.Connection,
    *,
    query: str | None,
    continuation_token: str | None,
    page_size: int | None,
    secret: bytes,
) -> QueryPage:
    """Run one page of an ADT query as POST /query does; later pages resume from their token.

    A page never comes back empty with a token: one row more than the page is read to know.
    """
    size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    position = None
    if continuation_token is not None:
        position = paging.decode(continuation_token, secret, query)
        query = position.query
    if not query:
        raise BadRequest("The query is missing.", reason="missing-query")
    compiled = compile_query(query)
    if position is not None:
        paging.check_fits(position, compiled.paged.key_types)
    remaining = position.remaining if position is not None else compiled.top
    limit = size if remaining is None else min(size, remaining)
    after = position.after if position else None
    if compiled.model_sets:
        page = _page_with_model_sets(conn, compiled, limit, after)
    else:
        page = run_page(conn, compiled, None, limit, after)
    left = None if remaining is None else remaining - len(page.rows)
    token = None
    if page.last_key is not None and left != 0:
        token = paging.encode(paging.Position(query, page.last_key, left), secret)
    return QueryPage(page.rows, token)


def _page_with_model_sets(
    conn: psycopg.Connection,
    compiled: CompiledQuery,
    limit: int,
    after: Sequence[str | int] | None,
) -> Page:
    """The page, with IS_OF_MODEL expanded through the models as this process last read them:
    reading them first would cost a round trip of its own on every query. The page's SQL
    checks their version in its own snapshot and refuses to run if they have changed since;
    then they are read again. (An error: `conn` must be in autocommit mode.)"""
    graph = models.last_read_graph(conn)
    for _ in range(_ATTEMPTS - 1):
        try:
            return run_page(conn, compiled, graph.sets(compiled.model_sets), limit, after)
        except psycopg.DatabaseError as error:
            if error.sqlstate != MODELS_CHANGED:
                raise
        graph = models.read_graph(conn)
    return run_page(conn, compiled, graph.sets(compiled.model_sets), limit, after)


def sql_params(compiled: CompiledQuery, model_sets: ModelSets | None) -> dict[str, str | list[str]]:
    """The paged SQL's arguments: agtype text for literals, arrays of model ids for model sets."""
    values: dict[str, str | list[str]] = {
        name: json.dumps(value, ensure_ascii=False) for name, value in compiled.params.items()
    }
    if model_sets is not None and compiled.model_sets:
        values[MODELS_VERSION_PARAM] = model_sets.version
        for name, accepted in model_sets.accepted.items():
            values[name] = list(accepted)
    return values


def run_cypher(
    conn: psycopg.Connection, compiled: CompiledQuery, model_sets: ModelSets | None
) -> list[dict[str, Any]]:
    """Every row of the query, through AGE's cypher() (no paging)."""
    accepted = model_sets.accepted if model_sets is not None else {}
    params = json.dumps({**compiled.params, **accepted}, ensure_ascii=False)
    arguments: dict[str, Any] = {"params": params, "top": compiled.top}
    rows = conn.execute(compiled.statement, arguments).fetchall()
    return [shape_row(compiled, row) for row in rows]


def run_page(
    conn: psycopg.Connection,
    compiled: CompiledQuery,
    model_sets: ModelSets | None,
    limit: int,
    after: Sequence[str | int] | None = None,
) -> Page:
    """At most `limit` rows after position `after`, from the keyset-paged SQL."""
    paged = compiled.paged
    arguments: dict[str, Any] = sql_params(compiled, model_sets)
    if paged.next is None:  # COUNT: one row, no position
        row = conn.execute(paged.first, arguments).fetchone()
        assert row is not None
        return Page([{"COUNT": row[0]}], None)
    if after is not None:
        arguments.update({f"k{i}": value for i, value in enumerate(after)})
    # A model set holds 0.01% of the twins or half of them: only a custom plan, made for the
    # set at hand, knows which (a generic one walked twin_id for 0.08%: 7 ms -> 220 ms at 1M).
    prepare = False if compiled.model_sets else None
    statement = paged.page(limit + 1, after is not None)
    rows = conn.execute(statement, arguments, prepare=prepare).fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    last = tuple(rows[-1][: paged.keys]) if more else None
    return Page([shape_row(compiled, row[paged.keys :]) for row in rows], last)


def fetch_all(
    conn: psycopg.Connection,
    compiled: CompiledQuery,
    model_sets: ModelSets | None,
    page_size: int,
) -> list[list[dict[str, Any]]]:
    """Every page of the query, honouring TOP across pages; no page is empty but the first."""
    pages: list[list[dict[str, Any]]] = []
    remaining = compiled.top
    after: tuple[str | int, ...] | None = None
    while True:
        limit = page_size if remaining is None else min(page_size, remaining)
        page = run_page(conn, compiled, model_sets, limit, after)
        pages.append(page.rows)
        if remaining is not None:
            remaining -= len(page.rows)
        if page.last_key is None or remaining == 0:
            return pages
        after = page.last_key


def decode_agtype(text: str) -> Any:
    """An agtype value from its text, which is JSON for whatever ADT stores: orjson reads a
    twin in a third of json's time, the bulk of a 1000-row page's Python. Only the JSON-foreign
    floats (NaN, Infinity) a Cypher write could store fall back to json."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def shape_row(compiled: CompiledQuery, values: Sequence[Any]) -> dict[str, Any]:
    if compiled.shape is ShapeKind.COUNT:
        return {"COUNT": int(values[0])}
    decoded = [None if value is None else decode_agtype(value) for value in values]
    if compiled.shape is ShapeKind.DOCUMENTS:
        return decoded[0]
    # ADT leaves out a projected property the twin does not have.
    return {
        name: value
        for name, value in zip(compiled.columns, decoded, strict=True)
        if value is not None
    }
