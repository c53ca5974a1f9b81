"""Names of the AGE graph and labels that hold twins and relationships, and the spelling of the
expressions its indexes are built on (docs/schema.md)."""

from __future__ import annotations

import json

GRAPH = "adt"
TWIN_LABEL = "Twin"
RELATIONSHIP_LABEL = "Relationship"
MODEL_LABEL = "Model"

# A page with IS_OF_MODEL binds each model set as ids expanded from the stored models at some
# version; its SQL hands that version to this function (adtquery.db.schema), which raises
# MODELS_CHANGED when the models in the page's own snapshot differ. Evaluated once per page.
MODELS_CHECK = f"{GRAPH}.check_models_version"
MODELS_VERSION_PARAM = "models_version"
MODELS_CHANGED = "AQM01"  # SQLSTATE, outside every class PostgreSQL defines

# Strings the service maintains whose equality queries and lookups go through an index on their
# text, not on the agtype: a btree on agtype compares through AGE's agtype_btree_cmp, which makes
# building or filling it 4-7x slower (100k twins, 300k relationships: `$relationshipName` 1.25 s
# -> 0.2 s, `$metadata.$model` 0.6 s -> 0.1 s). `$dtId` keeps its agtype index: it is what AGE's
# own Cypher translation of a lookup can use.
TEXT_INDEXED = frozenset([("$metadata", "$model"), ("$relationshipName",)])


def access(properties: str, keys: tuple[str, ...]) -> str:
    """The agtype at `keys` in a `properties` column, spelt as AGE's Cypher translation spells
    it: an expression index serves a query only when both are written alike."""
    path = "".join(f", {_key_literal(key)}" for key in keys)
    return f"ag_catalog.agtype_access_operator(VARIADIC ARRAY[{properties}{path}])"


def as_text(agtype: str) -> str:
    """An agtype string as text (unquoted) in the C collation, the form of the TEXT_INDEXED
    indexes; SQL NULL for a missing value, as the agtype is."""
    return f'(({agtype})::text COLLATE "C")'


def _key_literal(key: str) -> str:
    # A JSON string inside an SQL string; % doubled because psycopg reads it as a placeholder.
    text = json.dumps(key, ensure_ascii=False).replace("'", "''").replace("%", "%%")
    return f"'{text}'::ag_catalog.agtype"
