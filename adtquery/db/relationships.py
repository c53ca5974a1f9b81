"""Relationships for the REST API, async: rows of the `Relationship` edge label table.

The stored properties are the relationship exactly as GET returns it. A write locks its source
and target twins FOR KEY SHARE (so neither can be deleted meanwhile, while twin patches, which
take FOR NO KEY UPDATE, still proceed) and the relationship's own row FOR NO KEY UPDATE.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import psycopg

from adtquery.db import twins
from adtquery.db.schema import access
from adtquery.schema import GRAPH, RELATIONSHIP_LABEL, as_text

Document = dict[str, Any]
Change = Callable[[Document | None, Document | None, Document | None], Document]

RELATIONSHIPS = f'{GRAPH}."{RELATIONSHIP_LABEL}"'


# Written as the indexes relationship_source_key and relationship_name_text are, so lookups and
# pages use them: a relationship's source twin is its start_id.
_ID, _NAME = access("$relationshipId"), as_text(access("$relationshipName"))
_AGTYPE = "%s::text::ag_catalog.agtype"
_DOCUMENT = twins.DOCUMENT
_FROM_SOURCE = (
    f"start_id = (SELECT s.id FROM {twins.TWINS} s WHERE {access('$dtId', table='s')} = {_AGTYPE})"
)
_BY_KEY = f"{_FROM_SOURCE} AND {_ID} = {_AGTYPE}"


async def get(conn: psycopg.AsyncConnection, source_id: str, rel_id: str) -> Document | None:
    cursor = await conn.execute(
        f"SELECT {_DOCUMENT} FROM {RELATIONSHIPS} WHERE {_BY_KEY}",
        (json.dumps(source_id), json.dumps(rel_id)),
    )
    row = await cursor.fetchone()
    return None if row is None else json.loads(row[0])


async def _locked(
    conn: psycopg.AsyncConnection, source_id: str, rel_id: str
) -> tuple[str, Document] | None:
    cursor = await conn.execute(
        f"SELECT id::text, {_DOCUMENT} FROM {RELATIONSHIPS} WHERE {_BY_KEY} FOR NO KEY UPDATE",
        (json.dumps(source_id), json.dumps(rel_id)),
    )
    row = await cursor.fetchone()
    return None if row is None else (row[0], json.loads(row[1]))


async def write(
    conn: psycopg.AsyncConnection,
    source_id: str,
    rel_id: str,
    target_id: str | None,
    change: Change,
) -> Document:
    """Store `change(source, target, current)` (each None when absent; it may raise to refuse).

    `target_id` None keeps the current target.
    """
    return await twins.in_transaction_retrying_a_lost_create(
        conn, lambda: _write(conn, source_id, rel_id, target_id, change)
    )


async def _write(
    conn: psycopg.AsyncConnection,
    source_id: str,
    rel_id: str,
    target_id: str | None,
    change: Change,
) -> Document:
    source = await twins.locked(conn, source_id, "KEY SHARE")
    current = await _locked(conn, source_id, rel_id) if source else None
    target_id = target_id or (current[1]["$targetId"] if current else None)
    target = await twins.locked(conn, target_id, "KEY SHARE") if source and target_id else None
    document = change(source and source[1], target and target[1], current and current[1])
    assert source is not None and target is not None  # change refuses otherwise
    if current is None:
        cursor = await conn.execute(
            f"INSERT INTO {RELATIONSHIPS} (start_id, end_id, properties) VALUES "
            f"(%s::ag_catalog.graphid, %s::ag_catalog.graphid, {_AGTYPE}) RETURNING {_DOCUMENT}",
            (source[0], target[0], json.dumps(document, ensure_ascii=False)),
        )
    else:
        cursor = await conn.execute(
            f"UPDATE {RELATIONSHIPS} SET end_id = %s::ag_catalog.graphid, properties = {_AGTYPE} "
            f"WHERE id = %s::ag_catalog.graphid RETURNING {_DOCUMENT}",
            (target[0], json.dumps(document, ensure_ascii=False), current[0]),
        )
    row = await cursor.fetchone()
    assert row is not None
    return json.loads(row[0])  # type: ignore[no-any-return]


async def delete(
    conn: psycopg.AsyncConnection,
    source_id: str,
    rel_id: str,
    check: Callable[[Document | None, Document | None], None],
) -> None:
    """Delete the relationship once `check(source, current)` has passed (it raises if not)."""
    async with conn.transaction():
        source = await twins.locked(conn, source_id, "KEY SHARE")
        current = await _locked(conn, source_id, rel_id) if source else None
        check(source and source[1], current and current[1])
        assert current is not None
        await conn.execute(
            f"DELETE FROM {RELATIONSHIPS} WHERE id = %s::ag_catalog.graphid", (current[0],)
        )


async def outgoing(
    conn: psycopg.AsyncConnection, source_id: str, name: str | None, after: str | None, limit: int
) -> list[Document]:
    """Relationships from a twin in relationship id order, optionally of one name."""
    conditions = [_FROM_SOURCE]
    params = [json.dumps(source_id)]
    if name is not None:
        conditions.append(f"{_NAME} = %s")
        params.append(name)
    if after is not None:
        conditions.append(f"{_ID} > {_AGTYPE}")  # never >= on AGE's btree (apache-age.md)
        params.append(json.dumps(after))
    cursor = await conn.execute(
        f"SELECT {_DOCUMENT} FROM {RELATIONSHIPS} WHERE {' AND '.join(conditions)} "
        f"ORDER BY {_ID} LIMIT {int(limit)}",
        params,
    )
    return [json.loads(row[0]) for row in await cursor.fetchall()]


async def incoming(
    conn: psycopg.AsyncConnection, target_graph_id: str, after: tuple[str, str] | None, limit: int
) -> list[Document]:
    """Relationships into a twin, in (source id, relationship id) order."""
    source, rel_id = access("$sourceId", table="r"), access("$relationshipId", table="r")
    condition = ""
    params: list[str] = [target_graph_id]
    if after is not None:
        condition = f"AND ({source} > {_AGTYPE} OR ({source} = {_AGTYPE} AND {rel_id} > {_AGTYPE}))"
        params += [json.dumps(after[0]), json.dumps(after[0]), json.dumps(after[1])]
    cursor = await conn.execute(
        f"SELECT ag_catalog.agtype_out(r.properties)::text FROM {RELATIONSHIPS} r "
        f"WHERE r.end_id = %s::ag_catalog.graphid {condition} "
        f"ORDER BY {source}, {rel_id} LIMIT {int(limit)}",
        params,
    )
    return [json.loads(row[0]) for row in await cursor.fetchall()]
