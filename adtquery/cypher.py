"""Analyzed query -> AGE Cypher, and the SQL statement that runs it through `cypher()`.

Identifiers never come from the query unchecked: Cypher variables are the query's aliases only
where AGE accepts them as names (AGE rejects its keywords even in backticks), else generated `_t0`,
`_r0`; property keys are backtick-quoted; every value is a `$parameter`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from adtquery import ast
from adtquery.analyze import Analyzed, Kind, ShapeKind
from adtquery.conditions import ConditionWriter
from adtquery.params import Params
from adtquery.patterns import Branch, Step, branches
from adtquery.schema import GRAPH, RELATIONSHIP_LABEL, TWIN_LABEL

# AGE's cypher_kwlist.h, plus CALL and YIELD; matched case-insensitively by AGE's lexer.
RESERVED = frozenset(
    [
        "all",
        "analyze",
        "and",
        "as",
        "asc",
        "ascending",
        "by",
        "call",
        "case",
        "coalesce",
        "contains",
        "create",
        "delete",
        "desc",
        "descending",
        "detach",
        "distinct",
        "else",
        "end",
        "ends",
        "exists",
        "explain",
        "false",
        "in",
        "is",
        "limit",
        "match",
        "merge",
        "not",
        "null",
        "optional",
        "or",
        "order",
        "remove",
        "return",
        "set",
        "skip",
        "starts",
        "then",
        "true",
        "union",
        "unwind",
        "verbose",
        "when",
        "where",
        "with",
        "xor",
        "yield",
    ]
)
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_NAME_KEY = ("$relationshipName",)


class CypherDialect:
    TRUE = "true"
    FALSE = "false"
    EMPTY_STRING = "''"
    EMPTY_LIST = "[]"

    def access(self, variable: str, keys: tuple[str, ...]) -> str:
        return variable + "".join(map(_key, keys))

    def param(self, name: str) -> str:
        return f"${name}"

    def string_match(self, function: ast.StringFunction, subject: str, pattern: str) -> str:
        operator = {
            ast.StringFunction.STARTSWITH: "STARTS WITH",
            ast.StringFunction.ENDSWITH: "ENDS WITH",
            ast.StringFunction.CONTAINS: "CONTAINS",
        }[function]
        return f"{subject} {operator} {pattern}"

    def member(self, value: str, container: str) -> str:
        return f"{value} IN {container}"

    def one_of(self, subject: str, items: list[str]) -> str:
        return f"{subject} IN [{', '.join(items)}]"

    def string_equality(
        self, variable: str, keys: tuple[str, ...], relationship: bool, items: list[str]
    ) -> None:
        return None  # AGE's translation of plain equality is what its indexes serve

    def in_set(self, subject: str, name: str) -> str:
        return f"{subject} IN ${name}"

    def keys(self, subject: str) -> str:
        return f"keys({subject})"


def _key(key: str) -> str:
    if key.lower() in RESERVED:
        return f"['{key}']"  # AGE refuses its keywords even in backticks; these are plain letters
    if _IDENTIFIER.fullmatch(key):
        return f".{key}"
    return ".`" + key.replace("`", "``") + "`"


@dataclass(frozen=True, slots=True)
class Cypher:
    text: str
    columns: int


class _Variables:
    """Cypher names for collections: the alias itself where AGE takes it, else `_t0`, `_r0`."""

    def __init__(self, analyzed: Analyzed) -> None:
        self.analyzed = analyzed
        self.names: dict[str, str] = {}
        self.counts = {"t": 0, "r": 0}

    def __call__(self, key: str) -> str:
        if key not in self.names:
            self.names[key] = self._choose(key)
        return self.names[key]

    def _choose(self, key: str) -> str:
        if _IDENTIFIER.fullmatch(key) and key.lower() not in RESERVED:
            return key
        kind = self.analyzed.scope.collections.get(key, Kind.RELATIONSHIP)
        prefix = "t" if kind is Kind.TWIN else "r"
        self.counts[prefix] += 1
        return f"_{prefix}{self.counts[prefix] - 1}"


def generate(analyzed: Analyzed, params: Params, model_sets: Params) -> Cypher:
    variables = _Variables(analyzed)
    writer = ConditionWriter(analyzed, CypherDialect(), params, variables, model_sets)
    parts = [_branch(analyzed, branch, writer) for branch in branches(analyzed)]
    columns = 1 if analyzed.shape is not ShapeKind.COLUMNS else len(analyzed.columns)
    return Cypher("\nUNION ALL\n".join(parts), columns)


def _branch(analyzed: Analyzed, branch: Branch, writer: ConditionWriter) -> str:
    lines = _match(analyzed, branch, writer, _referenced(analyzed))
    filters = [_names_filter(step, writer) for step in branch.steps if step.names]
    if analyzed.query.where is not None:
        filters.append(writer.condition(analyzed.query.where))
    if filters:
        lines.append("WHERE " + " AND ".join(filters))
    lines.append("RETURN " + ", ".join(_returns(analyzed, writer)))
    if analyzed.top is not None:
        lines.append(f"LIMIT {writer.param(analyzed.top)}")
    return "\n".join(lines)


def _referenced(analyzed: Analyzed) -> set[str]:
    """Collections a query can name; a MATCH's `()` nodes cannot, nor can generated steps."""
    if isinstance(analyzed.query.source, ast.FromMatch):
        names = set(analyzed.scope.named())
        if analyzed.scope.root is not None:  # a lone `MATCH ()`: unqualified properties name it
            names.add(analyzed.scope.root)
        return names
    return set(analyzed.scope.collections)


def _match(
    analyzed: Analyzed, branch: Branch, writer: ConditionWriter, referenced: set[str]
) -> list[str]:
    bound: set[str] = set()

    def node(key: str) -> str:
        if key not in referenced:
            return "()"
        if key in bound:
            return f"({writer.variable(key)})"
        bound.add(key)
        return f"({writer.variable(key)}:{TWIN_LABEL})"

    def hop(step: Step) -> str:
        edge = ""
        if step.edge in referenced or step.names:
            edge = writer.variable(step.edge)
        inner = f"[{edge}:{RELATIONSHIP_LABEL}]"
        left, right = step.direction.arrows
        return f"{left}{inner}{right}{node(step.target)}"

    if analyzed.edges:
        # JOINs are joins: separate MATCH clauses, so two JOINs may use the same relationship.
        lines = [f"MATCH {node(branch.twins[0])}"]
        lines += [f"MATCH {node(step.source)}{hop(step)}" for step in branch.steps]
        return lines
    # A MATCH pattern is one path: a relationship is traversed at most once, as in ADT.
    return ["MATCH " + node(branch.twins[0]) + "".join(map(hop, branch.steps))]


def _names_filter(step: Step, writer: ConditionWriter) -> str:
    name = writer.d.access(writer.variable(step.edge), _NAME_KEY)
    items = [writer.param(n) for n in step.names]
    return f"{name} = {items[0]}" if len(items) == 1 else writer.d.one_of(name, items)


def _returns(analyzed: Analyzed, writer: ConditionWriter) -> list[str]:
    if analyzed.shape is ShapeKind.COUNT:
        return ["count(*)"]
    if analyzed.shape is ShapeKind.DOCUMENTS:
        root = analyzed.scope.root
        assert root is not None
        return [f"properties({writer.variable(root)})"]
    return [
        writer.value(c.ref) if c.ref.keys else f"properties({writer.variable(c.ref.collection)})"
        for c in analyzed.columns
    ]


def statement(cypher: Cypher, shape: ShapeKind, top: bool) -> str:
    """The SQL that runs `cypher` through AGE, its parameter map passed as `%(params)s`."""
    tag = "$cypher$"
    while tag in cypher.text:
        tag = tag[:-1] + "_$"
    body = cypher.text.replace("%", "%%")  # psycopg reads % as a placeholder everywhere
    columns = ", ".join(f"c{i} ag_catalog.agtype" for i in range(cypher.columns))
    if shape is ShapeKind.COUNT:
        columns = "c0 bigint"
    call = f"ag_catalog.cypher('{GRAPH}', {tag}{body}{tag}, %(params)s) AS ({columns})"
    if shape is ShapeKind.COUNT:
        # Each UNION ALL branch counts its own rows.
        return f"SELECT coalesce(sum(c0), 0)::bigint AS c0 FROM {call}"
    # LIMIT inside Cypher binds only the last UNION ALL branch; this one binds them all.
    return f"SELECT * FROM {call}" + (" LIMIT %(top)s" if top else "")
