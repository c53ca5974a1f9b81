"""Differential testing: random graphs and random queries, AGE against the reference interpreter.

Each example is a small random graph (5-25 twins with JSON-ish properties from a small key pool:
nulls, numbers and strings under one name, nested objects, arrays, keys that need escaping;
0-40 relationships with self-loops and parallel ones; a few models with `extends`) and a few
random queries over it, built as syntax trees that pass analysis and anchored on the graph's
dtIds where JOIN and MATCH need it. The graph is written into one module database (emptied
before each example); each query runs through `query_page` (all pages, a random page size from
1 to 7) and through `run_cypher`, and both must give the reference interpreter's rows.

Known compiler departures (strict xfails in test_conformance.py) would fail this test at
random, so the oracle runs with `reference.COMPILER_QUIRKS`, which copy them: two paths that
both hold null are not equal, and two objects (or arrays) have `!=`. Values mix 1 and 1.0 on
purpose: AGE hashes them apart, so a hash join on `A.x = B.x` or a hashed IN list (9 or more
items) must not be where they meet.
"""

from __future__ import annotations

import collections
import os
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from adtquery import ast, to_text
from adtquery.compiler import compile_query
from adtquery.db.execute import run_cypher
from adtquery.db.load import insert_relationships, insert_twins
from adtquery.db.models import insert_models, resolve_model_sets
from adtquery.schema import GRAPH, MODEL_LABEL, RELATIONSHIP_LABEL, TWIN_LABEL
from tests import reference
from tests.db.conftest import all_pages, connect

pytestmark = pytest.mark.db

# ADTQUERY_DIFFERENTIAL_EXAMPLES=1000 explores further (the database stays the same one).
MAX_EXAMPLES = int(
    os.environ.get("ADTQUERY_DIFFERENTIAL_EXAMPLES") or (60 if os.environ.get("CI") else 40)
)

# Pools -------------------------------------------------------------------------------------------

KEYS = ["a", "b", "n", "s", "order", "1x", "a b", "tags"]
NESTED_KEYS = ["a", "x", "1x", "n"]
NAMES = ["r", "s", "R"]
MODEL_IDS = ["dtmi:x:A;1", "dtmi:x:A;2", "dtmi:x:B;1", "dtmi:x:C;1", "dtmi:x:D;1"]
QUERY_MODELS = [*MODEL_IDS, "dtmi:x:A;3", "dtmi:x:E;1", "dtmi:x:a;1"]
STRINGS = ["", "a", "b", "A", "ab", "é", "2", "t1"]
NUMBERS = [0, 1, 2, -1, 3, 2.0, 0.5, -1.5, 1.0]

scalars = st.one_of(st.none(), st.booleans(), st.sampled_from(NUMBERS), st.sampled_from(STRINGS))
values = st.one_of(
    scalars,
    scalars,
    st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(st.sampled_from(NESTED_KEYS), inner, max_size=3),
        ),
        max_leaves=6,
    ),
)


@st.composite
def properties(draw: st.DrawFn, keys: list[str]) -> dict[str, Any]:
    """Each key present two times in three: conditions over a sparse pool select nothing."""
    return {key: draw(values) for key in keys if draw(st.integers(0, 2))}


string_literals = st.builds(ast.String, st.sampled_from(STRINGS))
number_literals = st.builds(ast.Number, st.sampled_from(NUMBERS))
boolean_literals = st.builds(ast.Boolean, st.booleans())
non_null_literals = st.one_of(string_literals, number_literals, boolean_literals)
literals = st.one_of(non_null_literals, st.just(ast.Null()))


# Graphs ------------------------------------------------------------------------------------------


@st.composite
def graphs(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(5, 25))
    ids = [f"t{i}" for i in range(count)]
    if draw(st.booleans()):
        ids[-1] = "t'é"  # a quote and a non-ASCII letter in an id
    models: dict[str, list[str]] = {}
    for index, model in enumerate(MODEL_IDS):
        if draw(st.integers(0, 4)) == 0:
            continue  # a model the store does not have
        earlier = [m for m in MODEL_IDS[:index] if m in models]
        parents = st.lists(st.sampled_from(earlier), max_size=2, unique=True) if earlier else None
        models[model] = draw(parents) if parents is not None else []
    twins = []
    for dtid in ids:
        twin: dict[str, Any] = {
            "$dtId": dtid,
            "$metadata": {"$model": draw(st.sampled_from(MODEL_IDS))},
        }
        if draw(st.booleans()):
            twin["$etag"] = f'W/"{dtid}"'
        twin.update(draw(properties(KEYS)))
        twins.append(twin)
    relationships = []
    for index in range(draw(st.integers(0, 40))):
        source = draw(st.sampled_from(ids))
        target = source if draw(st.integers(0, 9)) == 0 else draw(st.sampled_from(ids))
        relationships.append(
            {
                "$relationshipId": f"e{index}",
                "$sourceId": source,
                "$targetId": target,
                "$relationshipName": draw(st.sampled_from(NAMES)),
                **draw(properties(["w", "a", "n"])),
            }
        )
    return {"twins": twins, "relationships": relationships, "models": models}


# Queries -----------------------------------------------------------------------------------------


class _Scope:
    """What a query declares: twin and relationship collections (None: the anonymous root)."""

    def __init__(
        self, twins: list[str | None], relationships: list[str | None], collections: int
    ) -> None:
        self.twins = twins
        self.relationships = relationships
        # With one collection (anonymous MATCH nodes count), properties may go unqualified.
        self.single = collections == 1

    def keys_of(self, path: ast.Path) -> tuple[str, ...]:
        """The property keys of a path `_path` made (it qualifies only with declared names)."""
        declared = {*self.twins, *self.relationships}
        return path.parts[1:] if len(path.parts) > 1 and path.parts[0] in declared else path.parts

    def named_twins(self) -> list[str]:
        return [t for t in self.twins if t is not None]


def _keys(draw: st.DrawFn, relationship: bool) -> tuple[str, ...]:
    if draw(st.integers(0, 4)) == 0:
        system = (
            [("$relationshipName",), ("$sourceId",), ("$targetId",), ("$relationshipId",)]
            if relationship
            else [("$dtId",), ("$metadata", "$model"), ("$etag",)]
        )
        return draw(st.sampled_from(system))
    pool = ["w", "a", "n", "missing"] if relationship else KEYS
    first = draw(st.sampled_from(pool))
    depth = draw(st.sampled_from([0, 0, 0, 1, 1, 2]))
    rest = [draw(st.sampled_from(NESTED_KEYS)) for _ in range(depth)]
    return (first, *rest)


def _path(draw: st.DrawFn, scope: _Scope, twins_only: bool = False) -> ast.Path:
    choices = [(t, False) for t in scope.twins]
    if not twins_only:
        choices += [(r, True) for r in scope.relationships]
    collection, is_relationship = draw(st.sampled_from(choices))
    keys = _keys(draw, is_relationship)
    if collection is None or (scope.single and draw(st.booleans())):
        return ast.Path(keys)  # unqualified: the single collection's property
    return ast.Path((collection, *keys))


def _predicate(draw: st.DrawFn, scope: _Scope) -> ast.Expr:
    kinds = ["compare", "compare-left", "compare-paths", "in", "type", "string"]
    if scope.twins:
        kinds += ["array", "model"]
    kind = draw(st.sampled_from(kinds))
    comparators = st.sampled_from(ast.Comparator)
    if kind == "compare":
        return ast.Comparison(_path(draw, scope), draw(comparators), draw(literals))
    if kind == "compare-left":
        return ast.Comparison(draw(literals), draw(comparators), _path(draw, scope))
    if kind == "compare-paths":
        left, right = _path(draw, scope), _path(draw, scope)
        left_keys = scope.keys_of(left)
        # System properties differ between twins and relationships: those are left alone.
        if not left_keys[0].startswith("$") and draw(st.booleans()):
            # The same property of two collections (or twice of one): alike values, so that
            # nulls, containers and 1 against 1.0 meet often.
            right = ast.Path((*right.parts[: len(right.parts) - len(scope.keys_of(right))],
                              *left_keys))  # fmt: skip
        return ast.Comparison(left, draw(comparators), right)
    if kind == "in":
        items = tuple(draw(st.lists(non_null_literals, max_size=12)))
        return ast.InList(_path(draw, scope), items, draw(st.booleans()))
    if kind == "type":
        return ast.TypeCheck(draw(st.sampled_from(ast.TypeFunction)), _path(draw, scope))
    if kind == "string":
        function = draw(st.sampled_from(ast.StringFunction))
        return ast.StringMatch(function, _path(draw, scope), draw(st.sampled_from(STRINGS)))
    if kind == "array":
        return ast.ArrayContains(_path(draw, scope, twins_only=True), draw(non_null_literals))
    aliases: list[str | None] = list(scope.named_twins())
    if scope.single:
        aliases.append(None)
    return ast.IsOfModel(
        draw(st.sampled_from(aliases)), draw(st.sampled_from(QUERY_MODELS)), draw(st.booleans())
    )


def _condition(draw: st.DrawFn, scope: _Scope, depth: int = 0) -> ast.Expr:
    kind = draw(st.integers(0, 5 if depth < 3 else 0))
    if kind <= 2:
        return _predicate(draw, scope)
    if kind == 3:
        return ast.Not(_condition(draw, scope, depth + 1))
    left, right = _condition(draw, scope, depth + 1), _condition(draw, scope, depth + 1)
    return ast.And(left, right) if kind == 4 else ast.Or(left, right)


def _projections(draw: st.DrawFn, scope: _Scope) -> tuple[ast.Projection, ...]:
    whole = [c for c in (*scope.twins, *scope.relationships) if c is not None]
    columns: dict[str, ast.Projection] = {}
    for index in range(draw(st.integers(1, 4))):
        if whole and draw(st.integers(0, 2)) == 0:
            path = ast.Path((draw(st.sampled_from(whole)),))
        else:
            path = _path(draw, scope)
        alias = f"c{index}" if draw(st.booleans()) else None
        # A column is named by its alias, else by its path's last part (analyze.select).
        columns.setdefault(alias or path.parts[-1], ast.Projection(path, alias))
    return tuple(columns.values())


def _anchor(draw: st.DrawFn, twin: str, ids: list[str]) -> ast.Expr:
    path = ast.Path((twin, "$dtId"))
    if draw(st.booleans()):
        return ast.Comparison(path, ast.Comparator.EQ, ast.String(draw(st.sampled_from(ids))))
    chosen = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=4))
    if not draw(st.integers(0, 5)):
        chosen.append("nope")
    return ast.InList(path, tuple(ast.String(i) for i in chosen), False)


_HOP_COUNTS = [
    None,
    ast.HopCount(None, 1, False),  # *1
    ast.HopCount(None, 2, False),  # *2
    ast.HopCount(1, 2, True),  # *1..2: 2 hops
    ast.HopCount(None, 2, True),  # *..2: 1 or 2
    ast.HopCount(0, 3, True),  # *0..3: 1 to 3
]
_TWIN_ALIASES = ["A", "B", "C", "D", "match", "Twin"]
_RELATIONSHIP_ALIASES = ["R", "E", "order"]


@st.composite
def queries(draw: st.DrawFn, ids: list[str]) -> str:
    kind = draw(st.sampled_from(["twins", "twins", "relationships", "join", "match", "match"]))
    if kind in ("twins", "relationships"):
        alias = draw(st.sampled_from([None, "T", "from"]))
        if kind == "twins":
            scope, source = _Scope([alias], [], 1), ast.FromTwins(alias)
        else:
            scope, source = _Scope([], [alias], 1), ast.FromRelationships(alias)
    elif kind == "join":
        twins, relationships = [_TWIN_ALIASES[0]], []
        joins = []
        for index in range(draw(st.integers(1, 3))):
            start = draw(st.sampled_from(twins))
            twins.append(_TWIN_ALIASES[index + 1])
            alias = _RELATIONSHIP_ALIASES[index] if draw(st.booleans()) else None
            relationships += [alias] if alias else []
            name = draw(st.sampled_from(NAMES)) if draw(st.integers(0, 5)) else "missing"
            joins.append(ast.Join(twins[-1], ast.Path((start, name)), alias))
        scope = _Scope(list(twins), relationships, len(twins) + len(relationships))
        source = ast.FromTwins(twins[0], tuple(joins))
    else:
        nodes = [ast.NodePattern(_TWIN_ALIASES[0])]
        twins, relationships = [_TWIN_ALIASES[0]], []
        hops = []
        budget = 5  # hops in all, so that the paths stay few
        for index in range(draw(st.integers(0, 3))):
            count = draw(st.sampled_from(_HOP_COUNTS))
            upper = 1 if count is None else count.upper
            if upper > budget:
                count, upper = None, 1
            budget -= upper
            variable = None
            if upper == 1 and draw(st.booleans()):
                variable = _RELATIONSHIP_ALIASES[index]
                relationships.append(variable)
            names = tuple(draw(st.lists(st.sampled_from(NAMES), max_size=2, unique=True)))
            hops.append(ast.Hop(draw(st.sampled_from(ast.Direction)), variable, names, count))
            node = _TWIN_ALIASES[index + 1] if draw(st.integers(0, 3)) else None
            twins += [node] if node else []
            nodes.append(ast.NodePattern(node))
        scope = _Scope(list(twins), relationships, len(nodes) + len(relationships))
        source = ast.FromMatch(tuple(nodes), tuple(hops))
    top = draw(st.sampled_from([None, None, None, 1, 3]))
    bodies: list[str] = ["columns", "columns"]
    if kind in ("twins", "relationships"):
        bodies.append("star")
    if top is None:
        bodies.append("count")
    body_kind = draw(st.sampled_from(bodies))
    body: ast.Star | ast.Count | tuple[ast.Projection, ...]
    if body_kind == "star":
        body = ast.Star()
    elif body_kind == "count":
        body = ast.Count()
    else:
        body = _projections(draw, scope)
    where = _condition(draw, scope) if draw(st.integers(0, 3)) else None
    if kind in ("join", "match"):
        anchor = _anchor(draw, draw(st.sampled_from(scope.named_twins())), ids)
        where = anchor if where is None else ast.And(anchor, where)
    return to_text(ast.Query(ast.Select(top, body), source, where))


# The test ----------------------------------------------------------------------------------------

STATS: collections.Counter[str] = collections.Counter()
SLOWEST: list[tuple[float, str]] = []
# Constructs counted in the generated queries, printed with the totals (run with -s to see).
MARKERS = ("JOIN", "MATCH", "RELATIONSHIPS", "COUNT()", "TOP(", "SELECT *", "NOT ", " OR ",
           " IN [", " NIN [", "IS_OF_MODEL", "ARRAY_CONTAINS", "STARTSWITH", "IS_NULL", "<-[",
           "]->", "]-(", "[[", "= null", "*", "exact")  # fmt: skip


@pytest.fixture(scope="module")
def conn(schema_url: str) -> Iterator[psycopg.Connection]:
    with connect(schema_url) as connection:
        connection.execute("SET statement_timeout = '20s'")
        started = time.monotonic()
        yield connection
        print(
            f"\ndifferential: {STATS['examples']} graphs, {STATS['queries']} queries "
            f"({STATS['nonempty']} with rows), {STATS['top']} TOP queries, "
            f"{time.monotonic() - started:.1f} s\n"
            + ", ".join(f"{marker.strip()!r}: {STATS[marker]}" for marker in MARKERS)
            + "".join(f"\nslow: {seconds:.2f} s {query}" for seconds, query in SLOWEST)
        )


def _load(conn: psycopg.Connection, graph: dict[str, Any]) -> None:
    for label in (RELATIONSHIP_LABEL, TWIN_LABEL, MODEL_LABEL):
        conn.execute(f'DELETE FROM {GRAPH}."{label}"')
    insert_twins(conn, graph["twins"])
    insert_relationships(conn, graph["relationships"])
    if graph["models"]:
        dtdl = [{"@id": m, "@type": "Interface", "extends": e} for m, e in graph["models"].items()]
        insert_models(conn, dtdl, "2024-01-01T00:00:00Z")


def _check(rows: list[dict[str, Any]], expected: list[dict[str, Any]], top: int | None) -> None:
    if top is None:
        assert reference.canonical(rows) == reference.canonical(expected)
        return
    assert len(rows) == min(top, len(expected))
    extra = collections.Counter(reference.canonical(rows)) - collections.Counter(
        reference.canonical(expected)
    )
    assert not extra, f"rows TOP could not have chosen: {extra}"


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), graph=graphs(), page_size=st.integers(1, 7))
def test_age_agrees_with_the_reference(
    conn: psycopg.Connection, data: st.DataObject, graph: dict[str, Any], page_size: int
) -> None:
    _load(conn, graph)
    ids = [twin["$dtId"] for twin in graph["twins"]]
    STATS["examples"] += 1
    for _ in range(data.draw(st.integers(2, 6), label="query count")):
        query = data.draw(queries(ids), label="query")
        started = time.monotonic()
        compiled = compile_query(query)
        expected = reference.run(
            query,
            graph["twins"],
            graph["relationships"],
            graph["models"],
            apply_top=False,
            quirks=reference.COMPILER_QUIRKS,
        )
        # A few MATCH patterns find thousands of paths: at most 40 pages, each page re-runs.
        size = max(page_size, -(-len(expected) // 40))
        # the oracle's row count bounds the pages there can be
        pages = all_pages(conn, query, size, max_pages=len(expected) + 1)
        assert all(pages[1:]), "a page after the first is empty"
        assert all(len(page) <= size for page in pages)
        note(f"query_page, {size} a page")
        _check([row for page in pages for row in page], expected, compiled.top)
        note("run_cypher")
        through_cypher = run_cypher(conn, compiled, resolve_model_sets(conn, compiled.model_sets))
        _check(through_cypher, expected, compiled.top)
        STATS["queries"] += 1
        STATS["top"] += compiled.top is not None
        STATS["nonempty"] += expected not in ([], [{"COUNT": 0}])
        STATS.update(marker for marker in MARKERS if marker in query)
        SLOWEST.append((time.monotonic() - started, query))
        SLOWEST.sort(reverse=True)
        del SLOWEST[3:]
