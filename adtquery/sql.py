"""Analyzed query -> SQL over AGE's label tables, paged by keyset on graph ids.

AGE 1.5 cannot page Cypher cheaply: `id(n)` and `ORDER BY` on a vertex rebuild every vertex, so
page k of a scan costs O(k x page) (../shared/apache-age.md §5, §11). The same query over the
label tables orders by the tables' own `id` columns, which the indexes serve: page k costs what
page 1 costs. Conditions come from the same ConditionWriter as the Cypher, in the SQL spelling of
the functions AGE itself compiles Cypher to, so both read the same index expressions.
"""

from __future__ import annotations

from dataclasses import dataclass

from adtquery import ast
from adtquery.analyze import Analyzed, Kind, ShapeKind
from adtquery.conditions import ConditionWriter
from adtquery.params import Params
from adtquery.patterns import Branch, Step, branches
from adtquery.schema import (
    GRAPH,
    MODELS_CHECK,
    MODELS_VERSION_PARAM,
    RELATIONSHIP_LABEL,
    TEXT_INDEXED,
    TWIN_LABEL,
    access,
    as_text,
)

_AGTYPE = "ag_catalog.agtype"
_GRAPHID = "ag_catalog.graphid"
_TWINS = f'{GRAPH}."{TWIN_LABEL}"'
_RELATIONSHIPS = f'{GRAPH}."{RELATIONSHIP_LABEL}"'
_NAME_KEY = ("$relationshipName",)
_LIMIT = "%(limit)s"
# A relationship's ends as twin ids: its `start_id` and `end_id` are those twins' graph ids.
_ENDPOINTS = {("$sourceId",): "start_id", ("$targetId",): "end_id"}


class SqlDialect:
    TRUE = f"'true'::{_AGTYPE}"
    FALSE = f"'false'::{_AGTYPE}"
    EMPTY_STRING = f"'\"\"'::{_AGTYPE}"
    EMPTY_LIST = f"'[]'::{_AGTYPE}"

    def access(self, variable: str, keys: tuple[str, ...]) -> str:
        return access(f"{variable}.properties", keys) if keys else f"{variable}.properties"

    def param(self, name: str) -> str:
        return f"%({name})s::{_AGTYPE}"

    def string_match(self, function: ast.StringFunction, subject: str, pattern: str) -> str:
        name = {
            ast.StringFunction.STARTSWITH: "starts_with",
            ast.StringFunction.ENDSWITH: "ends_with",
            ast.StringFunction.CONTAINS: "contains",
        }[function]
        return f"ag_catalog.agtype_string_match_{name}({subject}, {pattern})"

    def member(self, value: str, container: str) -> str:
        return f"ag_catalog.agtype_in_operator({container}, {value})"

    def one_of(self, subject: str, items: list[str]) -> str:
        return f"{subject} IN ({', '.join(items)})"

    def in_set(self, subject: str, name: str) -> str:
        # A text array under `= ANY`, not one agtype list: what the text index on models serves.
        return f"{as_text(subject)} = ANY(%({name})s::text[])"

    def string_equality(
        self, variable: str, keys: tuple[str, ...], relationship: bool, items: list[str]
    ) -> str | None:
        """Through the text index, or through the endpoint twins' `$dtId`s for a relationship's
        `$sourceId` / `$targetId` (the same strings, by construction): no index on agtype
        serves those."""
        if keys in TEXT_INDEXED:
            return self.text_equality(self.access(variable, keys), items)
        end = _ENDPOINTS.get(keys)
        if end is None or not relationship:
            return None
        dtid = self.one_of(self.access("e", ("$dtId",)), items)
        return f"{variable}.{end} IN (SELECT e.id FROM {_TWINS} e WHERE {dtid})"

    def text_equality(self, subject: str, items: list[str]) -> str:
        """A TEXT_INDEXED string equal to one of `items`, in the form of its index."""
        return f"{as_text(subject)} IN ({', '.join(map(as_text, items))})"

    def keys(self, subject: str) -> str:
        return f"ag_catalog.age_keys({subject})"


@dataclass(frozen=True, slots=True)
class PagedSql:
    """Statements for one page: `first` takes %(limit)s; `next` also takes the last row's keys.

    Every row starts with `keys` key columns (k0, k1, ...), which make its position; a COUNT
    query has only `first`, returning one row.
    """

    first: str
    next: str | None
    keys: int
    key_types: tuple[str, ...]

    def page(self, limit: int, resumed: bool) -> str:
        """`first` (or `next` when `resumed`) with its row limit written in. As a parameter,
        a prepared statement's generic plan would assume ten rows are wanted, and walk twin_id
        in order through every twin for a filter no index serves (1M twins: 1.4 s, where the
        custom plan's parallel scan takes 0.4 s). A page size is an integer, never query text."""
        statement = self.next if resumed else self.first
        assert statement is not None and statement.endswith(_LIMIT)
        return statement.removesuffix(_LIMIT) + str(int(limit))


class _Aliases:
    """SQL table aliases: generated (`t0`, `r0`), never taken from the query."""

    def __init__(self, analyzed: Analyzed) -> None:
        self.analyzed = analyzed
        self.names: dict[str, str] = {}

    def __call__(self, key: str) -> str:
        if key not in self.names:
            kind = self.analyzed.scope.collections.get(key)
            prefix = "t" if kind is Kind.TWIN or key.startswith("]]node") else "r"
            count = sum(name.startswith(prefix) for name in self.names.values())
            self.names[key] = f"{prefix}{count}"
        return self.names[key]


@dataclass(frozen=True, slots=True)
class _Select:
    keys: list[str]
    outputs: list[str]
    source: str  # FROM ... [WHERE ...]

    def columns(self, keys: list[str]) -> str:
        return ", ".join(keys + self.outputs)


def generate(analyzed: Analyzed, params: Params, model_sets: Params) -> PagedSql:
    parts = [_branch(analyzed, branch, params, model_sets) for branch in branches(analyzed)]
    if analyzed.shape is ShapeKind.COUNT:
        union = "\nUNION ALL\n".join(f"SELECT 1\n{part.source}" for part in parts)
        return PagedSql(f"SELECT count(*) AS c0 FROM (\n{union}\n) q", None, 0, ())
    if len(parts) == 1:
        return _single(parts[0])
    return _union(parts)


def _single(part: _Select) -> PagedSql:
    keys = ", ".join(part.keys)
    select = f"SELECT {part.columns([f'{k} AS k{i}' for i, k in enumerate(part.keys)])}\n"
    select += part.source
    after = ", ".join(f"%(k{i})s::text::{_GRAPHID}" for i in range(len(part.keys)))
    condition = f"({keys}) > ({after})" if len(part.keys) > 1 else f"{keys} > {after}"
    joiner = "\nAND " if "\nWHERE " in part.source else "\nWHERE "
    order = f"\nORDER BY {keys}\nLIMIT {_LIMIT}"
    return PagedSql(
        first=select + order,
        next=select + joiner + condition + order,
        keys=len(part.keys),
        key_types=("graphid",) * len(part.keys),
    )


def _union(parts: list[_Select]) -> PagedSql:
    width = max(len(part.keys) for part in parts)
    selects = []
    for index, part in enumerate(parts):
        padded = part.keys + [f"NULL::{_GRAPHID}"] * (width - len(part.keys))
        keys = [f"{index} AS k0"] + [f"{k} AS k{i + 1}" for i, k in enumerate(padded)]
        selects.append(f"SELECT {part.columns(keys)}\n{part.source}")
    names = ", ".join(f"k{i}" for i in range(width + 1))
    union = "\nUNION ALL\n".join(selects)
    after = ", ".join(
        ["%(k0)s::integer"] + [f"%(k{i})s::text::{_GRAPHID}" for i in range(1, width + 1)]
    )
    order = f"\nORDER BY {names}\nLIMIT {_LIMIT}"
    return PagedSql(
        first=f"SELECT * FROM (\n{union}\n) q{order}",
        next=f"SELECT * FROM (\n{union}\n) q\nWHERE ({names}) > ({after}){order}",
        keys=width + 1,
        key_types=("integer",) + ("graphid",) * width,
    )


def _branch(analyzed: Analyzed, branch: Branch, params: Params, model_sets: Params) -> _Select:
    aliases = _Aliases(analyzed)
    dialect = SqlDialect()
    writer = ConditionWriter(analyzed, dialect, params, aliases, model_sets)
    declared = set(analyzed.scope.collections)
    endpoints: dict[str, str] = {}
    joins: list[str] = []
    filters: list[str] = []
    keys: list[str] = []

    def bind_twin(key: str, endpoint: str | None, undirected: bool = False) -> None:
        if key not in declared and not undirected:
            assert endpoint is not None  # generated twins are always reached through a step
            endpoints[key] = endpoint  # no need to read a twin nobody asks about
            return
        alias = aliases(key)
        endpoints[key] = f"{alias}.id"
        if endpoint is None:
            joins.append(f"FROM {_TWINS} {alias}")
            keys.append(f"{alias}.id")
        else:
            joins.append(f"JOIN {_TWINS} {alias} ON {alias}.id = {endpoint}")

    first = branch.twins[0]
    if first in declared:
        bind_twin(first, None)
    for step in branch.steps:
        edge = aliases(step.edge)
        keys.append(f"{edge}.id")
        target = _join_step(step, edge, endpoints, joins)
        bind_twin(step.target, target, step.direction is ast.Direction.ANY)
        if step.names:
            items = [writer.param(n) for n in step.names]
            filters.append(dialect.text_equality(dialect.access(edge, _NAME_KEY), items))
    if not analyzed.edges:
        # One MATCH path never traverses a relationship twice (JOINs may, being joins).
        edges = [aliases(step.edge) for step in branch.steps]
        filters += [f"{a}.id <> {b}.id" for i, a in enumerate(edges) for b in edges[i + 1 :]]
    if analyzed.query.where is not None:
        filters.append(writer.condition(analyzed.query.where))
    if model_sets.values:
        # No column in it: the planner makes it a one-time filter, checked before any row.
        filters.insert(0, f"{MODELS_CHECK}(%({MODELS_VERSION_PARAM})s::text)")
    source = "\n".join(joins)
    if filters:
        source += "\nWHERE " + "\nAND ".join(filters)
    return _Select(keys, _outputs(analyzed, writer), source)


def _join_step(step: Step, edge: str, endpoints: dict[str, str], joins: list[str]) -> str:
    """Join the relationship table for `step`; return the expression of its target's id."""
    source = endpoints.get(step.source)
    if source is None:  # FROM RELATIONSHIPS: the relationship table itself is the start
        joins.append(f"FROM {_RELATIONSHIPS} {edge}")
        return f"{edge}.end_id"
    if step.direction is ast.Direction.ANY:
        joins.append(
            f"JOIN {_RELATIONSHIPS} {edge} ON ({edge}.start_id = {source} "
            f"OR {edge}.end_id = {source})"
        )
        # A self-loop is one relationship and matches once, as in AGE.
        return f"CASE WHEN {edge}.start_id = {source} THEN {edge}.end_id ELSE {edge}.start_id END"
    near, far = (
        ("start_id", "end_id") if step.direction is ast.Direction.RIGHT else ("end_id", "start_id")
    )
    joins.append(f"JOIN {_RELATIONSHIPS} {edge} ON {edge}.{near} = {source}")
    return f"{edge}.{far}"


def _outputs(analyzed: Analyzed, writer: ConditionWriter) -> list[str]:
    if analyzed.shape is ShapeKind.COUNT:
        return []
    if analyzed.shape is ShapeKind.DOCUMENTS:
        root = analyzed.scope.root
        assert root is not None
        return [f"{writer.variable(root)}.properties AS c0"]
    values = [
        writer.value(c.ref) if c.ref.keys else f"{writer.variable(c.ref.collection)}.properties"
        for c in analyzed.columns
    ]
    return [f"{value} AS c{i}" for i, value in enumerate(values)]
