"""The reference interpreter (tests/reference.py) on hand-made graphs: one rule per test.

The interpreter is the oracle for the conformance and differential tests on AGE, so each
semantic rule it implements is pinned here on data small enough to check by eye.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from adtquery import ast
from tests.reference import (
    NULL_PATHS_UNDEFINED,
    UNDEFINED,
    canonical,
    compare,
    get_path,
    run,
)


def twin(dtid: str, model: str = "dtmi:t:Thing;1", **props: Any) -> dict[str, Any]:
    return {"$dtId": dtid, "$metadata": {"$model": model}, **props}


def rel(rid: str, source: str, target: str, name: str, **props: Any) -> dict[str, Any]:
    return {
        "$relationshipId": rid,
        "$sourceId": source,
        "$targetId": target,
        "$relationshipName": name,
        **props,
    }


def ids(query: str, twins: list[dict], relationships: Sequence[dict] = (), **kw: Any) -> list[str]:
    return sorted(row["$dtId"] for row in run(query, twins, relationships, **kw))


# A twin per kind of value under one name, `x`, and one without it.
MIXED = [
    twin("int", x=1),
    twin("float", x=1.0),
    twin("two", x=2),
    twin("str", x="1"),
    twin("str_b", x="b"),
    twin("str_Z", x="Z"),
    twin("true", x=True),
    twin("false", x=False),
    twin("null", x=None),
    twin("obj", x={"y": 1}),
    twin("arr", x=[1, 2]),
    twin("missing"),
]


def where(condition: str, graph: list[dict] = MIXED) -> list[str]:
    return ids(f"SELECT * FROM DIGITALTWINS T WHERE {condition}", graph)


# Property access --------------------------------------------------------------------------------


def test_missing_key_and_stepping_into_a_non_object_are_undefined() -> None:
    doc = {"a": {"b": None}, "s": "text", "n": 1, "l": [1]}
    assert get_path(doc, ("a", "b")) is None
    assert get_path(doc, ("a", "c")) is UNDEFINED
    assert get_path(doc, ("s", "length")) is UNDEFINED
    assert get_path(doc, ("n", "x")) is UNDEFINED
    assert get_path(doc, ("l", "0")) is UNDEFINED
    assert get_path(doc, ("a", "b", "c")) is UNDEFINED  # into null


# Comparisons ------------------------------------------------------------------------------------


def test_equality_is_numeric_and_never_crosses_types() -> None:
    assert where("T.x = 1") == ["float", "int"]
    assert where("T.x = '1'") == ["str"]
    assert where("T.x = true") == ["true"]


def test_inequality_needs_the_same_type_and_a_defined_value() -> None:
    # != drops other types, missing and null: it is not NOT =.
    assert where("T.x != 1") == ["two"]
    assert where("T.x != 'b'") == ["str", "str_Z"]
    assert where("T.x != false") == ["true"]


def test_not_of_undefined_stays_undefined() -> None:
    assert where("NOT T.x = 1") == ["two"]
    assert where("NOT T.x > 100") == ["float", "int", "two"]


def test_strings_compare_ordinally_and_booleans_false_before_true() -> None:
    assert where("T.x < 'a'") == ["str", "str_Z"]  # 'Z' (90) < 'a' (97) < 'b'
    assert where("T.x > 'a'") == ["str_b"]
    assert where("T.x < true") == ["false"]
    assert where("T.x >= false") == ["false", "true"]


def test_ordering_is_numeric() -> None:
    assert where("T.x >= 1") == ["float", "int", "two"]
    assert where("T.x < 1.5") == ["float", "int"]
    assert where("1.5 < T.x") == ["two"]


def test_null_literal_equals_only_null_and_orders_nothing() -> None:
    assert where("T.x = null") == ["null"]
    assert where("null = T.x") == ["null"]
    assert where("T.x != null") == []
    assert where("NOT T.x != null") == ["null"]
    assert where("NOT T.x = null") == []
    assert where("T.x < null OR T.x >= null") == []


def test_objects_and_arrays_have_deep_equality_and_no_order() -> None:
    # != is the negation of = for them too; only the ordering operators are undefined.
    graph = [
        twin("a", x={"k": [1, {"m": None}]}, y={"k": [1.0, {"m": None}]}),
        twin("b", x=[1, [2]], y=[1, [2.0]]),
        twin("c", x=[1, 2], y=[2, 1]),
        twin("d", x={"k": 1}, y={"k": 1, "j": 2}),
        twin("e", x=[1], y={"0": 1}),
    ]
    assert where("T.x = T.y", graph) == ["a", "b"]
    assert where("T.x < T.y OR T.x >= T.y", graph) == []
    assert where("T.x != T.y", graph) == ["c", "d"]
    assert where("NOT T.x = T.y", graph) == ["c", "d"]  # type mismatch (e) is undefined
    assert compare({"a": 1}, ast.Comparator.LT, {"a": 2}) is UNDEFINED


def test_two_paths_holding_null_are_equal_unless_the_quirk_is_on() -> None:
    graph = [twin("n", x=None, y=None), twin("m", x=None, y=1), twin("o", x=None)]
    quirk = {"quirks": [NULL_PATHS_UNDEFINED]}
    query = "SELECT * FROM DIGITALTWINS T WHERE T.x = T.y"
    assert ids(query, graph) == ["n"]
    assert ids(query, graph, **quirk) == []
    negated = "SELECT * FROM DIGITALTWINS T WHERE NOT T.x != T.y"
    assert ids(negated, graph) == ["n"]
    assert ids(negated, graph, **quirk) == []
    # The literal null is no path: `= null` is unaffected.
    assert ids("SELECT * FROM DIGITALTWINS T WHERE T.x = null", graph, **quirk) == ["m", "n", "o"]


def test_not_equal_is_the_negation_of_equal_for_containers_too() -> None:
    graph = [
        twin("same", x=[1], y=[1.0]),
        twin("diff", x={"a": 1}, y={"a": 2}),
        twin("types", x=[1], y={"a": 1}),
    ]
    assert ids("SELECT * FROM DIGITALTWINS T WHERE T.x = T.y", graph) == ["same"]
    assert ids("SELECT * FROM DIGITALTWINS T WHERE NOT T.x = T.y", graph) == ["diff"]
    assert ids("SELECT * FROM DIGITALTWINS T WHERE T.x != T.y", graph) == ["diff"]
    assert ids("SELECT * FROM DIGITALTWINS T WHERE NOT T.x != T.y", graph) == ["same"]


def test_in_uses_typed_equality() -> None:
    assert where("T.x IN [1, 'b']") == ["float", "int", "str_b"]
    assert where("T.x IN [true, 2.0]") == ["true", "two"]


def test_nin_is_undefined_on_missing_and_null_but_true_on_objects() -> None:
    assert where("T.x NIN [1, 'b', true, false]") == ["arr", "obj", "str", "str_Z", "two"]
    assert where("NOT T.x IN [1]") == where("T.x NIN [1]")


# Logic ------------------------------------------------------------------------------------------


def test_and_or_follow_kleene_logic() -> None:
    # undefined AND false = false, so NOT of it is true; undefined OR true = true.
    assert where("NOT (T.x > 0 AND T.$dtId = 'none')") == sorted(t["$dtId"] for t in MIXED)
    assert where("T.x > 100 OR T.$dtId = 'missing'") == ["missing"]
    # undefined OR false = undefined: NOT keeps it out.
    assert where("NOT (T.x > 100 OR T.$dtId = 'none')") == ["float", "int", "two"]
    # undefined AND true = undefined: only 'str' ('1' > 0 is undefined) is left out.
    everyone_but_str = sorted(t["$dtId"] for t in MIXED if t["$dtId"] != "str")
    assert where("NOT (T.x > 0 AND T.$dtId = 'str')") == everyone_but_str


# Functions --------------------------------------------------------------------------------------


def test_is_defined_counts_null_as_defined() -> None:
    assert "null" in where("IS_DEFINED(T.x)")
    assert where("NOT IS_DEFINED(T.x)") == ["missing"]
    assert where("IS_DEFINED(T.x.y)") == ["obj"]


def test_type_checks_are_never_undefined() -> None:
    assert where("IS_NULL(T.x)") == ["null"]
    assert where("IS_BOOL(T.x)") == ["false", "true"]
    assert where("IS_NUMBER(T.x)") == ["float", "int", "two"]
    assert where("IS_STRING(T.x)") == ["str", "str_Z", "str_b"]
    assert where("IS_OBJECT(T.x)") == ["obj"]
    assert where("NOT IS_NULL(T.x)") == sorted(t["$dtId"] for t in MIXED if t["$dtId"] != "null")


def test_is_primitive_takes_null_but_not_containers() -> None:
    assert where("IS_PRIMITIVE(T.x)") == [
        "false", "float", "int", "null", "str", "str_Z", "str_b", "true", "two"
    ]  # fmt: skip
    assert where("NOT IS_PRIMITIVE(T.x)") == ["arr", "missing", "obj"]


def test_string_functions_are_case_sensitive_and_undefined_off_strings() -> None:
    graph = [twin("a", s="Hello"), twin("b", s="hello"), twin("c", s=5), twin("d")]
    assert where("STARTSWITH(T.s, 'He')", graph) == ["a"]
    assert where("ENDSWITH(T.s, 'llo')", graph) == ["a", "b"]
    assert where("CONTAINS(T.s, 'ell')", graph) == ["a", "b"]
    assert where("NOT CONTAINS(T.s, 'H')", graph) == ["b"]
    assert where("STARTSWITH(T.s, '')", graph) == ["a", "b"]


def test_array_contains_looks_at_top_level_elements_only() -> None:
    graph = [
        twin("a", l=[1, [2, 3], 3, 4]),
        twin("b", l=[2.0, "x", True]),
        twin("c", l="2"),
        twin("d", l=[{"v": 2}]),
        twin("e", l=[None]),
    ]
    assert where("ARRAY_CONTAINS(T.l, 1)", graph) == ["a"]
    assert where("ARRAY_CONTAINS(T.l, 2)", graph) == ["b"]
    assert where("ARRAY_CONTAINS(T.l, 'x')", graph) == ["b"]
    assert where("ARRAY_CONTAINS(T.l, true)", graph) == ["b"]
    assert where("NOT ARRAY_CONTAINS(T.l, 2)", graph) == ["a", "d", "e"]  # c is no array


MODELS = {
    "dtmi:t:Space;1": [],
    "dtmi:t:Room;1": ["dtmi:t:Space;1"],
    "dtmi:t:Room;2": ["dtmi:t:Space;1"],
    "dtmi:t:Meeting;1": ["dtmi:t:Room;2"],
    "dtmi:t:Other;1": [],
}
MODEL_TWINS = [twin(model.split(":")[2], model) for model in MODELS]


def test_is_of_model_follows_versions_and_extends() -> None:
    def of(condition: str) -> list[str]:
        return ids(f"SELECT * FROM DIGITALTWINS T WHERE {condition}", MODEL_TWINS, models=MODELS)

    assert of("IS_OF_MODEL('dtmi:t:Space;1')") == ["Meeting;1", "Room;1", "Room;2", "Space;1"]
    assert of("IS_OF_MODEL(T, 'dtmi:t:Room;1')") == ["Meeting;1", "Room;1", "Room;2"]
    assert of("IS_OF_MODEL('dtmi:t:Room;2')") == ["Meeting;1", "Room;2"]
    assert of("IS_OF_MODEL(T, 'dtmi:t:Room;1', exact)") == ["Room;1"]
    assert of("IS_OF_MODEL('dtmi:t:Room;3')") == []
    assert of("NOT IS_OF_MODEL('dtmi:t:Space;1')") == ["Other;1"]


# FROM -------------------------------------------------------------------------------------------

GRAPH = [twin("a"), twin("b"), twin("c"), twin("d")]
EDGES = [
    rel("ab", "a", "b", "contains", w=1),
    rel("bc", "b", "c", "contains", w=2),
    rel("ac", "a", "c", "feeds"),
    rel("cc", "c", "c", "feeds"),  # a self-loop
    rel("cd", "c", "d", "Contains"),
    rel("ab2", "a", "b", "contains", w=3),  # parallel to ab
    rel("dx", "d", "ghost", "contains"),  # dangling: not part of the graph
]


def pairs(query: str) -> list[tuple[str, ...]]:
    rows = run(query, GRAPH, EDGES)
    return sorted(tuple(row[k]["$dtId"] for k in sorted(row)) for row in rows)


def test_from_relationships_gives_every_relationship_between_twins() -> None:
    rows = run("SELECT * FROM RELATIONSHIPS R WHERE R.$relationshipName = 'contains'", GRAPH, EDGES)
    assert sorted(r["$relationshipId"] for r in rows) == ["ab", "ab2", "bc"]


def test_join_is_an_inner_join_by_exact_name_and_keeps_duplicates() -> None:
    q = "SELECT A, B FROM DIGITALTWINS A JOIN B RELATED A.contains WHERE A.$dtId IN ['a', 'b', 'c']"
    assert pairs(q) == [("a", "b"), ("a", "b"), ("b", "c")]  # Contains (c->d) differs in case


def test_two_joins_may_use_the_same_relationship() -> None:
    q = (
        "SELECT B, C FROM DIGITALTWINS A JOIN B RELATED A.feeds JOIN C RELATED A.feeds "
        "WHERE A.$dtId = 'a'"
    )
    assert pairs(q) == [("c", "c")]
    chain = (
        "SELECT A, B, C FROM DIGITALTWINS A JOIN B RELATED A.feeds R1 JOIN C RELATED B.feeds R2 "
        "WHERE A.$dtId = 'c'"
    )
    assert pairs(chain) == [("c", "c", "c")]  # the self-loop twice: joins are joins


def test_match_directions_and_self_loops() -> None:
    base = "SELECT X, Y FROM DIGITALTWINS MATCH (X){}(Y) WHERE X.$dtId = 'c'"
    assert pairs(base.format("-[:feeds]->")) == [("c", "c")]
    assert pairs(base.format("<-[:feeds]-")) == [("c", "a"), ("c", "c")]
    # Either way: the self-loop once, a->c once.
    assert pairs(base.format("-[:feeds]-")) == [("c", "a"), ("c", "c")]
    assert pairs(base.format("-[]-")) == [("c", "a"), ("c", "b"), ("c", "c"), ("c", "d")]


def test_match_hop_ranges_exclude_the_lower_bound() -> None:
    q = "SELECT X, Y FROM DIGITALTWINS MATCH (X)-[:contains|Contains*{}]->(Y) WHERE X.$dtId = 'a'"
    assert pairs(q.format("1")) == [("a", "b"), ("a", "b")]
    assert pairs(q.format("2")) == [("a", "c"), ("a", "c")]
    assert pairs(q.format("1..3")) == [("a", "c"), ("a", "c"), ("a", "d"), ("a", "d")]
    assert pairs(q.format("..2")) == [("a", "b"), ("a", "b"), ("a", "c"), ("a", "c")]


def test_match_never_uses_a_relationship_twice_but_may_revisit_twins() -> None:
    q = "SELECT X, Y FROM DIGITALTWINS MATCH (X)-[:feeds*{}]->(Y) WHERE X.$dtId = 'c'"
    assert pairs(q.format("1")) == [("c", "c")]
    assert pairs(q.format("2")) == []  # the self-loop cannot be taken twice
    back = "SELECT X, Y FROM DIGITALTWINS MATCH (X)-[:contains]->(Y)<-[:contains]-(Z) " \
        "WHERE X.$dtId = 'a'"  # fmt: skip
    # a -ab-> b <-ab2- a and a -ab2-> b <-ab- a: twin a repeats, relationships do not.
    assert len(run(back, GRAPH, EDGES)) == 2


def test_match_relationship_variables_bind_single_hops() -> None:
    q = "SELECT R FROM DIGITALTWINS MATCH (X)-[R:contains]->(Y) WHERE X.$dtId = 'a'"
    assert sorted(row["R"]["w"] for row in run(q, GRAPH, EDGES)) == [1, 3]


# SELECT -----------------------------------------------------------------------------------------


def test_projections_leave_out_missing_and_null_properties() -> None:
    graph = [twin("a", x=1, y=None, o={"k": None}), twin("b")]
    rows = run("SELECT T.x, T.y AS why, T.o, T.$dtId FROM DIGITALTWINS T", graph)
    # ADT would return "why": null for a; AGE cannot (the documented deviation).
    assert canonical(rows) == canonical([{"x": 1, "o": {"k": None}, "$dtId": "a"}, {"$dtId": "b"}])


def test_whole_collections_documents_count_and_top() -> None:
    graph = [twin("a", n=None), twin("b")]
    assert run("SELECT * FROM DIGITALTWINS", graph) == graph
    assert run("SELECT T AS Twins FROM DIGITALTWINS T", graph) == [{"Twins": t} for t in graph]
    assert run("SELECT COUNT() FROM DIGITALTWINS WHERE IS_DEFINED(n)", graph) == [{"COUNT": 1}]
    assert run("SELECT COUNT() FROM RELATIONSHIPS", graph) == [{"COUNT": 0}]
    assert len(run("SELECT TOP(1) FROM DIGITALTWINS", graph)) == 1
    assert len(run("SELECT TOP(1) FROM DIGITALTWINS", graph, apply_top=False)) == 2


def test_rows_are_copies() -> None:
    graph = [twin("a", o={"k": 1})]
    rows = run("SELECT T.o FROM DIGITALTWINS T", graph)
    rows[0]["o"]["k"] = 2
    assert graph[0]["o"]["k"] == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("SELECT * FROM DIGITALTWINS WHERE x = 2", ["two"]),
        ("SELECT * FROM DIGITALTWINS T WHERE $dtId = 'obj' AND x.y = 1", ["obj"]),
        ("SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:t:Thing;1') AND x = 'Z'", ["str_Z"]),
    ],
)
def test_unqualified_paths_name_the_single_collection(query: str, expected: list[str]) -> None:
    assert ids(query, MIXED) == expected
