"""WHERE conditions in ADT's semantics, written for AGE through a dialect (Cypher or SQL).

ADT (like Cosmos DB) has three-valued logic: a comparison with a missing property, or between
different types, is *undefined* and never selects a row, not even under NOT. AGE instead orders
all types totally (`'abc' < 5` is true), and aborts a whole query when `STARTS WITH` meets a
number or a path steps into a string. So conditions are first pushed into negation normal form
(NOT reaches only atoms, where it can be folded into the atom); then each atom is written so it is
true exactly when ADT says true, with type guards that AGE evaluates before anything that could
fail. Guards use only `<`, `>` and `=` against type boundaries: AGE 1.5's btree opclass swaps `>=`
and `>`, so `>=` is never emitted (../shared/apache-age.md §4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from adtquery import ast
from adtquery.analyze import Analyzed, Kind, Ref
from adtquery.params import Params

# Properties the service maintains as strings: no type guard needed when compared with a string.
STRING_SYSTEM_PROPERTIES = frozenset(
    [("$dtId",), ("$etag",), ("$metadata", "$model"), ("$metadata", "$lastUpdateTime"),
     ("$relationshipId",), ("$sourceId",), ("$targetId",), ("$relationshipName",)]
)  # fmt: skip
MODEL = ("$metadata", "$model")

_NEGATED = {
    ast.Comparator.EQ: ast.Comparator.NE,
    ast.Comparator.NE: ast.Comparator.EQ,
    ast.Comparator.LT: ast.Comparator.GE,
    ast.Comparator.GE: ast.Comparator.LT,
    ast.Comparator.GT: ast.Comparator.LE,
    ast.Comparator.LE: ast.Comparator.GT,
}
_MIRRORED = {
    ast.Comparator.LT: ast.Comparator.GT,
    ast.Comparator.GT: ast.Comparator.LT,
    ast.Comparator.LE: ast.Comparator.GE,
    ast.Comparator.GE: ast.Comparator.LE,
}


class Dialect(Protocol):
    """How one target spells values, constants and the few functions conditions need."""

    TRUE: str
    FALSE: str
    EMPTY_STRING: str
    EMPTY_LIST: str

    def access(self, variable: str, keys: tuple[str, ...]) -> str: ...
    def param(self, name: str) -> str: ...
    def string_match(self, function: ast.StringFunction, subject: str, pattern: str) -> str: ...
    def member(self, value: str, container: str) -> str: ...
    def one_of(self, subject: str, items: list[str]) -> str: ...
    def in_set(self, subject: str, name: str) -> str: ...
    def keys(self, subject: str) -> str: ...
    def string_equality(
        self, variable: str, keys: tuple[str, ...], relationship: bool, items: list[str]
    ) -> str | None:
        """`keys`, a string the service maintains, equal to one of `items` (string parameters)
        in a form the target's indexes serve better than agtype equality, if it has one."""


class ConditionWriter:
    def __init__(
        self,
        analyzed: Analyzed,
        dialect: Dialect,
        params: Params,
        variable: Callable[[str], str],
        model_sets: Params,
    ) -> None:
        """`model_sets` collects IS_OF_MODEL ids; the executor binds each to the set of models
        that are that model, a later version of it, or extend it."""
        self.analyzed = analyzed
        self.d = dialect
        self.params = params
        self.variable = variable
        self.model_sets = model_sets

    def param(self, value: object) -> str:
        return self.d.param(self.params.add(value))

    # Values -------------------------------------------------------------------------------------

    def value(self, ref: Ref) -> str:
        """A property's value, or NULL where ADT has none; never an AGE error.

        Stepping into a string or a number aborts an AGE query, so every container on the way is
        tested for being a map first, outermost first. `$metadata` is always a map.
        """
        variable = self.variable(ref.collection)
        expr = self.d.access(variable, ref.keys)
        first_guarded = 2 if ref.keys[0] == "$metadata" else 1
        for depth in range(len(ref.keys) - 1, first_guarded - 1, -1):
            container = self.d.access(variable, ref.keys[:depth])
            expr = f"CASE WHEN {self.is_map(container)} THEN {expr} END"
        return expr

    def path_value(self, path: ast.Path) -> str:
        return self.value(self.analyzed.scope.ref(path))

    # Type guards: true exactly for their type, on any value AGE can hold -------------------------

    def is_map(self, x: str) -> str:
        return f"{x} < {self.d.EMPTY_LIST}"

    def is_list(self, x: str) -> str:
        return f"{x} < {self.d.EMPTY_STRING} AND NOT {x} < {self.d.EMPTY_LIST}"

    def is_string(self, x: str) -> str:
        return f"{x} < {self.d.FALSE} AND NOT {x} < {self.d.EMPTY_STRING}"

    def is_number(self, x: str) -> str:
        return f"{x} > {self.d.TRUE}"

    def is_bool(self, x: str) -> str:
        return f"({x} = {self.d.TRUE} OR {x} = {self.d.FALSE})"

    def guard_for(self, value: ast.Literal) -> Callable[[str], str]:
        if isinstance(value, ast.String):
            return self.is_string
        if isinstance(value, ast.Boolean):
            return self.is_bool
        return self.is_number

    # Conditions ---------------------------------------------------------------------------------

    def condition(self, expr: ast.Expr, positive: bool = True) -> str:
        """`expr` (or NOT `expr`), true exactly where ADT selects the row."""
        if isinstance(expr, ast.Not):
            return self.condition(expr.operand, not positive)
        if isinstance(expr, ast.And | ast.Or):
            left = self.condition(expr.left, positive)
            right = self.condition(expr.right, positive)
            if isinstance(expr, ast.And) == positive:
                return f"{left} AND {right}"
            return f"({left} OR {right})"
        return self.atom(expr, positive)

    def atom(self, expr: ast.Expr, positive: bool) -> str:
        if isinstance(expr, ast.Comparison):
            return self.comparison(expr, positive)
        if isinstance(expr, ast.InList):
            return self.in_list(expr, positive)
        if isinstance(expr, ast.TypeCheck):
            text = self.type_check(expr)
            return text if positive else f"NOT ({text})"
        if isinstance(expr, ast.StringMatch):
            return self.string_match(expr, positive)
        if isinstance(expr, ast.ArrayContains):
            return self.array_contains(expr, positive)
        assert isinstance(expr, ast.IsOfModel)
        text = self.is_of_model(expr)
        return text if positive else f"NOT ({text})"

    def comparison(self, expr: ast.Comparison, positive: bool) -> str:
        left, op, right = expr.left, expr.op, expr.right
        if not isinstance(left, ast.Path):
            left, op, right = right, _MIRRORED.get(op, op), left
        assert isinstance(left, ast.Path)
        if not positive:
            op = _NEGATED[op]
        if isinstance(right, ast.Path):
            return self.compare_paths(left, op, right)
        ref = self.analyzed.scope.ref(left)
        if isinstance(right, ast.Null):
            # Only `= null` can hold: null compared any other way is undefined.
            return self.is_null(ref) if op is ast.Comparator.EQ else self.d.FALSE
        x, p = self.value(ref), self.param(right.value)
        if op is ast.Comparator.EQ and isinstance(right, ast.String):
            indexed = self.system_string_equality(ref, [p])
            if indexed is not None:
                return indexed
        core = _compare(x, op, p)
        needs_guard = op is not ast.Comparator.EQ and not (
            (isinstance(right, ast.String) and ref.keys in STRING_SYSTEM_PROPERTIES)
            # Above every number in AGE's order is only null, which no property access yields.
            or (isinstance(right, ast.Number) and op in (ast.Comparator.GT, ast.Comparator.GE))
        )
        return f"{core} AND {self.guard_for(right)(x)}" if needs_guard else core

    def compare_paths(self, left: ast.Path, op: ast.Comparator, right: ast.Path) -> str:
        a, b = self.path_value(left), self.path_value(right)
        if op is ast.Comparator.EQ:
            # Not `a = b`: PostgreSQL may hash-join on it, and AGE hashes 70 and 70.0 apart.
            return f"{a} <= {b} AND {b} <= {a}"
        guards = [self.is_string, self.is_number, self.is_bool]
        if op is ast.Comparator.NE:  # objects and arrays have equality, but no order
            guards += [self.is_map, self.is_list]
        same_type = " OR ".join(f"{g(a)} AND {g(b)}" for g in guards)
        return f"{_compare(a, op, b)} AND ({same_type})"

    def in_list(self, expr: ast.InList, positive: bool) -> str:
        x = self.path_value(expr.operand)
        values = [v.value for v in expr.values if not isinstance(v, ast.Null)]
        items = [self.param(value) for value in _number_twins(values)]
        if expr.negated == positive:
            # NIN: defined, and equal to none of the values.
            return f"NOT {self.d.one_of(x, items)}" if items else f"{x} IS NOT NULL"
        if not items:
            return self.d.FALSE
        if all(isinstance(value, str) for value in values):
            indexed = self.system_string_equality(self.analyzed.scope.ref(expr.operand), items)
            if indexed is not None:
                return indexed
        return self.d.one_of(x, items)

    def system_string_equality(self, ref: Ref, items: list[str]) -> str | None:
        if ref.keys not in STRING_SYSTEM_PROPERTIES:
            return None
        relationship = self.analyzed.kind(ref.collection) is Kind.RELATIONSHIP
        return self.d.string_equality(self.variable(ref.collection), ref.keys, relationship, items)

    def type_check(self, expr: ast.TypeCheck) -> str:
        """Strictly true or false (never NULL), so that NOT can simply be put in front."""
        ref = self.analyzed.scope.ref(expr.path)
        x = self.value(ref)
        function = expr.function
        if function is ast.TypeFunction.IS_DEFINED:
            return f"({x} IS NOT NULL OR {self.has_key(ref)})"
        if function is ast.TypeFunction.IS_NULL:
            return self.is_null(ref)
        if function is ast.TypeFunction.IS_PRIMITIVE:
            primitive = f"{x} IS NOT NULL AND NOT {x} < {self.d.EMPTY_STRING}"
            return f"({primitive} OR {self.is_null(ref)})"
        guard = {
            ast.TypeFunction.IS_BOOL: self.is_bool,
            ast.TypeFunction.IS_NUMBER: self.is_number,
            ast.TypeFunction.IS_STRING: self.is_string,
            ast.TypeFunction.IS_OBJECT: self.is_map,
        }[function]
        return f"({x} IS NOT NULL AND {guard(x)})"

    def is_null(self, ref: Ref) -> str:
        # AGE reads a stored JSON null as SQL NULL, as a missing key: only keys() tells them apart.
        return f"{self.value(ref)} IS NULL AND {self.has_key(ref)}"

    def has_key(self, ref: Ref) -> str:
        key = self.param(ref.keys[-1])
        if len(ref.keys) == 1:
            entity = self.d.access(self.variable(ref.collection), ())
            return self.d.member(key, self.d.keys(entity))
        container = self.value(Ref(ref.collection, ref.keys[:-1]))
        present = self.d.member(key, self.d.keys(container))
        return f"CASE WHEN {self.is_map(container)} THEN {present} ELSE {self.d.FALSE} END"

    def string_match(self, expr: ast.StringMatch, positive: bool) -> str:
        ref = self.analyzed.scope.ref(expr.path)
        x = self.value(ref)
        match = self.d.string_match(expr.function, x, self.param(expr.value))
        match = match if positive else f"NOT {match}"
        if ref.keys in STRING_SYSTEM_PROPERTIES:
            return match
        # STARTS WITH on a number aborts the query in AGE; CASE decides the order of evaluation.
        return f"CASE WHEN {self.is_string(x)} THEN {match} END"

    def array_contains(self, expr: ast.ArrayContains, positive: bool) -> str:
        x = self.path_value(expr.path)
        value = expr.value.value if not isinstance(expr.value, ast.Null) else None
        candidates = _number_twins([value])
        found = " OR ".join(self.d.member(self.param(c), x) for c in candidates)
        found = f"({found})" if len(candidates) > 1 else found
        found = found if positive else f"NOT {found}"
        return f"CASE WHEN {self.is_list(x)} THEN {found} END"

    def is_of_model(self, expr: ast.IsOfModel) -> str:
        collection = expr.alias or self.analyzed.scope.root
        assert collection is not None
        model = self.value(Ref(collection, MODEL))
        if expr.exact:
            indexed = self.system_string_equality(Ref(collection, MODEL), [self.param(expr.model)])
            return indexed or f"{model} = {self.param(expr.model)}"
        return self.d.in_set(model, self.model_sets.add(expr.model))


def _number_twins(values: list[object]) -> list[object]:
    """Each whole number as both 2 and 2.0: AGE's list membership and hashing tell them apart,
    ADT's equality does not."""
    result: list[object] = []
    for value in values:
        # Beyond 2**53 a float is no longer exact, and AGE keeps integers to 64 bits.
        whole = (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and abs(value) < 2**53
            and value == int(value)
        )
        result += [int(value), float(value)] if whole else [value]  # type: ignore[arg-type]
    return result


def _compare(x: str, op: ast.Comparator, y: str) -> str:
    if op is ast.Comparator.GE:
        return f"({x} > {y} OR {x} = {y})"
    return f"{x} {'<>' if op is ast.Comparator.NE else op.value} {y}"
