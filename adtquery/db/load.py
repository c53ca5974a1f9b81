"""Bulk writes of twin and relationship documents straight into AGE's label tables.

Cypher CREATE checks each edge endpoint with a sequential scan (../shared/apache-age.md §6);
one INSERT ... SELECT per batch into the label tables is two orders of magnitude faster.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg

from adtquery.db.schema import access
from adtquery.schema import GRAPH, RELATIONSHIP_LABEL, TWIN_LABEL


def insert_twins(conn: psycopg.Connection, twins: list[dict[str, Any]]) -> None:
    conn.execute(
        f'INSERT INTO {GRAPH}."{TWIN_LABEL}" (properties) '
        "SELECT value::text::ag_catalog.agtype FROM json_array_elements(%s::json)",
        (json.dumps(twins, ensure_ascii=False),),
    )


def insert_relationships(conn: psycopg.Connection, relationships: list[dict[str, Any]]) -> None:
    """Relationships whose source or target twin does not exist are not written."""
    conn.execute(
        f'INSERT INTO {GRAPH}."{RELATIONSHIP_LABEL}" (start_id, end_id, properties) '
        "SELECT s.id, t.id, r.value::text::ag_catalog.agtype "
        "FROM jsonb_array_elements(%s::jsonb) r "
        f'JOIN {GRAPH}."{TWIN_LABEL}" s '
        f"ON {access('$dtId', table='s')} = (r.value -> '$sourceId')::text::ag_catalog.agtype "
        f'JOIN {GRAPH}."{TWIN_LABEL}" t '
        f"ON {access('$dtId', table='t')} = (r.value -> '$targetId')::text::ag_catalog.agtype",
        (json.dumps(relationships, ensure_ascii=False),),
    )
