"""Twins, components and relationships checked against their models (ValidationFailed).

Messages copy ADT's where the real text is known ("X does not appear on the DTDL for Twin.",
"Expected value of type string for X.", "M or one of its dependencies does not exist.").
ADT treats every property as writable through this API whatever DTDL's `writable` says (that
flag is about devices), so it is not consulted. Telemetry is never stored on a twin here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from adtquery.dtdl.elements import (
    ArraySchema,
    Component,
    Content,
    EnumSchema,
    MapSchema,
    ObjectSchema,
    Primitive,
    Property,
    Relationship,
    Schema,
    SchemaRef,
    kind,
)
from adtquery.dtdl.primitives import fit_test, is_integer
from adtquery.errors import ValidationFailed

TWIN_KEYS = frozenset({"$dtId", "$etag", "$metadata"})


@dataclass(frozen=True, slots=True)
class View:
    """A model with everything it inherits: contents by name, and the named schemas in scope."""

    model_id: str
    contents: Mapping[str, Content]
    scope: Mapping[str, Schema]


# Looks up a model's view; the second argument names the model to blame when one is missing.
Views = Callable[[str, str], View]


def missing_model(model_id: str) -> ValidationFailed:
    return ValidationFailed(
        f"{model_id} or one of its dependencies does not exist.", reason="unknown-model"
    )


def check_twin(twin: Any, views: Views) -> None:
    if not isinstance(twin, dict):
        raise ValidationFailed(
            "Invalid twin specified: a twin is a JSON object.", reason="not-object"
        )
    metadata = twin.get("$metadata")
    model_id = metadata.get("$model") if isinstance(metadata, dict) else None
    if not isinstance(model_id, str):
        raise ValidationFailed(
            "Invalid twin specified: $metadata.$model must name the twin's model.",
            reason="no-model",
        )
    view = views(model_id, model_id)
    for key, value in twin.items():
        if key in TWIN_KEYS:
            continue
        content = view.contents.get(key)
        if isinstance(content, Component):
            check_component(content, value, key, views, model_id)
        else:
            _check_property(content, key, value, key, view, "Twin")
    for name, content in view.contents.items():
        if isinstance(content, Component) and name not in twin:
            raise ValidationFailed(
                f"Component {name} is missing: {model_id} declares it, and a twin must initialize "
                f'every component, at least as {{"$metadata": {{}}}}.',
                reason="missing-component",
            )


def check_component(
    component: Component, value: Any, path: str, views: Views, twin_model: str
) -> None:
    """A component's object: its own $metadata, and properties of the component's interface."""
    if not isinstance(value, dict):
        raise ValidationFailed(
            f"Expected value of type Component (an object) for {path}.", reason="wrong-type"
        )
    if not isinstance(value.get("$metadata", {}), dict):
        raise ValidationFailed(
            f"Expected value of type object for {path}.$metadata.", reason="wrong-type"
        )
    view = views(component.interface, twin_model)
    for key, item in value.items():
        if key != "$metadata":
            _check_property(
                view.contents.get(key), key, item, f"{path}.{key}", view, f"Component {path}"
            )


def check_relationship(
    relationship: Relationship, properties: Any, scope: Mapping[str, Schema]
) -> None:
    if not isinstance(properties, dict):
        raise ValidationFailed(
            "Invalid relationship specified: properties are a JSON object.", reason="not-object"
        )
    for key, value in properties.items():
        if key.startswith("$"):  # $relationshipId, $targetId, $etag...: DTDL names never start so
            continue
        prop = relationship.properties.get(key)
        if prop is None:
            raise ValidationFailed(
                f"{key} does not appear on the DTDL for Relationship {relationship.name}.",
                reason="unknown-property",
            )
        check_value(prop.schema, value, key, scope)


def _check_property(
    content: Content | None, key: str, value: Any, path: str, view: View, owner: str
) -> None:
    if content is None:
        raise ValidationFailed(
            f"{key} does not appear on the DTDL for {owner}.", reason="unknown-property"
        )
    if not isinstance(content, Property):
        raise ValidationFailed(
            f"{path} is a {kind(content)} of {view.model_id}, not a Property; only Properties "
            "(and Components, on a twin) can be set.",
            reason="not-a-property",
        )
    check_value(content.schema, value, path, view.scope)


def check_value(schema: Schema, value: Any, path: str, scope: Mapping[str, Schema]) -> None:
    """A JSON value against a schema; recursion is bounded by DTDL's schema depth limit."""
    if isinstance(schema, SchemaRef):
        schema = scope[schema.id]  # link.py made sure it resolves
    if isinstance(schema, Primitive):
        if not fit_test(schema.name)(value):
            raise _wrong_type(schema.name, path)
    elif isinstance(schema, EnumSchema):
        integer = schema.value_schema == "integer"
        if not (is_integer(value) if integer else isinstance(value, str)):
            raise _wrong_type(schema.value_schema, path)
        if value not in schema.values:
            allowed = ", ".join(json.dumps(v) for v in schema.values)
            raise ValidationFailed(
                f"Expected one of the enum values {allowed} for {path}.", reason="not-in-enum"
            )
    elif isinstance(schema, ObjectSchema):
        if not isinstance(value, dict):
            raise _wrong_type("Object", path)
        for key, item in value.items():
            field = schema.fields.get(key)
            if field is None:
                raise ValidationFailed(
                    f"{key} does not appear on the Object schema of {path}.", reason="unknown-field"
                )
            check_value(field, item, f"{path}.{key}", scope)
    elif isinstance(schema, MapSchema):
        if not isinstance(value, dict):
            raise _wrong_type("Map", path)
        for key, item in value.items():
            check_value(schema.value, item, f"{path}.{key}", scope)
    elif isinstance(schema, ArraySchema):
        if not isinstance(value, list):
            raise _wrong_type("Array", path)
        for index, item in enumerate(value):
            check_value(schema.element, item, f"{path}[{index}]", scope)


def _wrong_type(type_name: str, path: str) -> ValidationFailed:
    return ValidationFailed(f"Expected value of type {type_name} for {path}.", reason="wrong-type")
