"""Event routes for the REST API, async: a plain table beside the graph (they are no graph data).

No endpoints exist yet, so routes are stored and listed but nothing is delivered.
"""

from __future__ import annotations

from typing import Any

import psycopg

TABLE = "public.adt_event_routes"
CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id text PRIMARY KEY, endpoint_name text NOT NULL, filter text NOT NULL)"
)


def ensure_table(conn: psycopg.Connection) -> None:
    """Create the table if missing (startup, synchronous like ensure_schema)."""
    conn.execute(CREATE)


def _route(row: tuple[str, str, str]) -> dict[str, Any]:
    return {"id": row[0], "endpointName": row[1], "filter": row[2]}


async def get(conn: psycopg.AsyncConnection, route_id: str) -> dict[str, Any] | None:
    cursor = await conn.execute(
        f"SELECT id, endpoint_name, filter FROM {TABLE} WHERE id = %s", (route_id,)
    )
    row = await cursor.fetchone()
    return None if row is None else _route(row)


async def page(
    conn: psycopg.AsyncConnection, after: str | None, limit: int
) -> list[dict[str, Any]]:
    cursor = await conn.execute(
        f"SELECT id, endpoint_name, filter FROM {TABLE} "
        "WHERE %(after)s::text IS NULL OR id > %(after)s ORDER BY id LIMIT %(limit)s",
        {"after": after, "limit": limit},
    )
    return [_route(row) for row in await cursor.fetchall()]


async def put(
    conn: psycopg.AsyncConnection, route_id: str, endpoint_name: str, filter: str
) -> None:
    await conn.execute(
        f"INSERT INTO {TABLE} (id, endpoint_name, filter) VALUES (%s, %s, %s) "
        "ON CONFLICT (id) DO UPDATE SET endpoint_name = EXCLUDED.endpoint_name, "
        "filter = EXCLUDED.filter",
        (route_id, endpoint_name, filter),
    )


async def delete(conn: psycopg.AsyncConnection, route_id: str) -> bool:
    cursor = await conn.execute(f"DELETE FROM {TABLE} WHERE id = %s", (route_id,))
    return cursor.rowcount > 0
