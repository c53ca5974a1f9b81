"""A reference interpreter for the ADT query language over in-memory JSON documents.

It is written from the language rules (../shared/adt-query-language.md, §9 above all), never
from the generated Cypher or SQL, so that the compiler can be tested against it. It reuses only
what *is* the language: `parse`, `analyze` (which names what, and the resolved MATCH hop ranges:
ADT's `*1..3` means 2 or 3 hops) and `models_of` (versions and `extends` for IS_OF_MODEL).

Semantics (ADT's, inherited from Cosmos DB SQL; three-valued):

- A property is UNDEFINED when a key is missing or a path steps into something that is not an
  object. A stored JSON null is a value: `null`.
- A comparison with an UNDEFINED side is UNDEFINED. Values of different JSON types (null,
  boolean, number, string, object, array; a boolean is not a number) never compare: UNDEFINED.
  Numbers compare numerically (1 = 1.0), strings ordinally by code point, booleans false < true.
  `=` on two objects or two arrays is deep equality; `<`, `>`, ... on them are UNDEFINED.
  `!=` is the negation of `=` for two values of one type, objects and arrays included (so that
  NOT a = b and a != b agree).
  null equals null and nothing else; any ordering with null is UNDEFINED.
- `x IN [...]` is UNDEFINED when x is UNDEFINED or null, else whether x equals some item;
  `NIN` is its negation under the same condition.
- NOT, AND and OR follow Kleene's logic; WHERE selects a row only when it is true.
- IS_DEFINED / IS_NULL / IS_BOOL / IS_NUMBER / IS_STRING / IS_PRIMITIVE / IS_OBJECT are always
  true or false (false on UNDEFINED); IS_DEFINED is true for null.
- STARTSWITH / ENDSWITH / CONTAINS are UNDEFINED unless the value is a string (case-sensitive).
- ARRAY_CONTAINS is UNDEFINED unless the value is an array; then it looks at the top-level
  elements only, with the equality above.
- IS_OF_MODEL(id) accepts a twin whose model is `id`, a later version of it, or extends one of
  those (transitively); `exact` accepts `$metadata.$model == id` only.
- FROM DIGITALTWINS is every twin, FROM RELATIONSHIPS every relationship. JOIN is an inner join
  from source to target along relationships of exactly that `$relationshipName`; two JOINs may use
  one relationship. MATCH is one path: a relationship is used at most once in it (twins may
  repeat); `-` takes a relationship either way, a self-loop once. Rows are a multiset.
- A relationship whose source or target twin does not exist is not part of the graph (ADT cannot
  hold one; `insert_relationships` does not store one either).
- SELECT * / TOP(n) give the root documents; COUNT() gives `[{"COUNT": n}]`; a projection gives
  `{name: value}`, a whole collection being its document, and leaves out a property that is
  UNDEFINED. TOP(n) takes any n rows (here: the first n in this interpreter's order).

KNOWN DELIBERATE DEVIATION from ADT: a projected property holding JSON null is also left out of
the row, because AGE reads a stored null exactly like a missing key. ADT would return `"x": null`.
Whole documents (SELECT *, SELECT T) keep their nulls.
"""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from adtquery import ast, parse
from adtquery.analyze import Analyzed, Hop, ShapeKind, analyze
from adtquery.models import models_of

Document = dict[str, Any]
Binding = dict[str, Document]

# Switches that copy what the compiler does today where it departs from the rules above, so the
# differential test can keep generating such queries; each departure is pinned by a strict xfail
# in tests/db/test_conformance.py, which tells when one is fixed.
NULL_PATHS_UNDEFINED = "null-paths-undefined"
"""`a = b` and `a != b` between two paths that both hold null are UNDEFINED (rule: = is true)."""
COMPILER_QUIRKS = frozenset([NULL_PATHS_UNDEFINED])


class _Undefined:
    """ADT's `undefined`: a missing property, or a condition that is neither true nor false."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        raise TypeError("UNDEFINED has no truth value; compare with `is UNDEFINED`")


UNDEFINED: Any = _Undefined()

# A condition's value: True, False or UNDEFINED.
Truth = Any


# Values -----------------------------------------------------------------------------------------


def json_type(value: Any) -> str:
    """The JSON type of a defined value; a boolean is not a number."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    raise TypeError(f"not a JSON value: {value!r}")


_PRIMITIVES = frozenset(["null", "boolean", "number", "string"])
_ORDERED = frozenset(["boolean", "number", "string"])


def get_path(document: Any, keys: Sequence[str]) -> Any:
    """The value at `keys` below `document`, or UNDEFINED."""
    value = document
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return UNDEFINED
        value = value[key]
    return value


def deep_equal(a: Any, b: Any) -> bool:
    """Equality of two defined JSON values: same type, numbers numerically, recursively."""
    kind = json_type(a)
    if kind != json_type(b):
        return False
    if kind == "object":
        return a.keys() == b.keys() and all(deep_equal(a[k], b[k]) for k in a)
    if kind == "array":
        return len(a) == len(b) and all(deep_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def compare(a: Any, op: ast.Comparator, b: Any) -> Truth:
    """`a op b`: UNDEFINED for an undefined side or two types, else the comparison."""
    if a is UNDEFINED or b is UNDEFINED:
        return UNDEFINED
    kind = json_type(a)
    if kind != json_type(b):
        return UNDEFINED
    if op is ast.Comparator.EQ:
        return deep_equal(a, b)
    if op is ast.Comparator.NE:
        return not deep_equal(a, b)
    if kind not in _ORDERED:
        return UNDEFINED
    if op is ast.Comparator.LT:
        return a < b
    if op is ast.Comparator.LE:
        return a <= b
    if op is ast.Comparator.GT:
        return a > b
    return a >= b


# Kleene logic -----------------------------------------------------------------------------------


def not_(x: Truth) -> Truth:
    return UNDEFINED if x is UNDEFINED else not x


def and_(x: Truth, y: Truth) -> Truth:
    if x is False or y is False:
        return False
    if x is UNDEFINED or y is UNDEFINED:
        return UNDEFINED
    return True


def or_(x: Truth, y: Truth) -> Truth:
    if x is True or y is True:
        return True
    if x is UNDEFINED or y is UNDEFINED:
        return UNDEFINED
    return False


# The interpreter --------------------------------------------------------------------------------


def literal_value(literal: ast.Literal) -> Any:
    return None if isinstance(literal, ast.Null) else literal.value


class Interpreter:
    """One query over one graph; `rows()` gives its result."""

    def __init__(
        self,
        text: str,
        twins: Sequence[Document],
        relationships: Sequence[Document],
        models: Mapping[str, Sequence[str]] | None = None,
        *,
        quirks: Collection[str] = (),
    ) -> None:
        """`quirks`: any of COMPILER_QUIRKS, to copy a known departure of the compiler."""
        unknown = set(quirks) - COMPILER_QUIRKS
        assert not unknown, f"unknown quirks {unknown}"
        self.text = text
        self.analyzed: Analyzed = analyze(parse(text), text)
        self.twins = list(twins)
        self.by_id = {twin["$dtId"]: twin for twin in self.twins}
        # Only relationships between existing twins are part of the graph.
        self.relationships = [
            r
            for r in relationships
            if r.get("$sourceId") in self.by_id and r.get("$targetId") in self.by_id
        ]
        self.outgoing: dict[str, list[int]] = defaultdict(list)
        self.incoming: dict[str, list[int]] = defaultdict(list)
        for index, relationship in enumerate(self.relationships):
            self.outgoing[relationship["$sourceId"]].append(index)
            self.incoming[relationship["$targetId"]].append(index)
        self.models = dict(models or {})
        self.quirks = frozenset(quirks)

    # FROM: the bindings ---------------------------------------------------------------------------

    def bindings(self) -> Iterator[Binding]:
        """Every combination of documents the FROM clause yields, keyed by collection."""
        a = self.analyzed
        source = a.query.source
        if isinstance(source, ast.FromRelationships):
            root = next(iter(a.scope.collections))
            for relationship in self.relationships:
                yield {root: relationship}
        elif isinstance(source, ast.FromTwins):
            yield from self.joins()
        else:
            yield from self.matches()

    def joins(self) -> Iterator[Binding]:
        root = next(iter(self.analyzed.scope.collections))
        bindings: list[Binding] = [{root: twin} for twin in self.twins]
        for edge in self.analyzed.edges:
            extended = []
            for binding in bindings:
                for index in self.outgoing[binding[edge.source]["$dtId"]]:
                    relationship = self.relationships[index]
                    if relationship["$relationshipName"] != edge.name:
                        continue
                    row = {**binding, edge.target: self.by_id[relationship["$targetId"]]}
                    if edge.relationship is not None:
                        row[edge.relationship] = relationship
                    extended.append(row)
            bindings = extended
        yield from bindings

    def matches(self) -> Iterator[Binding]:
        a = self.analyzed
        first = a.match_nodes[0]
        for twin in self.twins:
            yield from self.extend({first: twin}, 0, twin["$dtId"], frozenset())

    def extend(
        self, binding: Binding, hop_index: int, at: str, used: frozenset[int]
    ) -> Iterator[Binding]:
        hops = self.analyzed.hops
        if hop_index == len(hops):
            yield binding
            return
        hop = hops[hop_index]
        for length in range(hop.min_hops, hop.max_hops + 1):
            for end, path in self.walks(hop, at, length, used):
                row = {**binding, hop.target: self.by_id[end]}
                if hop.relationship is not None:
                    assert len(path) == 1
                    row[hop.relationship] = self.relationships[path[0]]
                yield from self.extend(row, hop_index + 1, end, used | frozenset(path))

    def walks(
        self, hop: Hop, at: str, length: int, used: frozenset[int]
    ) -> Iterator[tuple[str, tuple[int, ...]]]:
        """Walks of exactly `length` relationships from `at`, none of them in `used`."""
        if length == 0:
            yield at, ()
            return
        for index, next_twin in self.steps(hop, at):
            if index in used:
                continue
            for end, rest in self.walks(hop, next_twin, length - 1, used | {index}):
                yield end, (index, *rest)

    def steps(self, hop: Hop, at: str) -> Iterator[tuple[int, str]]:
        """(relationship, twin across it) for each relationship one step of `hop` may take."""
        candidates: list[tuple[int, str]] = []
        if hop.direction in (ast.Direction.RIGHT, ast.Direction.ANY):
            candidates += [(i, self.relationships[i]["$targetId"]) for i in self.outgoing[at]]
        if hop.direction in (ast.Direction.LEFT, ast.Direction.ANY):
            candidates += [
                (i, self.relationships[i]["$sourceId"])
                for i in self.incoming[at]
                # Taken either way, a self-loop is still one relationship: once, not twice.
                if not (
                    hop.direction is ast.Direction.ANY and self.relationships[i]["$sourceId"] == at
                )
            ]
        for index, twin in candidates:
            name = self.relationships[index]["$relationshipName"]
            if not hop.names or name in hop.names:
                yield index, twin

    # WHERE ----------------------------------------------------------------------------------------

    def value(self, operand: ast.Operand, binding: Binding) -> Any:
        if isinstance(operand, ast.Path):
            ref = self.analyzed.scope.ref(operand)
            return get_path(binding[ref.collection], ref.keys)
        return literal_value(operand)

    def truth(self, expr: ast.Expr, binding: Binding) -> Truth:
        if isinstance(expr, ast.Not):
            return not_(self.truth(expr.operand, binding))
        if isinstance(expr, ast.And):
            return and_(self.truth(expr.left, binding), self.truth(expr.right, binding))
        if isinstance(expr, ast.Or):
            return or_(self.truth(expr.left, binding), self.truth(expr.right, binding))
        if isinstance(expr, ast.Comparison):
            left = self.value(expr.left, binding)
            right = self.value(expr.right, binding)
            result = compare(left, expr.op, right)
            both_null_paths = (
                isinstance(expr.left, ast.Path)
                and isinstance(expr.right, ast.Path)
                and left is None
                and right is None
            )
            if NULL_PATHS_UNDEFINED in self.quirks and both_null_paths:
                return UNDEFINED
            return result
        if isinstance(expr, ast.InList):
            x = self.value(expr.operand, binding)
            if x is UNDEFINED or x is None:
                return UNDEFINED
            found = any(deep_equal(x, literal_value(item)) for item in expr.values)
            return not found if expr.negated else found
        if isinstance(expr, ast.TypeCheck):
            return type_check(expr.function, self.value(expr.path, binding))
        if isinstance(expr, ast.StringMatch):
            x = self.value(expr.path, binding)
            if not isinstance(x, str):
                return UNDEFINED
            if expr.function is ast.StringFunction.STARTSWITH:
                return x.startswith(expr.value)
            if expr.function is ast.StringFunction.ENDSWITH:
                return x.endswith(expr.value)
            return expr.value in x
        if isinstance(expr, ast.ArrayContains):
            x = self.value(expr.path, binding)
            if not isinstance(x, list):
                return UNDEFINED
            wanted = literal_value(expr.value)
            return any(deep_equal(item, wanted) for item in x)
        assert isinstance(expr, ast.IsOfModel), expr
        collection = expr.alias or self.analyzed.scope.root
        assert collection is not None
        model = get_path(binding[collection], ("$metadata", "$model"))
        if model is UNDEFINED:
            return UNDEFINED
        if expr.exact:
            return model == expr.model
        return model in models_of(self.models, expr.model)

    def selected(self, binding: Binding) -> bool:
        where = self.analyzed.query.where
        return where is None or self.truth(where, binding) is True

    # SELECT ---------------------------------------------------------------------------------------

    def row(self, binding: Binding) -> dict[str, Any]:
        a = self.analyzed
        if a.shape is ShapeKind.DOCUMENTS:
            root = a.scope.root
            assert root is not None
            return copy.deepcopy(binding[root])
        result = {}
        for column in a.columns:
            value = get_path(binding[column.ref.collection], column.ref.keys)
            # UNDEFINED is left out (ADT); so is null (the deviation in the module docstring).
            if value is not UNDEFINED and value is not None:
                result[column.name] = copy.deepcopy(value)
        return result

    def rows(self, *, apply_top: bool = True) -> list[dict[str, Any]]:
        chosen = [binding for binding in self.bindings() if self.selected(binding)]
        if self.analyzed.shape is ShapeKind.COUNT:
            return [{"COUNT": len(chosen)}]
        rows = [self.row(binding) for binding in chosen]
        top = self.analyzed.top
        return rows[:top] if apply_top and top is not None else rows


def run(
    text: str,
    twins: Sequence[Document],
    relationships: Sequence[Document] = (),
    models: Mapping[str, Sequence[str]] | None = None,
    *,
    apply_top: bool = True,
    quirks: Collection[str] = (),
) -> list[dict[str, Any]]:
    """The rows ADT returns for query `text` over these documents (`models`: id -> extends ids).

    `apply_top=False` ignores TOP(n), giving every row TOP may choose from.
    """
    interpreter = Interpreter(text, twins, relationships, models, quirks=quirks)
    return interpreter.rows(apply_top=apply_top)


def type_check(function: ast.TypeFunction, x: Any) -> bool:
    if x is UNDEFINED:
        return False
    kind = json_type(x)
    if function is ast.TypeFunction.IS_DEFINED:
        return True
    if function is ast.TypeFunction.IS_NULL:
        return kind == "null"
    if function is ast.TypeFunction.IS_BOOL:
        return kind == "boolean"
    if function is ast.TypeFunction.IS_NUMBER:
        return kind == "number"
    if function is ast.TypeFunction.IS_STRING:
        return kind == "string"
    if function is ast.TypeFunction.IS_OBJECT:
        return kind == "object"
    assert function is ast.TypeFunction.IS_PRIMITIVE
    return kind in _PRIMITIVES


def canonical(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Rows as a multiset: sorted JSON texts, keys sorted."""
    return sorted(json.dumps(row, sort_keys=True, ensure_ascii=False) for row in rows)
