"""Check a parsed query against ADT's rules and resolve every path to a collection and its keys.

The result, `Analyzed`, is what both the Cypher generator and the reference interpreter consume:
they never re-decide what a name means.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterator
from dataclasses import dataclass

from adtquery import ast
from adtquery.errors import QueryError, Span
from adtquery.printer import hop_count_text

MAX_JOINS = 5
MAX_HOPS = 10
MAX_IN_VALUES = 100
MAX_LOGICAL_OPERATORS = 50

TWIN_SYSTEM_PROPERTIES = ("$dtId", "$etag", "$metadata")
RELATIONSHIP_SYSTEM_PROPERTIES = (
    "$relationshipId",
    "$sourceId",
    "$targetId",
    "$relationshipName",
    "$etag",
)

# Anonymous collections (`FROM DIGITALTWINS`, `()` in MATCH) need keys no alias can equal:
# an escaped alias `[[...]]` can hold anything but "]]".
_ANONYMOUS = "]]"


class Kind(enum.Enum):
    TWIN = "twin"
    RELATIONSHIP = "relationship"


@dataclass(frozen=True, slots=True)
class Ref:
    """A resolved path: a collection and the keys below it (no keys: the whole document)."""

    collection: str
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Column:
    """One key of a projected row and where its value comes from."""

    name: str
    ref: Ref


class ShapeKind(enum.Enum):
    DOCUMENTS = "documents"  # SELECT * / TOP(n): the rows are the documents themselves
    COUNT = "count"  # one row {"COUNT": n}
    COLUMNS = "columns"  # one object per row, keyed by column name


@dataclass(frozen=True, slots=True)
class Hop:
    """A MATCH hop with ADT's hop range resolved: `*a..b` means a+1 to b hops (lower exclusive)."""

    source: str
    target: str
    direction: ast.Direction
    relationship: str | None
    names: tuple[str, ...]
    min_hops: int
    max_hops: int


@dataclass(frozen=True, slots=True)
class Edge:
    """A JOIN: `source` has a relationship named `name` (bound to `relationship`) to `target`."""

    source: str
    target: str
    name: str
    relationship: str | None


@dataclass(frozen=True)
class Scope:
    """The collections a query declares, in order; `root` is the only one, if there is one."""

    collections: dict[str, Kind]

    @property
    def root(self) -> str | None:
        return next(iter(self.collections)) if len(self.collections) == 1 else None

    def named(self) -> list[str]:
        return [name for name in self.collections if not name.startswith(_ANONYMOUS)]

    def ref(self, path: ast.Path) -> Ref:
        """What a checked path names: an alias and keys, or keys of the single root collection."""
        head, *rest = path.parts
        if head in self.collections:
            return Ref(head, tuple(rest))
        assert self.root is not None, f"unresolvable path {path.parts} passed analysis"
        return Ref(self.root, path.parts)


@dataclass(frozen=True)
class Analyzed:
    query: ast.Query
    scope: Scope
    shape: ShapeKind
    columns: tuple[Column, ...]
    edges: tuple[Edge, ...]
    hops: tuple[Hop, ...]
    match_nodes: tuple[str, ...]
    anchors: tuple[str, ...]

    @property
    def top(self) -> int | None:
        return self.query.select.top

    @property
    def from_relationships(self) -> bool:
        return isinstance(self.query.source, ast.FromRelationships)

    def twins(self) -> tuple[str, ...]:
        return tuple(name for name, kind in self.scope.collections.items() if kind is Kind.TWIN)

    def kind(self, collection: str) -> Kind:
        return self.scope.collections[collection]


def analyze(query: ast.Query, text: str) -> Analyzed:
    """Check `query` (parsed from `text`) and resolve it, or raise `QueryError` with a position."""
    return _Analyzer(text).run(query)


class _Analyzer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.collections: dict[str, Kind] = {}
        self.anonymous = 0

    def error(self, message: str, reason: str, span: Span | None) -> QueryError:
        return QueryError(message, reason=reason, text=self.text, span=span)

    # Collections --------------------------------------------------------------------------------

    def declare(self, alias: str | None, kind: Kind, span: Span | None) -> str:
        if alias is None:
            alias = f"{_ANONYMOUS}{self.anonymous}"
            self.anonymous += 1
        elif alias in self.collections:
            raise self.error(f"the alias '{alias}' is declared twice", "duplicate-alias", span)
        self.collections[alias] = kind
        return alias

    def unknown_alias(self, alias: str, span: Span | None) -> QueryError:
        named = Scope(self.collections).named()
        hint = _suggestion(alias, named)
        scope = f"; aliases in scope: {', '.join(named)}" if named else ""
        return self.error(f"unknown alias '{alias}'{hint}{scope}", "unknown-alias", span)

    def run(self, query: ast.Query) -> Analyzed:
        source = query.source
        edges: tuple[Edge, ...] = ()
        hops: tuple[Hop, ...] = ()
        nodes: tuple[str, ...] = ()
        if isinstance(source, ast.FromRelationships):
            self.declare(source.alias, Kind.RELATIONSHIP, source.span)
        elif isinstance(source, ast.FromTwins):
            self.declare(source.alias, Kind.TWIN, source.span)
            edges = self.joins(source)
        else:
            nodes, hops = self.match(source)
        scope = Scope(self.collections)
        shape, columns = self.select(query.select, scope, pattern=bool(edges or nodes))
        anchors = self.where(query, scope, needs_anchor=bool(edges or nodes))
        return Analyzed(query, scope, shape, columns, edges, hops, nodes, anchors)

    def joins(self, source: ast.FromTwins) -> tuple[Edge, ...]:
        if len(source.joins) > MAX_JOINS:
            raise self.error(
                f"a query may have at most {MAX_JOINS} JOINs, this one has {len(source.joins)}",
                "too-many-joins",
                source.joins[MAX_JOINS].span,
            )
        if source.joins and source.alias is None:
            raise self.error(
                "JOIN needs an alias on DIGITALTWINS, as in FROM DIGITALTWINS T JOIN ...",
                "join-needs-alias",
                source.joins[0].span,
            )
        edges = []
        for join in source.joins:
            kind = self.collections.get(join.source)
            if kind is None:
                raise self.unknown_alias(join.source, join.related.span)
            if kind is Kind.RELATIONSHIP:
                raise self.error(
                    f"'{join.source}' is a relationship; JOIN ... RELATED starts from a twin",
                    "join-from-relationship",
                    join.related.span,
                )
            target = self.declare(join.target, Kind.TWIN, join.span)
            alias = (
                None
                if join.alias is None
                else self.declare(join.alias, Kind.RELATIONSHIP, join.span)
            )
            edges.append(Edge(join.source, target, join.relationship, alias))
        return tuple(edges)

    def match(self, source: ast.FromMatch) -> tuple[tuple[str, ...], tuple[Hop, ...]]:
        nodes = [self.declare(node.alias, Kind.TWIN, node.span) for node in source.nodes]
        hops = []
        for index, hop in enumerate(source.hops):
            low, high = self.hop_range(hop)
            alias = None
            if hop.alias is not None:
                if (low, high) != (1, 1):
                    raise self.error(
                        f"the relationship variable '{hop.alias}' needs a single hop; "
                        "a hop count goes only with names, as in [:contains*2]",
                        "variable-with-hops",
                        hop.span,
                    )
                alias = self.declare(hop.alias, Kind.RELATIONSHIP, hop.span)
            hops.append(
                Hop(nodes[index], nodes[index + 1], hop.direction, alias, hop.names, low, high)
            )
        total = sum(hop.max_hops for hop in hops)
        if total > MAX_HOPS:
            raise self.error(
                f"a MATCH may span at most {MAX_HOPS} hops, this one up to {total}",
                "too-many-hops",
                source.span,
            )
        return tuple(nodes), tuple(hops)

    def hop_range(self, hop: ast.Hop) -> tuple[int, int]:
        count = hop.count
        if count is None:
            return 1, 1
        if not count.is_range:
            low = high = count.upper
        else:
            # ADT documents the lower bound as exclusive: *1..3 is 2 or 3 hops, *..2 is 1 or 2.
            low, high = (count.lower or 0) + 1, count.upper
        if low > high or high < 1:
            raise self.error(
                f"the hop count *{hop_count_text(count)} matches no path length "
                "(ADT excludes the lower bound: *1..3 means 2 or 3 hops)",
                "empty-hop-range",
                count.span,
            )
        return max(low, 1), high

    # SELECT -------------------------------------------------------------------------------------

    def select(
        self, select: ast.Select, scope: Scope, pattern: bool
    ) -> tuple[ShapeKind, tuple[Column, ...]]:
        body = select.body
        if isinstance(body, ast.Star):
            if pattern:
                raise self.error(
                    "SELECT * cannot be used with JOIN or MATCH; name the collections to return, "
                    "as in SELECT T, CT",
                    "star-with-join",
                    select.span,
                )
            return ShapeKind.DOCUMENTS, ()
        if isinstance(body, ast.Count):
            if select.top is not None:
                raise self.error("TOP cannot be combined with COUNT()", "count-with-top", body.span)
            return ShapeKind.COUNT, ()
        columns: dict[str, Column] = {}
        for item in body:
            ref = self.resolve(item.path, scope)
            name = item.alias or (ref.keys[-1] if ref.keys else ref.collection)
            if name in columns:
                raise self.error(
                    f"two columns are named '{name}'; give one of them another name with AS",
                    "duplicate-column",
                    item.span,
                )
            columns[name] = Column(name, ref)
        return ShapeKind.COLUMNS, tuple(columns.values())

    def resolve(self, path: ast.Path, scope: Scope) -> Ref:
        head = path.parts[0]
        if head not in self.collections and scope.root is None:
            if len(path.parts) > 1 or head.startswith("$"):
                raise self.unknown_alias(head, path.span)
            raise self.error(
                f"'{head}' is neither an alias nor, with JOIN or MATCH, a property; "
                f"qualify properties with an alias{_suggestion(head, scope.named())}",
                "unknown-alias",
                path.span,
            )
        ref = scope.ref(path)
        if ref.keys:
            self.check_system_property(ref, path)
        return ref

    def check_system_property(self, ref: Ref, path: ast.Path) -> None:
        key = ref.keys[0]
        if not key.startswith("$"):
            return
        kind = self.collections[ref.collection]
        known = TWIN_SYSTEM_PROPERTIES if kind is Kind.TWIN else RELATIONSHIP_SYSTEM_PROPERTIES
        if key not in known:
            raise self.error(
                f"'{key}' is not a property of {kind.value}s{_suggestion(key, known)}; "
                f"{kind.value}s have {', '.join(known)}",
                "unknown-system-property",
                path.span,
            )

    # WHERE --------------------------------------------------------------------------------------

    def where(self, query: ast.Query, scope: Scope, needs_anchor: bool) -> tuple[str, ...]:
        if query.where is not None:
            self.count_operators(query.where)
            for node in _walk(query.where):
                self.check(node, scope)
        anchors = tuple(_anchors(query.where, scope))
        if needs_anchor and not anchors:
            twins = [n for n in scope.named() if scope.collections[n] is Kind.TWIN]
            example = twins[0] if twins else "T"
            raise self.error(
                "a query with JOIN or MATCH must pick its twins by id: add "
                f"{example}.$dtId = '...' or {example}.$dtId IN [...] to WHERE with AND",
                "missing-dtid-anchor",
                (query.where or query.source).span,
            )
        return anchors

    def count_operators(self, where: ast.Expr) -> None:
        operators = [n for n in _walk(where) if isinstance(n, ast.And | ast.Or)]
        if len(operators) > MAX_LOGICAL_OPERATORS:
            raise self.error(
                f"a query may combine at most {MAX_LOGICAL_OPERATORS} conditions with AND/OR, "
                f"this one has {len(operators)}",
                "too-many-conditions",
                operators[MAX_LOGICAL_OPERATORS].span,
            )

    def check(self, node: ast.Expr, scope: Scope) -> None:
        if isinstance(node, ast.Comparison):
            operands = [node.left, node.right]
            paths = [o for o in operands if isinstance(o, ast.Path)]
            if not paths:
                raise self.error(
                    "a comparison needs a property on one side", "literal-comparison", node.span
                )
            for path in paths:
                self.property(path, scope)
        elif isinstance(node, ast.InList):
            self.property(node.operand, scope)
            nulls = [value for value in node.values if isinstance(value, ast.Null)]
            if nulls:
                raise self.error(
                    "IN and NIN compare with strings, numbers and booleans; test null with IS_NULL",
                    "null-in-list",
                    nulls[0].span,
                )
            if len(node.values) > MAX_IN_VALUES:
                raise self.error(
                    f"IN and NIN take at most {MAX_IN_VALUES} values, this list has "
                    f"{len(node.values)}",
                    "too-many-in-values",
                    node.span,
                )
        elif isinstance(node, ast.TypeCheck | ast.StringMatch):
            self.property(node.path, scope)
        elif isinstance(node, ast.ArrayContains):
            ref = self.property(node.path, scope)
            if isinstance(node.value, ast.Null):
                raise self.error(
                    "ARRAY_CONTAINS looks for a string, a number or a boolean, not null",
                    "null-in-list",
                    node.value.span,
                )
            if self.collections[ref.collection] is Kind.RELATIONSHIP:
                raise self.error(
                    "ARRAY_CONTAINS does not search relationship properties",
                    "array-contains-relationship",
                    node.span,
                )
        elif isinstance(node, ast.IsOfModel):
            self.is_of_model(node, scope)

    def property(self, path: ast.Path, scope: Scope) -> Ref:
        ref = self.resolve(path, scope)
        if not ref.keys:
            raise self.error(
                f"'{ref.collection}' is a whole {self.collections[ref.collection].value}; "
                f"name one of its properties, as in {ref.collection}.$dtId",
                "collection-as-value",
                path.span,
            )
        return ref

    def is_of_model(self, node: ast.IsOfModel, scope: Scope) -> None:
        if node.alias is None:
            if scope.root is None:
                raise self.error(
                    "with JOIN or MATCH, IS_OF_MODEL must name its twin collection, "
                    f"as in IS_OF_MODEL({scope.named()[0]}, '{node.model}')",
                    "ambiguous-is-of-model",
                    node.span,
                )
            alias = scope.root
        else:
            alias = node.alias
            if alias not in self.collections:
                raise self.unknown_alias(alias, node.span)
        if self.collections[alias] is not Kind.TWIN:
            raise self.error(
                "IS_OF_MODEL applies to twins; relationships have no model",
                "is-of-model-relationship",
                node.span,
            )


def _walk(expr: ast.Expr) -> Iterator[ast.Expr]:
    yield expr
    if isinstance(expr, ast.And | ast.Or):
        yield from _walk(expr.left)
        yield from _walk(expr.right)
    elif isinstance(expr, ast.Not):
        yield from _walk(expr.operand)


def conjuncts(expr: ast.Expr | None) -> Iterator[ast.Expr]:
    """The top-level AND terms of a condition."""
    if isinstance(expr, ast.And):
        yield from conjuncts(expr.left)
        yield from conjuncts(expr.right)
    elif expr is not None:
        yield expr


def _anchors(where: ast.Expr | None, scope: Scope) -> Iterator[str]:
    """Twin collections that a top-level `$dtId = '...'` or `$dtId IN [...]` pins down."""
    for term in conjuncts(where):
        path = _dtid_filter(term)
        if path is None:
            continue
        ref = scope.ref(path)
        if ref.keys == ("$dtId",) and scope.collections[ref.collection] is Kind.TWIN:
            yield ref.collection


def _dtid_filter(term: ast.Expr) -> ast.Path | None:
    if isinstance(term, ast.InList) and not term.negated:
        return term.operand
    if isinstance(term, ast.Comparison) and term.op is ast.Comparator.EQ:
        sides = (term.left, term.right)
        paths = [s for s in sides if isinstance(s, ast.Path)]
        strings = [s for s in sides if isinstance(s, ast.String)]
        if len(paths) == 1 and len(strings) == 1:
            return paths[0]
    return None


def _suggestion(name: str, candidates: list[str] | tuple[str, ...]) -> str:
    by_case = [c for c in candidates if c.lower() == name.lower()]
    close = by_case or difflib.get_close_matches(name, candidates, n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""
