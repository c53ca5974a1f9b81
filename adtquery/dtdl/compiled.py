"""Validation compiled per model: a yes-or-no test of a whole twin or relationship.

adtquery.dtdl.instances walks the schema for every value and builds the path of each one for the
message it may need; a bulk import checks a million twins against a dozen models, nearly all of
them valid. So a model's checks are compiled once into closures that answer only "valid?", and
a document they refuse goes through instances for the verdict and its exact message. A test
must never pass what instances refuses; it may refuse more (instances then has the last word).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

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
)
from adtquery.dtdl.instances import TWIN_KEYS, View, Views
from adtquery.dtdl.primitives import fit_test, is_integer
from adtquery.errors import ValidationFailed

Test = Callable[[Any], bool]


def value_test(schema: Schema, scope: Mapping[str, Schema]) -> Test:
    """Whether a JSON value fits `schema` (as instances.check_value judges it)."""
    if isinstance(schema, SchemaRef):
        return value_test(scope[schema.id], scope)
    if isinstance(schema, Primitive):
        return fit_test(schema.name)
    if isinstance(schema, EnumSchema):
        return _enum_test(schema)
    if isinstance(schema, ObjectSchema):
        # An Object's fields are optional and each must fit, as a twin's members.
        return _members_test({key: value_test(f, scope) for key, f in schema.fields.items()})
    if isinstance(schema, MapSchema):
        item = value_test(schema.value, scope)
        return lambda value: isinstance(value, dict) and all(map(item, value.values()))
    assert isinstance(schema, ArraySchema)
    element = value_test(schema.element, scope)
    return lambda value: isinstance(value, list) and all(map(element, value))


def twin_test(view: View, views: Views) -> Test:
    """Whether a twin of `view`'s model is valid (as instances.check_twin judges it)."""
    tests: dict[str, Test] = dict.fromkeys(TWIN_KEYS, _anything)
    for name, content in view.contents.items():
        if isinstance(content, Property):
            tests[name] = value_test(content.schema, view.scope)
        elif isinstance(content, Component):
            tests[name] = _component_test(content, views, view.model_id)
    components = frozenset(n for n, c in view.contents.items() if isinstance(c, Component))
    members = _members_test(tests)
    return lambda twin: members(twin) and components <= twin.keys()


def relationship_test(relationship: Relationship, scope: Mapping[str, Schema]) -> Test:
    """Whether a relationship's body is valid (as instances.check_relationship judges it): keys
    starting with `$` are the service's."""
    tests = {name: value_test(p.schema, scope) for name, p in relationship.properties.items()}

    def test(body: Any) -> bool:
        if not isinstance(body, dict):
            return False
        for key, value in body.items():
            if key[:1] == "$":
                continue
            check = tests.get(key)
            if check is None or not check(value):
                return False
        return True

    return test


def _component_test(component: Component, views: Views, twin_model: str) -> Test:
    try:
        view = views(component.interface, twin_model)
    except ValidationFailed:
        return _nothing  # instances names the missing model
    tests: dict[str, Test] = {"$metadata": _is_object}
    for name, content in view.contents.items():
        if isinstance(content, Property):
            tests[name] = value_test(content.schema, view.scope)
    return _members_test(tests)


def _members_test(tests: Mapping[str, Test]) -> Test:
    """An object each of whose members has a test, and passes it."""

    def test(value: Any) -> bool:
        if not isinstance(value, dict):
            return False
        for key, item in value.items():
            check = tests.get(key)
            if check is None or not check(item):
                return False
        return True

    return test


def _enum_test(schema: EnumSchema) -> Test:
    values = frozenset(schema.values)
    if schema.value_schema == "integer":
        return lambda value: is_integer(value) and value in values
    return lambda value: isinstance(value, str) and value in values


def _anything(value: Any) -> bool:
    return True


def _nothing(value: Any) -> bool:
    return False


def _is_object(value: Any) -> bool:
    return isinstance(value, dict)
