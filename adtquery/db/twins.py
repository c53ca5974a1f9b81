"""Twins for the REST API, async: rows of the `Twin` label table, written with plain SQL.

Cypher SET fails instead of waiting-and-rechecking under concurrency (../shared/apache-age.md §7),
so every write is a read-modify-write in one transaction around `SELECT ... FOR NO KEY UPDATE`
on the twin's row: writers of one twin queue up, and ETag checks see the latest version. The
stored properties are the twin document exactly as GET returns it ($dtId, $etag, $metadata).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg

from adtquery.db.schema import access
from adtquery.schema import GRAPH, RELATIONSHIP_LABEL, TWIN_LABEL

Document = dict[str, Any]

TWINS = f'{GRAPH}."{TWIN_LABEL}"'
_RELATIONSHIPS = f'{GRAPH}."{RELATIONSHIP_LABEL}"'
# Written exactly as the unique index twin_dtid is, so lookups use it.
_BY_ID = f"{access('$dtId')} = %s::text::ag_catalog.agtype"
DOCUMENT = "ag_catalog.agtype_out(properties)::text"


def _agtype(document: Document) -> str:
    return json.dumps(document, ensure_ascii=False)


async def get(conn: psycopg.AsyncConnection, twin_id: str) -> Document | None:
    cursor = await conn.execute(
        f"SELECT {DOCUMENT} FROM {TWINS} WHERE {_BY_ID}", (json.dumps(twin_id),)
    )
    row = await cursor.fetchone()
    return None if row is None else json.loads(row[0])


async def graph_id(conn: psycopg.AsyncConnection, twin_id: str) -> str | None:
    cursor = await conn.execute(
        f"SELECT id::text FROM {TWINS} WHERE {_BY_ID}", (json.dumps(twin_id),)
    )
    row = await cursor.fetchone()
    return None if row is None else row[0]  # type: ignore[no-any-return]


async def locked(
    conn: psycopg.AsyncConnection, twin_id: str, mode: str = "NO KEY UPDATE"
) -> tuple[str, Document] | None:
    """The twin's graph id and document, row-locked until the transaction ends."""
    cursor = await conn.execute(
        f"SELECT id::text, {DOCUMENT} FROM {TWINS} WHERE {_BY_ID} FOR {mode}",
        (json.dumps(twin_id),),
    )
    row = await cursor.fetchone()
    return None if row is None else (row[0], json.loads(row[1]))


async def in_transaction_retrying_a_lost_create(
    conn: psycopg.AsyncConnection, work: Callable[[], Awaitable[Document]]
) -> Document:
    """Run `work` in a transaction; once more if a concurrent create won the unique index.

    Two creates of one new id race past the row lock (there is no row yet); the unique index
    stops the second, which then runs again and sees the first one's row.
    """
    for attempt in range(2):
        try:
            async with conn.transaction():
                return await work()
        except psycopg.errors.UniqueViolation:
            if attempt:
                raise
    raise AssertionError("unreachable")


async def write(
    conn: psycopg.AsyncConnection,
    twin_id: str,
    change: Callable[[Document | None], Document],
) -> Document:
    """Replace (or create) the twin with `change(current)`, which may raise to refuse."""

    async def work() -> Document:
        current = await locked(conn, twin_id)
        document = change(None if current is None else current[1])
        if current is None:
            cursor = await conn.execute(
                f"INSERT INTO {TWINS} (properties) VALUES (%s::text::ag_catalog.agtype) "
                f"RETURNING {DOCUMENT}",
                (_agtype(document),),
            )
        else:
            cursor = await conn.execute(
                f"UPDATE {TWINS} SET properties = %s::text::ag_catalog.agtype "
                f"WHERE id = %s::ag_catalog.graphid RETURNING {DOCUMENT}",
                (_agtype(document), current[0]),
            )
        row = await cursor.fetchone()
        assert row is not None
        return json.loads(row[0])  # type: ignore[no-any-return]

    return await in_transaction_retrying_a_lost_create(conn, work)


async def delete(
    conn: psycopg.AsyncConnection,
    twin_id: str,
    check: Callable[[Document, bool], None],
) -> bool:
    """Delete the twin unless `check(document, has_relationships)` raises; False if absent.

    FOR UPDATE conflicts with the FOR KEY SHARE a relationship write takes on its endpoints, so
    no relationship can appear between the check and the delete.
    """
    async with conn.transaction():
        current = await locked(conn, twin_id, "UPDATE")
        if current is None:
            return False
        graph_id, document = current
        cursor = await conn.execute(
            f"SELECT EXISTS (SELECT 1 FROM {_RELATIONSHIPS} "
            "WHERE start_id = %(id)s::ag_catalog.graphid OR end_id = %(id)s::ag_catalog.graphid)",
            {"id": graph_id},
        )
        row = await cursor.fetchone()
        check(document, bool(row and row[0]))
        await conn.execute(f"DELETE FROM {TWINS} WHERE id = %s::ag_catalog.graphid", (graph_id,))
    return True
