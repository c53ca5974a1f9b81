"""Properties of the whole compiler, checked on generated trees and text (strategies.py).

- printing a tree and parsing it back gives the same tree, literal types included;
- any text compiles or is refused with a QueryError in plain words at a real position;
- a literal from the query reaches the generated Cypher and SQL only as a parameter, and an
  escaped property name stays inside its quotes;
- compiling is deterministic;
- a query built to pass analysis compiles, to Cypher that binds every variable it reads.

Profiles (tests/conftest.py): `ci` runs 300 examples per property, derandomized; `dev` runs 100.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adtquery import ast
from adtquery.analyze import ShapeKind
from adtquery.compiler import CompiledQuery, compile_query
from adtquery.errors import QueryError, span_at
from adtquery.parser import parse
from adtquery.printer import to_text
from tests import strategies

# lru_cache would hand back the first result again; determinism needs two real compilations.
compile_fresh = compile_query.__wrapped__

INTERNALS = ("Token(", "__ANON", "Tree(", "_SELECT")


def _outputs(compiled: CompiledQuery) -> list[str]:
    paged = compiled.paged
    return [compiled.cypher, compiled.statement, paged.first, paged.next or ""]


# Round trip -------------------------------------------------------------------------------------


@given(strategies.queries)
def test_printed_tree_parses_back_to_the_same_tree(query: ast.Query) -> None:
    text = to_text(query)
    again = parse(text)
    assert again == query, text
    # Number(1) == Number(1.0) == Number(True) in Python; the reprs tell int, float and bool apart.
    assert repr(again) == repr(query), text
    assert to_text(again) == text


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(
            ast.Query(
                ast.Select(None, (ast.Projection(ast.Path(("T",)), "$dtId"),)),
                ast.FromTwins("T"),
                None,
            ),
            id="projection-alias",
        ),
        pytest.param(
            ast.Query(
                ast.Select(None, ast.Star()), ast.FromTwins("T"), ast.IsOfModel("$x", "m", False)
            ),
            id="is-of-model-alias",
        ),
        pytest.param(
            ast.Query(
                ast.Select(None, ast.Star()),
                ast.FromMatch((ast.NodePattern("$a"),), ()),
                None,
            ),
            id="match-node",
        ),
        pytest.param(
            ast.Query(
                ast.Select(None, ast.Star()),
                ast.FromMatch(
                    (ast.NodePattern("a"), ast.NodePattern(None)),
                    (ast.Hop(ast.Direction.RIGHT, "$r", (), None),),
                ),
                None,
            ),
            id="match-hop-variable",
        ),
        pytest.param(
            ast.Query(
                ast.Select(None, ast.Star()),
                ast.FromTwins("T", (ast.Join("U", ast.Path(("$t", "contains")), None),)),
                None,
            ),
            id="join-source",
        ),
    ],
)
def test_alias_shaped_like_a_system_property_round_trips(query: ast.Query) -> None:
    assert parse(to_text(query)) == query


# No crash ---------------------------------------------------------------------------------------


def _check_refusal(error: QueryError, text: str) -> None:
    assert error.code == "SqlQueryError"
    for message in (str(error), error.render()):
        leaked = [marker for marker in INTERNALS if marker in message and marker not in text]
        assert not leaked, message
    span = error.span
    assert span is not None, error.reason
    assert span.line >= 1
    assert span.column >= 1
    assert span.line <= text.count("\n") + 2
    assert 0 <= span.start <= span.end
    assert span.start <= len(text)
    expected = span_at(text, span.start)
    assert (span.line, span.column) == (expected.line, expected.column)


@given(st.one_of(strategies.token_soup(), strategies.mutated_queries()))
def test_any_text_compiles_or_is_refused_in_plain_words(text: str) -> None:
    try:
        compile_fresh(text)
    except QueryError as error:
        _check_refusal(error, text)


@given(strategies.queries.map(to_text))
def test_any_printed_tree_compiles_or_is_refused_in_plain_words(text: str) -> None:
    try:
        compiled = compile_fresh(text)
    except QueryError as error:
        _check_refusal(error, text)
    else:
        assert compiled.canonical == text


DEEP_NOT = "SELECT * FROM DIGITALTWINS WHERE " + "NOT " * 600 + "x = 1"
LONG_AND = "SELECT * FROM DIGITALTWINS WHERE " + " AND ".join(["x = 1"] * 600)
LONG_OR = "SELECT * FROM DIGITALTWINS WHERE " + " OR ".join(["x = 1"] * 600)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(DEEP_NOT, id="600-nots"),
        pytest.param(LONG_AND, id="600-ands"),
        pytest.param(LONG_OR, id="600-ors"),
    ],
)
def test_deep_nesting_within_the_length_limit_does_not_crash(text: str) -> None:
    assert len(text) <= 8000
    try:
        compile_fresh(text)
    except QueryError as error:
        _check_refusal(error, text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("SELECT * FROM DIGITALTWINS WHERE x = " + "1" * 4301, id="literal"),
        pytest.param("SELECT TOP(" + "1" * 4301 + ") FROM DIGITALTWINS", id="top"),
    ],
)
def test_huge_integer_is_refused_not_crashed(text: str) -> None:
    with pytest.raises(QueryError) as caught:
        compile_fresh(text)
    _check_refusal(caught.value, text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("SELECT * FROM DIGITALTWINS WHERE x IN [null]", id="in"),
        pytest.param("SELECT * FROM DIGITALTWINS WHERE x NIN ['a', null]", id="nin"),
    ],
)
def test_null_in_a_list_is_refused(text: str) -> None:
    with pytest.raises(QueryError) as caught:
        compile_fresh(text)
    assert caught.value.reason == "null-in-list"
    _check_refusal(caught.value, text)


# No literal injection ---------------------------------------------------------------------------

# `{L}` is the literal under test; every other value in a template is fixed and plain.
TEMPLATES = {
    "eq": "SELECT * FROM DIGITALTWINS T WHERE T.name = {L}",
    "literal-left": "SELECT * FROM DIGITALTWINS T WHERE {L} != T.name",
    "lt-projection": "SELECT T.name FROM DIGITALTWINS T WHERE T.name < {L}",
    "ge-not": "SELECT COUNT() FROM DIGITALTWINS WHERE NOT name >= {L}",
    "nested-path": "SELECT TOP(3) * FROM DIGITALTWINS T WHERE T.a.b.[[c d]] <= {L}",
    "in": "SELECT * FROM DIGITALTWINS T WHERE T.name IN ['fixed', {L}, 2]",
    "nin": "SELECT * FROM DIGITALTWINS WHERE name NIN [{L}] OR IS_NULL(name)",
    "startswith": "SELECT * FROM DIGITALTWINS T WHERE STARTSWITH(T.name, {L})",
    "endswith": "SELECT * FROM DIGITALTWINS T WHERE NOT ENDSWITH(T.name, {L})",
    "contains": "SELECT * FROM DIGITALTWINS WHERE CONTAINS(name, {L})",
    "starts_with": "SELECT * FROM DIGITALTWINS WHERE starts_with(name, {L})",
    "array-contains": "SELECT * FROM DIGITALTWINS T WHERE ARRAY_CONTAINS(T.tags, {L})",
    "model": "SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL({L})",
    "model-exact": "SELECT * FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, {L}, exact)",
    "model-not": "SELECT COUNT() FROM DIGITALTWINS T WHERE NOT IS_OF_MODEL({L})",
    "join-anchor": "SELECT T, CT, R FROM DIGITALTWINS T JOIN CT RELATED T.contains R "
    "WHERE T.$dtId = {L} AND R.kind != {L}",
    "join-in-anchor": "SELECT COUNT() FROM DIGITALTWINS T JOIN CT RELATED T.contains "
    "WHERE CT.$dtId IN [{L}] AND IS_OF_MODEL(CT, {L})",
    "match-anchor": "SELECT a, r, b FROM DIGITALTWINS MATCH (a)-[r:has]->(b) "
    "WHERE a.$dtId = {L} AND r.since > {L}",
    "match-hops": "SELECT a, b FROM DIGITALTWINS MATCH (a)<-[:has|in*1..3]-(b) "
    "WHERE b.$dtId IN ['fixed', {L}] AND STARTSWITH(a.name, {L})",
    "relationships": "SELECT * FROM RELATIONSHIPS R WHERE R.$sourceId = {L} "
    "OR R.$relationshipName = {L}",
    "model-property": "SELECT TOP(2) T.name AS n FROM DIGITALTWINS T "
    "WHERE T.$metadata.$model = {L}",
}

NASTY_PIECES = [
    "'", '"', "\\", "$", "$$", "$cypher$", "$cypher_$", "`", "%", "%(params)s", "%s", "\n", "\r",
    "\t", "\x00", "--", "/*", "*/", ";", "}", "{", "]]", "ü", "日本", "\u200b", "\U0001f600",
    " OR 1=1", "') RETURN 1 //", "\\'", "\\u0041",
]  # fmt: skip
literal_values = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(NASTY_PIECES), st.text(max_size=3)), max_size=8).map(
        "".join
    ),
)
PLACEHOLDER = "zz-placeholder-zz"


def quote(value: str) -> str:
    """An ADT string literal for `value`, written independently of the printer."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _is_telling(value: str) -> bool:
    # A short or plain value can occur in generated text by chance ('a', '=', 'MATCH').
    return len(value) >= 6 and any(not ch.isalnum() for ch in value)


def _check_no_literal_in_text(template: str, value: str) -> None:
    compiled = compile_fresh(TEMPLATES[template].replace("{L}", quote(value)))
    assert value in {*compiled.params.values(), *compiled.model_sets.values()}
    reference = compile_fresh(TEMPLATES[template].replace("{L}", quote(PLACEHOLDER)))
    if _is_telling(value):
        for text, reference_text in zip(_outputs(compiled), _outputs(reference), strict=True):
            # A value like '%(para' is part of every statement: that is the template's own text.
            if value not in reference_text:
                assert value not in text
    # Stronger: the generated text does not depend on the value at all.
    others = {*reference.params.values(), *reference.model_sets.values()} - {PLACEHOLDER}
    if value not in others:  # an equal fixed value would share its parameter
        assert _outputs(compiled) == _outputs(reference)


@given(st.sampled_from(sorted(TEMPLATES)), literal_values)
def test_string_literals_reach_the_output_only_as_parameters(template: str, value: str) -> None:
    _check_no_literal_in_text(template, value)


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_a_classic_injection_stays_a_parameter(template: str) -> None:
    _check_no_literal_in_text(template, "x' OR 1=1 --$cypher$")
    _check_no_literal_in_text(template, "a\\'b\") RETURN 1 // %(params)s $$ `q` \n")


# Escaped property names: quoted identifiers, never text.

_BACKTICKED = re.compile(r"`(?:[^`]|``)*`")
_SQL_STRING = re.compile(r"'(?:[^']|'')*'")
_TAG = re.compile(r"ag_catalog\.cypher\('adt', (\$[A-Za-z_]*\$)")
_PLACEHOLDERS = re.compile(r"%%|%\(\w+\)s")


def _needs_quotes(name: str) -> bool:
    """A property name `[[...]]` can spell that Cypher must backtick-quote."""
    return (
        name != ""
        and "]]" not in name
        and not name.endswith("]")
        and not name.startswith("$")  # a leading $ is a system property, checked against a list
        and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name)  # plain names need no quotes
    )


property_names = st.one_of(
    strategies.escaped_texts,
    st.lists(st.sampled_from(NASTY_PIECES) | st.text(max_size=3), min_size=1, max_size=6).map(
        "".join
    ),
).filter(_needs_quotes)
NAME_TEMPLATE = (
    "SELECT T.[[{N}]] AS c, T.p.[[{N}]] AS d FROM DIGITALTWINS T "
    "WHERE T.[[{N}]] = 'x' AND IS_DEFINED(T.p.[[{N}]]) AND STARTSWITH(T.[[{N}]], 'y')"
)


def _dollar_quoted(compiled: CompiledQuery) -> tuple[str, str]:
    """The statement's dollar-quote tag, and the statement with the quoted body replaced."""
    statement = compiled.statement
    match = _TAG.search(statement)
    assert match is not None, statement
    tag = match.group(1)
    body = compiled.cypher.replace("%", "%%")
    opened = match.end()
    # PostgreSQL ends the body at the first later occurrence of the tag: it must be ours.
    assert statement.find(tag, opened) == opened + len(body)
    assert statement[opened : opened + len(body)] == body
    assert statement.count(tag) == 2
    return tag, statement[:opened] + "BODY" + statement[opened + len(body) :]


def _psycopg_safe(sql: str) -> bool:
    """Every % is a doubled %% or a %(name)s placeholder."""
    return "%" not in _PLACEHOLDERS.sub("", sql)


@given(property_names)
def test_escaped_property_names_stay_quoted(name: str) -> None:
    compiled = compile_fresh(NAME_TEMPLATE.replace("{N}", name))
    reference = compile_fresh(NAME_TEMPLATE.replace("{N}", "zz name"))
    # Cypher: the name lives only inside backticks.
    assert _BACKTICKED.sub("`K`", compiled.cypher) == _BACKTICKED.sub("`K`", reference.cypher)
    # The statement: the Cypher sits whole between two dollar-quote tags.
    tag, shell = _dollar_quoted(compiled)
    reference_tag, reference_shell = _dollar_quoted(reference)
    assert shell.replace(tag, "TAG") == reference_shell.replace(reference_tag, "TAG")
    # The paged SQL: the name lives only inside string literals.
    for sql, reference_sql in (
        (compiled.paged.first, reference.paged.first),
        (compiled.paged.next or "", reference.paged.next or ""),
    ):
        assert _SQL_STRING.sub("'S'", sql) == _SQL_STRING.sub("'S'", reference_sql)
    for sql in (compiled.statement, compiled.paged.first, compiled.paged.next or ""):
        assert _psycopg_safe(sql), sql


@pytest.mark.parametrize(
    "name", ["$cypher$", "x$cypher", "$cypher_$ and $cypher$", "a`b", "100%", "%(params)s", "a\nb"]
)
def test_names_that_look_like_the_quote_tag_or_placeholders(name: str) -> None:
    text = f"SELECT T.p.[[{name}]] FROM DIGITALTWINS T WHERE T.p.[[{name}]] = 1"
    compiled = compile_fresh(text)
    tag, _ = _dollar_quoted(compiled)
    assert tag not in compiled.cypher
    assert _psycopg_safe(compiled.statement)
    assert _psycopg_safe(compiled.paged.first)


# Determinism ------------------------------------------------------------------------------------


def _snapshot(text: str) -> dict[str, object]:
    try:
        compiled = compile_fresh(text)
    except QueryError as error:
        return {"error": error.render(), "reason": error.reason}
    return {
        "canonical": compiled.canonical,
        "outputs": _outputs(compiled),
        "params": repr(compiled.params),
        "model_sets": repr(compiled.model_sets),
        "columns": list(compiled.columns),
    }


@given(st.one_of(strategies.queries.map(to_text), strategies.mutated_queries()))
def test_compiling_twice_gives_the_same_output(text: str) -> None:
    assert _snapshot(text) == _snapshot(text)


DOC_QUERIES = Path(__file__).resolve().parents[1].parent / "shared" / "adt-doc-queries.jsonl"
_SNAPSHOT_SCRIPT = """
import json, sys
from tests.test_properties import _snapshot
texts = json.load(sys.stdin)
json.dump([_snapshot(text) for text in texts], sys.stdout)
"""


def test_output_does_not_depend_on_hash_randomization() -> None:
    """Sets and dicts must never decide an order: two interpreters, two hash seeds, same bytes."""
    lines = DOC_QUERIES.read_text("utf-8").splitlines()
    texts = [json.loads(line)["query"] for line in lines if line.strip()]
    texts += [
        "SELECT * FROM DIGITALTWINS WHERE",
        "SELECT * FROM DIGITALTWINS T WHERE T.x = 1 AND",
        "SELECT * FROM DIGITALTWINS T JOIN C RELATED t.contains WHERE T.$dtId = 'a'",
        "SELECT a, b FROM DIGITALTWINS MATCH (a)-[:x|y*..3]-(b)-[r]->(c) WHERE a.$dtId = 'a'",
    ]
    runs = []
    for seed in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-c", _SNAPSHOT_SCRIPT],
            input=json.dumps(texts),
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        runs.append(json.loads(result.stdout))
    assert runs[0] == runs[1]
    assert runs[0] == [_snapshot(text) for text in texts]


# Output well-formedness -------------------------------------------------------------------------


def unbound_variables(cypher: str) -> set[str]:
    """Cypher variables read in WHERE or RETURN that no MATCH of their branch binds."""
    missing: set[str] = set()
    for branch in cypher.split("\nUNION ALL\n"):
        lines = _BACKTICKED.sub("``", branch).split("\n")
        patterns = " ".join(line for line in lines if line.startswith("MATCH "))
        rest = "\n".join(line for line in lines if not line.startswith("MATCH "))
        bound = set(re.findall(r"\((\w+)(?::\w+)?\)", patterns))
        bound |= set(re.findall(r"\[(\w+):\w+\]", patterns))
        used = set(re.findall(r"(?<![\w$`.])([A-Za-z_]\w*)(?=\.|\[')", rest))
        used |= set(re.findall(r"\b(?:properties|keys)\((\w+)\)", rest))
        missing |= used - bound
    return missing


def _walk(expr: ast.Expr | None) -> list[ast.Expr]:
    if expr is None:
        return []
    if isinstance(expr, ast.And | ast.Or):
        return [expr, *_walk(expr.left), *_walk(expr.right)]
    if isinstance(expr, ast.Not):
        return [expr, *_walk(expr.operand)]
    return [expr]


def _string_values(query: ast.Query) -> set[str]:
    """Every string the query carries as a value: literals, patterns, model ids, relationship
    names of JOIN and MATCH (these are compared with `$relationshipName`)."""
    values: set[str] = set()
    for node in _walk(query.where):
        if isinstance(node, ast.Comparison):
            operands = [node.left, node.right]
        elif isinstance(node, ast.InList):
            operands = list(node.values)
        elif isinstance(node, ast.ArrayContains):
            operands = [node.value]
        else:
            operands = []
        values |= {o.value for o in operands if isinstance(o, ast.String)}
        if isinstance(node, ast.StringMatch):
            values.add(node.value)
        if isinstance(node, ast.IsOfModel):
            values.add(node.model)
    source = query.source
    if isinstance(source, ast.FromTwins):
        values |= {join.relationship for join in source.joins}
    if isinstance(source, ast.FromMatch):
        values |= {name for hop in source.hops for name in hop.names}
    return values


@given(strategies.compilable_queries())
def test_valid_queries_compile_to_well_formed_output(query: ast.Query) -> None:
    text = to_text(query)
    compiled = compile_fresh(text)
    assert compiled.canonical == text
    assert unbound_variables(compiled.cypher) == set()
    _dollar_quoted(compiled)
    paged = compiled.paged
    for sql in (compiled.statement, paged.first, paged.next or ""):
        assert _psycopg_safe(sql), sql
    assert (paged.next is None) == (compiled.shape is ShapeKind.COUNT)
    assert _string_values(query) <= {*compiled.params.values(), *compiled.model_sets.values()}


def test_doc_queries_bind_every_variable_they_use() -> None:
    lines = DOC_QUERIES.read_text("utf-8").splitlines()
    entries = [json.loads(line) for line in lines if line.strip()]
    valid = [entry["query"] for entry in entries if entry["valid"]]
    assert {q: unbound_variables(compile_query(q).cypher) for q in valid} == {
        q: set() for q in valid
    }


def test_anonymous_single_node_match_binds_its_variable() -> None:
    compiled = compile_query("SELECT COUNT() FROM DIGITALTWINS MATCH () WHERE $dtId = 'x'")
    assert unbound_variables(compiled.cypher) == set()
