"""Models stored as `Model` vertices: the DTDL as uploaded, and the `extends` ids it names."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import psycopg

from adtquery.db.schema import PROPERTY_STATISTICS, access
from adtquery.models import models_of
from adtquery.schema import GRAPH, MODEL_LABEL

_MODELS = f'{GRAPH}."{MODEL_LABEL}"'


def extends_of(dtdl: dict[str, Any]) -> list[str]:
    """The ids an interface extends; DTDL allows one id, a list, or inline interfaces."""
    value = dtdl.get("extends", [])
    items = value if isinstance(value, list) else [value]
    return [item["@id"] if isinstance(item, dict) else item for item in items]


INSERT_MODELS = (
    f"INSERT INTO {_MODELS} (properties) "
    "SELECT value::text::ag_catalog.agtype FROM json_array_elements(%s::json)"
)


def model_rows(models: Iterable[dict[str, Any]], uploaded: str) -> str:
    """The INSERT_MODELS parameter: Model vertex properties for each DTDL document, as JSON."""
    rows = [
        {
            "id": dtdl["@id"],
            "model": dtdl,
            "extends": extends_of(dtdl),
            "uploadTime": uploaded,
            "decommissioned": False,
        }
        for dtdl in models
    ]
    return json.dumps(rows, ensure_ascii=False)


def insert_models(
    conn: psycopg.Connection, models: Iterable[dict[str, Any]], uploaded: str
) -> None:
    conn.execute(INSERT_MODELS, (model_rows(models, uploaded),))
    conn.execute(PROPERTY_STATISTICS)


# Only the two keys: the whole vertex holds the model's DTDL, many times their size.
_EXTENDS = (
    f"SELECT ag_catalog.agtype_out({access('id')}), ag_catalog.agtype_out({access('extends')}) "
    f"FROM {_MODELS}"
)


def extends_graph(conn: psycopg.Connection) -> dict[str, list[str]]:
    rows = conn.execute(_EXTENDS).fetchall()
    return {json.loads(model_id): json.loads(extends) for model_id, extends in rows}


def resolve_model_sets(
    conn: psycopg.Connection, model_sets: dict[str, str]
) -> dict[str, list[str]]:
    """Bind each IS_OF_MODEL parameter to the ids of every model it accepts."""
    if not model_sets:
        return {}
    extends = extends_graph(conn)
    return {param: models_of(extends, model) for param, model in model_sets.items()}
