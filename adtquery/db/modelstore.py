"""Models for the REST API, async: `Model` vertices as `adtquery.db.models` writes them
(id, model, extends, uploadTime, decommissioned), so IS_OF_MODEL sees uploads at once.

Model writes take one advisory lock: an upload checks ids and references against everything
stored, and a delete checks nothing references its model; both must see a stable set.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import psycopg

from adtquery.db.models import INSERT_MODELS, extends_of, model_rows
from adtquery.db.schema import PROPERTY_STATISTICS, access
from adtquery.schema import GRAPH, MODEL_LABEL

_MODELS = f'{GRAPH}."{MODEL_LABEL}"'
_KEY = access("id")  # as the unique index model_key is written
_DOCUMENT = "ag_catalog.agtype_out(properties)::text"
_LOCK = 0x6164746D  # "adtm"


@dataclass(frozen=True, slots=True)
class StoredModel:
    id: str
    model: dict[str, Any]
    upload_time: str
    decommissioned: bool


def _stored(row: dict[str, Any]) -> StoredModel:
    return StoredModel(row["id"], row["model"], row["uploadTime"], row["decommissioned"])


async def lock(conn: psycopg.AsyncConnection) -> None:
    """Serialize model writes until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))


async def all_models(conn: psycopg.AsyncConnection) -> dict[str, StoredModel]:
    cursor = await conn.execute(f"SELECT {_DOCUMENT} FROM {_MODELS}")
    models = [_stored(json.loads(row[0])) for row in await cursor.fetchall()]
    return {model.id: model for model in models}


async def get(conn: psycopg.AsyncConnection, model_id: str) -> StoredModel | None:
    cursor = await conn.execute(
        f"SELECT {_DOCUMENT} FROM {_MODELS} WHERE {_KEY} = %s::text::ag_catalog.agtype",
        (json.dumps(model_id),),
    )
    row = await cursor.fetchone()
    return None if row is None else _stored(json.loads(row[0]))


async def insert(
    conn: psycopg.AsyncConnection, documents: list[dict[str, Any]], uploaded: str
) -> None:
    await conn.execute(INSERT_MODELS, (model_rows(documents, uploaded),))
    await conn.execute(PROPERTY_STATISTICS)


async def decommission(conn: psycopg.AsyncConnection, model: StoredModel) -> None:
    row = {
        "id": model.id,
        "model": model.model,
        "extends": extends_of(model.model),
        "uploadTime": model.upload_time,
        "decommissioned": True,
    }
    await conn.execute(
        f"UPDATE {_MODELS} SET properties = %s::text::ag_catalog.agtype "
        f"WHERE {_KEY} = %s::text::ag_catalog.agtype",
        (json.dumps(row, ensure_ascii=False), json.dumps(model.id)),
    )


async def delete(conn: psycopg.AsyncConnection, model_id: str) -> None:
    await conn.execute(
        f"DELETE FROM {_MODELS} WHERE {_KEY} = %s::text::ag_catalog.agtype",
        (json.dumps(model_id),),
    )
