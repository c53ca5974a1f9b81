"""The compiled yes-or-no tests (adtquery.dtdl.compiled) agree with instances' verdicts.

Models.validate_twin trusts a compiled test's yes without asking instances, so a test that
accepts what instances refuses would let an invalid twin in. Schemas and documents are drawn
together: documents follow their schema's shape most of the time, with wrong leaves, unknown
keys and arbitrary JSON mixed in, so both verdicts are exercised at every depth.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from adtquery.dtdl import compiled, instances
from adtquery.dtdl.elements import (
    ArraySchema,
    Component,
    EnumSchema,
    MapSchema,
    ObjectSchema,
    Primitive,
    Property,
    Relationship,
    Schema,
    SchemaRef,
    Telemetry,
)
from adtquery.errors import ValidationFailed

NAMES = st.sampled_from(["a", "b", "c", "$x"])
PRIMITIVES = st.sampled_from(["boolean", "integer", "byte", "string", "double", "date", "point"])
LEAVES = st.sampled_from(
    [None, True, 0, 200, 2**40, 1.5, "", "2026-12-06", "x", [], {}, [1.0, 2.0], {"type": "Point"}]
) | st.just({"type": "Point", "coordinates": [1.0, 2.0]})
JSON = st.recursive(
    LEAVES, lambda inner: st.lists(inner, max_size=2) | st.dictionaries(NAMES, inner, max_size=2)
)
# Named schemas a SchemaRef may point at; refs only ever point here, so there are no cycles.
SCOPE: dict[str, Schema] = {
    "dtmi:s:Level;1": EnumSchema("integer", (1, 2, 200)),
    "dtmi:s:Spot;1": ObjectSchema({"a": Primitive("point"), "b": Primitive("string")}),
}


LEAF_SCHEMAS = (
    st.builds(Primitive, PRIMITIVES)
    | st.builds(SchemaRef, st.sampled_from(sorted(SCOPE)))
    | st.builds(EnumSchema, st.just("string"), st.just(("on", "off")))
    | st.builds(EnumSchema, st.just("integer"), st.just((0, 200)))
)
# Leaves on their own as often as trees: st.recursive alone seldom draws a bare leaf.
SCHEMAS = LEAF_SCHEMAS | st.recursive(
    LEAF_SCHEMAS,
    lambda inner: (
        st.builds(ObjectSchema, st.dictionaries(NAMES, inner, max_size=3))
        | st.builds(MapSchema, inner)
        | st.builds(ArraySchema, inner)
    ),
    max_leaves=6,
)


def _shaped(draw: st.DrawFn, schema: Schema) -> Any:
    """A value following `schema`'s structure, with wrong values anywhere now and then."""
    if draw(st.integers(0, 5)) == 0:
        return draw(JSON)
    if isinstance(schema, SchemaRef):
        return _shaped(draw, SCOPE[schema.id])
    if isinstance(schema, EnumSchema):
        return draw(st.sampled_from(schema.values) | LEAVES)
    if isinstance(schema, ObjectSchema):
        keys = draw(st.lists(st.sampled_from([*schema.fields, "z"]), unique=True, max_size=3))
        return {k: _shaped(draw, schema.fields[k]) if k in schema.fields else 1 for k in keys}
    if isinstance(schema, MapSchema):
        return {k: _shaped(draw, schema.value) for k in draw(st.sets(NAMES, max_size=3))}
    if isinstance(schema, ArraySchema):
        return [_shaped(draw, schema.element) for _ in range(draw(st.integers(0, 3)))]
    return draw(LEAVES)


def _verdict(check: Callable[[], None]) -> bool:
    try:
        check()
    except ValidationFailed:
        return False
    return True


@st.composite
def schema_and_value(draw: st.DrawFn) -> tuple[Schema, Any]:
    schema = draw(SCHEMAS)
    return schema, _shaped(draw, schema)


@settings(max_examples=400)
@given(schema_and_value())
def test_a_value_test_gives_check_value_s_verdict(case: tuple[Schema, Any]) -> None:
    schema, value = case
    expected = _verdict(lambda: instances.check_value(schema, value, "p", SCOPE))
    assert compiled.value_test(schema, SCOPE)(value) is expected


TELEMETRY = Telemetry("t", Primitive("double"))
COMPONENT = instances.View(
    "dtmi:s:Part;1", {"a": Property("a", Primitive("integer"), 3), "t": TELEMETRY}, SCOPE
)

# The shape of a component's (or a non-property's) value: the component's property, a telemetry.
PART = ObjectSchema({"a": Primitive("integer"), "t": Primitive("double")})


@st.composite
def twin_view_and_twin(draw: st.DrawFn) -> tuple[instances.View, Any]:
    properties = draw(st.dictionaries(st.sampled_from(["a", "b", "c"]), SCHEMAS, max_size=3))
    contents: dict[str, Any] = {n: Property(n, s, 3) for n, s in properties.items()}
    contents |= draw(st.sampled_from([{}, {"part": Component("part", COMPONENT.model_id)}]))
    contents |= draw(st.sampled_from([{}, {"gone": Component("gone", "dtmi:s:Gone;1")}]))
    contents |= draw(st.sampled_from([{}, {"t": TELEMETRY}]))
    view = instances.View("dtmi:s:Thing;1", contents, SCOPE)
    twin: dict[str, Any] = {"$dtId": "t1", "$metadata": {"$model": view.model_id}}
    for name in draw(st.lists(st.sampled_from([*contents, "z"]), unique=True, max_size=4)):
        content = contents.get(name)
        twin[name] = _shaped(draw, content.schema if isinstance(content, Property) else PART)
    part = twin.get("part", {})
    if draw(st.booleans()) and "part" in contents and isinstance(part, dict):
        twin["part"] = {"$metadata": draw(st.sampled_from([{}, 1]))} | part
    return view, twin


@settings(max_examples=400)
@given(twin_view_and_twin())
def test_a_twin_test_gives_check_twin_s_verdict(case: tuple[instances.View, Any]) -> None:
    view, twin = case
    known = {view.model_id: view, COMPONENT.model_id: COMPONENT}

    def views(model_id: str, blame: str) -> instances.View:
        if model_id not in known:
            raise instances.missing_model(blame)
        return known[model_id]

    expected = _verdict(lambda: instances.check_twin(twin, views))
    assert compiled.twin_test(view, views)(twin) is expected


@settings(max_examples=200)
@given(st.dictionaries(st.sampled_from(["a", "b"]), SCHEMAS, max_size=2), st.data())
def test_a_relationship_test_gives_check_relationship_s_verdict(
    schemas: dict[str, Schema], data: st.DataObject
) -> None:
    relationship = Relationship("r", None, {n: Property(n, s, 3) for n, s in schemas.items()}, None)
    body = data.draw(st.just(1) | st.builds(dict), label="start")
    if isinstance(body, dict):
        for name in data.draw(st.lists(st.sampled_from(["a", "b", "$targetId"]), unique=True)):
            schema = schemas.get(name, Primitive("string"))
            body[name] = _shaped(data.draw, schema)
    expected = _verdict(lambda: instances.check_relationship(relationship, body, SCOPE))
    assert compiled.relationship_test(relationship, SCOPE)(body) is expected
