"""The storage schema on AGE (docs/schema.md): one graph, labels for twins, relationships and
models, and the indexes the compiler's SQL and Cypher are written to use. Creating it is
idempotent and safe to run from two processes at once."""

from __future__ import annotations

import psycopg

from adtquery.schema import (
    GRAPH,
    MODEL_LABEL,
    MODELS_CHANGED,
    MODELS_CHECK,
    RELATIONSHIP_LABEL,
    TWIN_LABEL,
    as_text,
)
from adtquery.schema import access as agtype_at

# AGE compiles Cypher to SQL only once age.so is loaded, and its operators need ag_catalog first.
SESSION_SETUP = "LOAD 'age'; SET search_path = ag_catalog, \"$user\", public"

_LOCK = 0x61647471  # "adtq": serializes schema creation; AGE label creation is not concurrency-safe


def access(*keys: str, table: str | None = None) -> str:
    """The value at `keys` in a row's properties, written as the indexes below are: a lookup
    must use the same text as an index for the planner to use it."""
    return agtype_at(f"{table}.properties" if table else "properties", keys)


_TWINS = f'{GRAPH}."{TWIN_LABEL}"'
_RELATIONSHIPS = f'{GRAPH}."{RELATIONSHIP_LABEL}"'
_MODELS = f'{GRAPH}."{MODEL_LABEL}"'

# AGE 1.5 creates no index on label tables. Never range-scan the agtype ones with >= (AGE's btree
# opclass swaps > and >=); the compiler writes >= as > OR =. Strings the service maintains are
# indexed as text (adtquery.schema.TEXT_INDEXED), but for `$dtId`, which AGE's Cypher looks up.
INDEXES = (
    f"CREATE UNIQUE INDEX IF NOT EXISTS twin_id ON {_TWINS} (id)",
    f"CREATE UNIQUE INDEX IF NOT EXISTS twin_dtid ON {_TWINS} ({access('$dtId')})",
    f"CREATE INDEX IF NOT EXISTS twin_model_text ON {_TWINS} "
    f"({as_text(access('$metadata', '$model'))})",
    f"CREATE UNIQUE INDEX IF NOT EXISTS relationship_id ON {_RELATIONSHIPS} (id)",
    # INCLUDE (id) keeps AGE's edge checks and our keyset joins index-only.
    f"CREATE INDEX IF NOT EXISTS relationship_start ON {_RELATIONSHIPS} (start_id, end_id) "
    "INCLUDE (id)",
    f"CREATE INDEX IF NOT EXISTS relationship_end ON {_RELATIONSHIPS} (end_id, start_id) "
    "INCLUDE (id)",
    # ADT's identity of a relationship, its id per source twin: start_id is the source twin, and
    # compares as an integer where `$sourceId` would compare as agtype (1.9 s -> 0.3 s to build).
    f"CREATE UNIQUE INDEX IF NOT EXISTS relationship_source_key ON {_RELATIONSHIPS} "
    f"(start_id, {access('$relationshipId')})",
    f"CREATE INDEX IF NOT EXISTS relationship_name_text ON {_RELATIONSHIPS} "
    f"({as_text(access('$relationshipName'))})",
    f"CREATE UNIQUE INDEX IF NOT EXISTS model_id ON {_MODELS} (id)",
    f"CREATE UNIQUE INDEX IF NOT EXISTS model_key ON {_MODELS} ({access('id')})",
)
# Indexes of earlier versions, on agtype, that the ones above replace.
_RETIRED_INDEXES = ("twin_model", "relationship_key", "relationship_name")


# Indexes no constraint depends on: a bulk import into an empty label table drops them and
# builds them again at the end of its section, which beats keeping them current row by row.
SECONDARY_INDEXES = {
    TWIN_LABEL: ("twin_model_text",),
    RELATIONSHIP_LABEL: ("relationship_start", "relationship_end", "relationship_name_text"),
}


# No index serves a filter on an ordinary property, and without statistics on the expression the
# planner takes 0.5% of twins to match: for a keyset page it then walks twin_id in order, which
# reads every twin when few match (1M twins, 100 rooms of a cost centre: ~1.5 s, where a
# parallel scan and a sort take ~0.35 s), yet is right for a common value (a few ms). Statistics
# on the access expression of every primitive or enum property a model declares let ANALYZE
# tell the two apart. They cost writes nothing, and ANALYZE ~0.1 s each on a sample of 30,000
# twins (an import's samples 9,000: adtquery.db.importunits). Objects and maps get none: ADT
# compares them with no literal. Run after models are stored, in the writer's transaction.
PROPERTY_STATISTICS = f"""DO $$
DECLARE name text;
BEGIN
  PERFORM pg_advisory_xact_lock({_LOCK});
  FOR name IN
    SELECT DISTINCT p.name #>> '{{}}' FROM {_MODELS} m, jsonb_path_query(
      ag_catalog.agtype_out(m.properties)::text::jsonb,
      '$.model.**.contents[*] ? (@."@type" == "Property" && '
      '(@.schema.type() == "string" || @.schema."@type" == "Enum")).name') AS p(name)
  LOOP
    CONTINUE WHEN name !~ '^[A-Za-z][A-Za-z0-9_]{{0,63}}$';  -- DTDL's names, as a guard
    EXECUTE format(
      'CREATE STATISTICS IF NOT EXISTS {GRAPH}.%I ON '
      '(ag_catalog.agtype_access_operator(VARIADIC ARRAY[properties, %L::ag_catalog.agtype])) '
      'FROM {_TWINS}',
      left('twin_' || name, 50) || '_' || left(md5(name), 8), '"' || name || '"');
  END LOOP;
END $$"""


# Which models are stored, in a few bytes: an upload or a delete changes the count or the newest
# graph id (AGE's label sequence never goes back), and a graph made anew has a new table oid.
# PL/pgSQL, not SQL: it keeps the plan of its query per session, where an SQL function plans
# it on every call (0.11 ms a page; this way 0.04 ms).
MODELS_VERSION = f"{GRAPH}.models_version"
MODELS_VERSION_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION {MODELS_VERSION}() RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
  RETURN (SELECT '{_MODELS}'::regclass::oid || ':' || count(*) || ':'
          || coalesce(max(id::text::bigint), 0) FROM {_MODELS});
END $$;
CREATE OR REPLACE FUNCTION {MODELS_CHECK}(expected text) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
  IF {MODELS_VERSION}() IS DISTINCT FROM expected THEN
    RAISE EXCEPTION 'the models changed after this query expanded IS_OF_MODEL through them'
      USING ERRCODE = '{MODELS_CHANGED}';
  END IF;
  RETURN true;
END $$"""


def drop_secondary_indexes(conn: psycopg.Connection, label: str) -> None:
    for name in SECONDARY_INDEXES[label]:
        conn.execute(f"DROP INDEX IF EXISTS {GRAPH}.{name}")


# A bulk load into a label table keeps autovacuum off it until the load has ended and run its
# own ANALYZE: mid-import, autovacuum's ANALYZE of the twins costs ~3 s of a 2-core machine's
# CPU, and the index builds at a section's end wait for it (deadlock_timeout) to be cancelled.
_PAUSED = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = %s AND c.relname = ANY(%s) "
    "AND 'autovacuum_enabled=false' = ANY(c.reloptions)"
)


def pause_autovacuum(conn: psycopg.Connection, label: str) -> None:
    conn.execute(f'ALTER TABLE {GRAPH}."{label}" SET (autovacuum_enabled = false)')


def resume_autovacuum(conn: psycopg.Connection) -> None:
    """Autovacuum back on every label table a load paused it on (a no-op when none is)."""
    labels = [TWIN_LABEL, RELATIONSHIP_LABEL]
    for (label,) in conn.execute(_PAUSED, (GRAPH, labels)).fetchall():
        conn.execute(f'ALTER TABLE {GRAPH}."{label}" RESET (autovacuum_enabled)')


def create_indexes(conn: psycopg.Connection) -> None:
    """The indexes that are missing (a no-op when all exist)."""
    for statement in INDEXES:
        conn.execute(statement)


def ensure_schema(conn: psycopg.Connection) -> None:
    """Create the extension, graph, labels and indexes that are missing."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        conn.execute("CREATE EXTENSION IF NOT EXISTS age")
        conn.execute(SESSION_SETUP)
        if not conn.execute("SELECT 1 FROM ag_graph WHERE name = %s", (GRAPH,)).fetchone():
            conn.execute("SELECT create_graph(%s)", (GRAPH,))
        for label, kind in ((TWIN_LABEL, "v"), (MODEL_LABEL, "v"), (RELATIONSHIP_LABEL, "e")):
            exists = conn.execute(
                "SELECT 1 FROM ag_label l JOIN ag_graph g ON l.graph = g.graphid "
                "WHERE g.name = %s AND l.name = %s",
                (GRAPH, label),
            ).fetchone()
            if not exists:
                conn.execute(f"SELECT create_{kind}label(%s, %s)", (GRAPH, label))
        create_indexes(conn)
        resume_autovacuum(conn)  # left paused by a load that was killed
        for name in _RETIRED_INDEXES:
            conn.execute(f"DROP INDEX IF EXISTS {GRAPH}.{name}")
        conn.execute(MODELS_VERSION_FUNCTIONS)
        conn.execute(PROPERTY_STATISTICS)
