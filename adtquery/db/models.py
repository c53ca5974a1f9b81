"""Models stored as `Model` vertices: the DTDL as uploaded, and the `extends` ids it names."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from adtquery.db.schema import MODELS_VERSION, PROPERTY_STATISTICS, access
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


# Only the two keys: the whole vertex holds the model's DTDL, many times their size. One row
# even with no models, so the version always comes back, from the same snapshot as the ids.
_GRAPH = (
    f"SELECT {MODELS_VERSION}(), m.id, m.extends FROM (SELECT) one LEFT JOIN LATERAL ("
    f"SELECT ag_catalog.agtype_out({access('id')}) AS id, "
    f"ag_catalog.agtype_out({access('extends')}) AS extends FROM {_MODELS}) m ON true"
)


@dataclass(frozen=True, slots=True)
class ModelSets:
    """IS_OF_MODEL parameters bound to the model ids each accepts, expanded from the stored
    models at `version`; the page SQL checks that version (adtquery.schema.MODELS_CHECK)."""

    version: str
    accepted: dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class ModelGraph:
    """What each stored model extends, as read at `version`."""

    version: str
    extends: dict[str, list[str]]
    # A graph never changes once read, so neither does what a model accepts in it; walking
    # every ancestry costs more than the page of a rare model's twins.
    _accepted: dict[str, list[str]] = field(default_factory=dict, compare=False, repr=False)

    def sets(self, model_sets: dict[str, str]) -> ModelSets:
        return ModelSets(self.version, {param: self._accepts(m) for param, m in model_sets.items()})

    def _accepts(self, model: str) -> list[str]:
        if model not in self._accepted:
            self._accepted[model] = models_of(self.extends, model)
        return self._accepted[model]


# The graph this process read last, per database: a query binds its model sets from it without
# a round trip, and its SQL refuses to run if the models have changed since (adtquery.db.execute).
_LAST_READ: dict[tuple[str, int, str], ModelGraph] = {}


def _database(conn: psycopg.Connection) -> tuple[str, int, str]:
    return (conn.info.host, conn.info.port, conn.info.dbname)


def read_graph(conn: psycopg.Connection) -> ModelGraph:
    rows = conn.execute(_GRAPH).fetchall()
    extends = {json.loads(model): json.loads(bases) for _, model, bases in rows if model}
    graph = ModelGraph(rows[0][0], extends)
    _LAST_READ[_database(conn)] = graph
    return graph


def last_read_graph(conn: psycopg.Connection) -> ModelGraph:
    """The graph as this process last read it, or as stored now if it has not read it yet."""
    return _LAST_READ.get(_database(conn)) or read_graph(conn)


def extends_graph(conn: psycopg.Connection) -> dict[str, list[str]]:
    return read_graph(conn).extends


def resolve_model_sets(conn: psycopg.Connection, model_sets: dict[str, str]) -> ModelSets:
    """Bind each IS_OF_MODEL parameter to the ids of every model it accepts, as stored now."""
    return read_graph(conn).sets(model_sets)
