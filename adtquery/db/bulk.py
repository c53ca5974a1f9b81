"""The fast path into AGE's label tables: COPY with graph ids drawn client-side.

Cypher CREATE checks each edge endpoint with a sequential scan (../shared/apache-age.md §6) and
INSERT ... SELECT must look every endpoint up again; COPY of rows whose ids are known is the
fastest way in (§11). Twin ids are drawn from the label's own sequence, so they never collide
with ids AGE hands out to concurrent writers; a relationship's endpoints are then known without
a lookup, and its own id is left to the column default.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

import orjson
import psycopg

from adtquery.db.schema import access
from adtquery.schema import GRAPH, RELATIONSHIP_LABEL, TWIN_LABEL

Document = dict[str, object]
Endpoint = tuple[int, str]  # a twin's graph id and its model id

_TWINS = f'{GRAPH}."{TWIN_LABEL}"'
_RELATIONSHIPS = f'{GRAPH}."{RELATIONSHIP_LABEL}"'


# Written exactly as the indexes twin_dtid and relationship_source_key are, so lookups use them.
_MODEL = f"ag_catalog.agtype_out({access('$metadata', '$model', table='t')})"
_FIND_TWINS = (
    f"SELECT u.dtid, t.id::text::bigint, {_MODEL} "
    f"FROM unnest(%s::text[]) AS u(dtid) JOIN {_TWINS} t "
    f"ON {access('$dtId', table='t')} = to_json(u.dtid)::text::ag_catalog.agtype"
)
_FIND_RELATIONSHIPS = (
    "SELECT u.source, u.rel "
    "FROM unnest(%s::text[], %s::text[], %s::text[]) AS u(source, rel, start) "
    f"WHERE EXISTS (SELECT 1 FROM {_RELATIONSHIPS} r "
    "WHERE r.start_id = u.start::ag_catalog.graphid "
    f"AND {access('$relationshipId', table='r')} = to_json(u.rel)::text::ag_catalog.agtype)"
)
_LABEL = (
    "SELECT l.id, l.seq_name FROM ag_catalog.ag_label l "
    "JOIN ag_catalog.ag_graph g ON l.graph = g.graphid WHERE g.name = %s AND l.name = %s"
)
_RESERVE = "SELECT array_agg(nextval(%s::regclass)) FROM generate_series(1, %s)"


class GraphIds:
    """Graph ids for new twins: the label id in the top 16 bits, the sequence below (AGE's
    `_graphid`). Values are reserved from the sequence in blocks, so nothing else gets them.

    An import's reader takes ids that its writer reserved ahead (`stock`), so each twin's COPY
    row is made while parsing, off the writer's path; `take` is safe from another thread."""

    def __init__(self, conn: psycopg.Connection) -> None:
        row = conn.execute(_LABEL, (GRAPH, TWIN_LABEL)).fetchone()
        if row is None:
            raise RuntimeError(f"the label {TWIN_LABEL} does not exist: run ensure_schema")
        self._prefix = row[0] << 48
        self._sequence = f'{GRAPH}."{row[1]}"'
        self._spare: deque[int] = deque()

    def reserve(self, conn: psycopg.Connection, count: int) -> list[int]:
        if count <= 0:
            return []
        [values] = conn.execute(_RESERVE, (self._sequence, count)).fetchone() or [[]]
        return [self._prefix | value for value in values]

    def stock(self, conn: psycopg.Connection, count: int) -> None:
        """Reserve ids until about `count` are spare."""
        self._spare.extend(self.reserve(conn, count - len(self._spare)))

    def take(self) -> int:
        """A spare id; 0 when none is left (the writer then reserves one itself)."""
        try:
            return self._spare.popleft()
        except IndexError:
            return 0


def _copy_text(document: Document) -> bytes:
    """A document as one agtype field of COPY's text format. JSON has no raw tab or newline,
    so doubling backslashes is the only escaping COPY needs."""
    return orjson.dumps(document).replace(b"\\", b"\\\\")


def twin_row(graph_id: int, twin: Document) -> bytes:
    return b"%d\t%b\n" % (graph_id, _copy_text(twin))


def relationship_row(source: int, target: int, relationship: Document) -> bytes:
    """The row of a relationship between the twins of graph ids `source` and `target`."""
    return b"%d\t%d\t%b\n" % (source, target, _copy_text(relationship))


def copy_twins(conn: psycopg.Connection, rows: Iterable[bytes]) -> None:
    """`twin_row`s into the Twin label table."""
    _copy(conn, f"COPY {_TWINS} (id, properties) FROM STDIN", rows)


def copy_relationships(conn: psycopg.Connection, rows: Iterable[bytes]) -> None:
    """`relationship_row`s into the Relationship label table."""
    _copy(conn, f"COPY {_RELATIONSHIPS} (start_id, end_id, properties) FROM STDIN", rows)


def _copy(conn: psycopg.Connection, statement: str, rows: Iterable[bytes]) -> None:
    data = b"".join(rows)  # one write: psycopg sends it in large chunks
    with conn.cursor().copy(statement) as copy:
        copy.write(data)


def find_twins(conn: psycopg.Connection, dtids: Sequence[str]) -> dict[str, Endpoint]:
    """The stored twins among `dtids`: $dtId -> (graph id, model id)."""
    rows = conn.execute(_FIND_TWINS, (list(dtids),)).fetchall()
    return {dtid: (graph_id, orjson.loads(model)) for dtid, graph_id, model in rows}


def existing_relationships(
    conn: psycopg.Connection, keys: Sequence[tuple[str, str]], sources: Sequence[int]
) -> set[tuple[str, str]]:
    """The (source $dtId, $relationshipId) pairs among `keys` that are stored, given the graph
    ids of their source twins."""
    ids = [rel for _, rel in keys]
    arguments = ([source for source, _ in keys], ids, [str(graph_id) for graph_id in sources])
    return {(s, r) for s, r in conn.execute(_FIND_RELATIONSHIPS, arguments).fetchall()}
