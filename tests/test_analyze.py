"""Every refusal reason, on a query that triggers it, with the position the error points at.

Tests assert the stable `reason` slug and the span, not the wording; a few also pin the words that
make a message useful (a suggestion, the limit). `test_every_reason_has_a_case` reads the compiler's
source, so a new reason without a case here fails.
"""

from __future__ import annotations

import ast as python_ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import adtquery.analyze
import adtquery.parser
from adtquery.compiler import compile_query
from adtquery.errors import QueryError


@dataclass(frozen=True)
class Case:
    reason: str
    query: str
    line: int
    column: int
    says: str = ""  # a fragment the message must contain


def _joins(count: int) -> str:
    return " ".join(f"JOIN C{i} RELATED T.contains" for i in range(count))


CASES = {
    "unknown-alias-suggestion": Case(
        "unknown-alias",
        "SELECT T, CT FROM DIGITALTWINS T\nJOIN CT RELATED t.contains\nWHERE T.$dtId = 'a'",
        2, 17, "unknown alias 't' (did you mean 'T'?); aliases in scope: T",
    ),
    "unknown-alias-in-where": Case(
        "unknown-alias",
        "SELECT T FROM DIGITALTWINS T JOIN CT RELATED T.contains WHERE Ct.$dtId = 'a'",
        1, 63, "unknown alias 'Ct' (did you mean 'CT'?); aliases in scope: T, CT",
    ),
    "unknown-alias-unqualified-with-join": Case(
        "unknown-alias",
        "SELECT name FROM DIGITALTWINS T JOIN CT RELATED T.contains WHERE T.$dtId = 'a'",
        1, 8, "qualify properties with an alias",
    ),
    "unknown-alias-in-is-of-model": Case(
        "unknown-alias",
        "SELECT * FROM DIGITALTWINS T WHERE IS_OF_MODEL(U, 'dtmi:a;1')",
        1, 36, "unknown alias 'U'",
    ),
    "duplicate-alias": Case(
        "duplicate-alias",
        "SELECT T FROM DIGITALTWINS T JOIN T RELATED T.contains WHERE T.$dtId = 'a'",
        1, 30, "'T' is declared twice",
    ),
    "duplicate-alias-in-match": Case(
        "duplicate-alias",
        "SELECT a FROM DIGITALTWINS MATCH (a)-[a]->(b) WHERE a.$dtId = 'x'",
        1, 37,
    ),
    "join-needs-alias": Case(
        "join-needs-alias",
        "SELECT COUNT() FROM DIGITALTWINS JOIN CT RELATED T.contains",
        1, 34,
    ),
    "join-from-relationship": Case(
        "join-from-relationship",
        "SELECT T, CT FROM DIGITALTWINS T JOIN B RELATED T.has R\n"
        "  JOIN CT RELATED R.contains WHERE T.$dtId = 'a'",
        2, 19, "'R' is a relationship",
    ),
    "too-many-joins": Case(
        "too-many-joins",
        f"SELECT T FROM DIGITALTWINS T {_joins(6)} WHERE T.$dtId = 'a'",
        1, 165, "at most 5 JOINs, this one has 6",
    ),
    "too-many-hops": Case(
        "too-many-hops",
        "SELECT a, b FROM DIGITALTWINS MATCH (a)-[*5]->(c)-[*..6]->(b) WHERE a.$dtId = 'x'",
        1, 18, "at most 10 hops, this one up to 11",
    ),
    "empty-hop-range": Case(
        "empty-hop-range",
        "SELECT a, b FROM DIGITALTWINS MATCH (a)-[*3..3]->(b) WHERE a.$dtId = 'x'",
        1, 42, "*3..3 matches no path length",
    ),
    "empty-hop-range-zero": Case(
        "empty-hop-range",
        "SELECT a, b FROM DIGITALTWINS MATCH (a)-[:has*0]->(b) WHERE a.$dtId = 'x'",
        1, 46,
    ),
    "variable-with-hops": Case(
        "variable-with-hops",
        "SELECT a, b FROM DIGITALTWINS MATCH (a)-[r:has*2]->(b) WHERE a.$dtId = 'x'",
        1, 40, "'r' needs a single hop",
    ),
    "missing-dtid-anchor-join": Case(
        "missing-dtid-anchor",
        "SELECT T, CT FROM DIGITALTWINS T JOIN CT RELATED T.contains\nWHERE T.name = 'a'",
        2, 7, "T.$dtId = '...'",
    ),
    "missing-dtid-anchor-under-or": Case(
        "missing-dtid-anchor",
        "SELECT a FROM DIGITALTWINS MATCH (a)-[:has]->(b) WHERE a.$dtId = 'x' OR b.x = 1",
        1, 56,
    ),
    "missing-dtid-anchor-no-where": Case(
        "missing-dtid-anchor",
        "SELECT a FROM DIGITALTWINS MATCH (a)-[:has]->(b)",
        1, 15,
    ),
    "star-with-join": Case(
        "star-with-join",
        "SELECT * FROM DIGITALTWINS T JOIN CT RELATED T.contains WHERE T.$dtId = 'a'",
        1, 8,
    ),
    "star-with-match": Case(
        "star-with-join",
        "SELECT * FROM DIGITALTWINS MATCH (a)-[:has]->(b) WHERE a.$dtId = 'x'",
        1, 8,
    ),
    "count-with-top": Case(
        "count-with-top",
        "SELECT TOP(3) COUNT() FROM DIGITALTWINS",
        1, 15,
    ),
    "duplicate-column": Case(
        "duplicate-column",
        "SELECT T.name, CT.name FROM DIGITALTWINS T JOIN CT RELATED T.contains WHERE T.$dtId = 'a'",
        1, 16, "two columns are named 'name'",
    ),
    "duplicate-column-by-alias": Case(
        "duplicate-column",
        "SELECT T.a AS x, T.b AS x FROM DIGITALTWINS T",
        1, 18,
    ),
    "collection-as-value": Case(
        "collection-as-value",
        "SELECT T FROM DIGITALTWINS T JOIN CT RELATED T.contains WHERE T.$dtId = 'a' AND CT = 'b'",
        1, 81, "'CT' is a whole twin",
    ),
    "unknown-system-property": Case(
        "unknown-system-property",
        "SELECT * FROM DIGITALTWINS T WHERE T.$dtid = 'a'",
        1, 36, "(did you mean '$dtId'?)",
    ),
    "unknown-system-property-of-relationship": Case(
        "unknown-system-property",
        "SELECT * FROM RELATIONSHIPS R WHERE R.$dtId = 'a'",
        1, 37, "not a property of relationships",
    ),
    "ambiguous-is-of-model": Case(
        "ambiguous-is-of-model",
        "SELECT T, CT FROM DIGITALTWINS T JOIN CT RELATED T.contains\n"
        "WHERE T.$dtId = 'a' AND IS_OF_MODEL('dtmi:a;1')",
        2, 25, "IS_OF_MODEL(T, 'dtmi:a;1')",
    ),
    "is-of-model-relationship": Case(
        "is-of-model-relationship",
        "SELECT T, R FROM DIGITALTWINS T JOIN CT RELATED T.contains R "
        "WHERE T.$dtId = 'a' AND IS_OF_MODEL(R, 'dtmi:a;1')",
        1, 86,
    ),
    "is-of-model-from-relationships": Case(
        "is-of-model-relationship",
        "SELECT * FROM RELATIONSHIPS WHERE IS_OF_MODEL('dtmi:a;1')",
        1, 35,
    ),
    "too-many-in-values": Case(
        "too-many-in-values",
        "SELECT * FROM DIGITALTWINS WHERE $dtId IN [" + ", ".join(["'x'"] * 101) + "]",
        1, 34, "at most 100 values, this list has 101",
    ),
    "too-many-conditions": Case(
        "too-many-conditions",
        "SELECT * FROM DIGITALTWINS WHERE " + " AND ".join(["x = 1"] * 52),
        1, 34, "at most 50 conditions with AND/OR, this one has 51",
    ),
    "literal-comparison": Case(
        "literal-comparison",
        "SELECT * FROM DIGITALTWINS WHERE x = 1 AND 1 = 1",
        1, 44,
    ),
    "array-contains-relationship": Case(
        "array-contains-relationship",
        "SELECT * FROM RELATIONSHIPS R WHERE ARRAY_CONTAINS(R.tags, 'a')",
        1, 37,
    ),
    "query-too-long": Case(
        "query-too-long",
        "SELECT * FROM DIGITALTWINS WHERE name = '" + "a" * 7959 + "'",
        1, 8001, "8001 characters long; ADT accepts at most 8000",
    ),
    "bad-escape": Case(
        "bad-escape",
        "SELECT * FROM DIGITALTWINS\nWHERE path = 'C:\\data'",
        2, 17, "unknown escape '\\d'",
    ),
    "bad-escape-short-unicode": Case(
        "bad-escape",
        "SELECT * FROM DIGITALTWINS WHERE x = 'ab\\u12'",
        1, 41,
    ),
    "bad-count-top-zero": Case(
        "bad-count",
        "SELECT TOP(0) * FROM DIGITALTWINS",
        1, 12, "at least 1, not 0",
    ),
    "bad-count-fractional-hops": Case(
        "bad-count",
        "SELECT a, b FROM DIGITALTWINS MATCH (a)-[*1.5]->(b) WHERE a.$dtId = 'x'",
        1, 43,
    ),
    "bad-number": Case(
        "bad-number",
        "SELECT * FROM DIGITALTWINS WHERE x > -1e400",
        1, 38, "out of range",
    ),
    "syntax": Case(
        "syntax",
        "SELECT * FROM DIGITALTWINS WHERE x = 1 GROUP BY x",
        1, 40, "expected AND, OR or end of query, found 'GROUP'",
    ),
    "syntax-keyword-prefix": Case(
        "syntax",
        "SELECT * FROM DIGITALTWINS WHERE x = 1 ORDER BY x",
        1, 40, "found 'ORDER'",  # a whole word, not OR + DER
    ),
    "syntax-double-quotes": Case(
        "syntax",
        'SELECT * FROM DIGITALTWINS WHERE x = "a"',
        1, 38, "found a double-quoted string",
    ),
    "incomplete": Case(
        "incomplete",
        "SELECT * FROM DIGITALTWINS WHERE\n",
        1, 33, "expected a condition, found end of query",
    ),
    "incomplete-string": Case(
        "incomplete",
        "SELECT * FROM DIGITALTWINS WHERE x = 'abc",
        1, 38, "a string that is never closed",
    ),
    "null-in-list": Case(
        "null-in-list",
        "SELECT * FROM DIGITALTWINS WHERE x IN ['a', null]",
        1, 45, "test null with IS_NULL",
    ),
    "too-complex": Case(
        "too-complex",
        "SELECT * FROM DIGITALTWINS WHERE " + "NOT " * 600 + "x = 1",
        1, 1, "nests conditions too deeply",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_refusal(case: Case) -> None:
    with pytest.raises(QueryError) as caught:
        compile_query(case.query)
    error = caught.value
    assert (error.reason, error.code) == (case.reason, "SqlQueryError")
    assert error.span is not None
    assert (error.span.line, error.span.column) == (case.line, case.column)
    assert case.says in error.description
    assert str(error).endswith(f"(line {case.line}, column {case.column})")


def _reasons_in_source() -> set[str]:
    """Every reason slug the parser and the analyzer can raise, read from their source."""
    reasons = set()
    for module in (adtquery.parser, adtquery.analyze):
        assert module.__file__ is not None
        tree = python_ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for node in python_ast.walk(tree):
            if not isinstance(node, python_ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            arguments = [k.value for k in node.keywords if k.arg == "reason"]
            if name in ("error", "_error") and len(node.args) >= 2:
                arguments.append(node.args[1])
            for argument in arguments:
                reasons |= _string_constants(argument)
    return reasons


def _string_constants(node: python_ast.expr) -> set[str]:
    if isinstance(node, python_ast.IfExp):
        return _string_constants(node.body) | _string_constants(node.orelse)
    if isinstance(node, python_ast.Constant) and isinstance(node.value, str):
        return {node.value}
    return set()


def test_every_reason_has_a_case() -> None:
    reasons = _reasons_in_source()
    assert len(reasons) >= 20
    assert reasons == {case.reason for case in CASES.values()}


# Limits: the largest query each one allows still compiles. ---------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(f"SELECT T FROM DIGITALTWINS T {_joins(5)} WHERE T.$dtId = 'a'", id="5-joins"),
        pytest.param(
            "SELECT a, b FROM DIGITALTWINS MATCH (a)-[*5]->(c)-[*..5]->(b) WHERE a.$dtId = 'x'",
            id="10-hops",
        ),
        pytest.param(
            "SELECT * FROM DIGITALTWINS WHERE $dtId IN [" + ", ".join(["'x'"] * 100) + "]",
            id="100-in-values",
        ),
        pytest.param(
            "SELECT * FROM DIGITALTWINS WHERE " + " AND ".join(["x = 1"] * 51),
            id="50-conditions",
        ),
        pytest.param(
            "SELECT * FROM DIGITALTWINS WHERE name = '" + "a" * 7958 + "'", id="8000-characters"
        ),
        pytest.param("SELECT TOP(1) * FROM DIGITALTWINS", id="top-1"),
        pytest.param(
            "SELECT a, b FROM DIGITALTWINS MATCH (a)-[*0..1]->(b) WHERE a.$dtId = 'x'",
            id="hops-0..1",
        ),
    ],
)
def test_limit_boundary_compiles(query: str) -> None:
    assert len(query) <= 8000
    assert compile_query(query).cypher


def test_keywords_are_whole_words() -> None:
    compiled = compile_query("SELECT * FROM DIGITALTWINS WHERE NOTE = 1 AND ORIGIN = 'x'")
    assert compiled.canonical == "SELECT * FROM DIGITALTWINS WHERE NOTE = 1 AND ORIGIN = 'x'"
    with pytest.raises(QueryError, match="found 'ANDROID'"):
        compile_query("SELECT * FROM DIGITALTWINS WHERE x = 1 ANDROID = 2")


# String escapes ---------------------------------------------------------------------------------


def test_escapes_decode_like_json() -> None:
    compiled = compile_query(r"SELECT * FROM DIGITALTWINS WHERE x = 'a\'b\"c\\d\/e\n\t\u00e9'")
    assert list(compiled.params.values()) == ["a'b\"c\\d/e\n\té"]


def test_surrogate_pair_escape_is_one_character() -> None:
    compiled = compile_query(r"SELECT * FROM DIGITALTWINS WHERE x = '\ud83d\ude00'")
    assert list(compiled.params.values()) == ["\U0001f600"]


def test_lone_surrogate_escape_is_refused() -> None:
    with pytest.raises(QueryError) as caught:
        compile_query(r"SELECT * FROM DIGITALTWINS WHERE x = '\ud800'")
    assert caught.value.reason == "bad-escape"
