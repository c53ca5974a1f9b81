"""The parsed form of a DTDL interface: what linking and twin validation need, nothing more.

Descriptions, display names and semantic co-types are checked while parsing and then dropped;
the document itself is kept verbatim by `Models` for GET /models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Primitive:
    name: str  # the DTDL term: "double", "dateTime", "point", "uuid", ...


@dataclass(frozen=True, slots=True)
class SchemaRef:
    """A schema named by its @id; resolved against the model's and its bases' schemas."""

    id: str


@dataclass(frozen=True, slots=True)
class ArraySchema:
    element: Schema
    id: str | None = None


@dataclass(frozen=True, slots=True)
class EnumSchema:
    value_schema: str  # "integer" or "string"
    values: tuple[int | str, ...]
    id: str | None = None


@dataclass(frozen=True, slots=True)
class MapSchema:
    value: Schema
    id: str | None = None


@dataclass(frozen=True, slots=True)
class ObjectSchema:
    fields: Mapping[str, Schema]
    id: str | None = None


Schema = Primitive | SchemaRef | ArraySchema | EnumSchema | MapSchema | ObjectSchema
Complex = ArraySchema | MapSchema | ObjectSchema


@dataclass(frozen=True, slots=True)
class Property:
    name: str
    schema: Schema
    version: int  # DTDL version of the declaring document: v2 forbids Arrays in Properties


@dataclass(frozen=True, slots=True)
class Telemetry:
    name: str
    schema: Schema


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    schemas: tuple[Schema, ...]  # request and response payload schemas, for linking


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    interface: str  # always a DTMI: ADT refuses inline interfaces


@dataclass(frozen=True, slots=True)
class Relationship:
    name: str
    target: str | None
    properties: Mapping[str, Property]
    max_multiplicity: int | None


Content = Property | Telemetry | Command | Component | Relationship


@dataclass(frozen=True, slots=True)
class Interface:
    id: str
    version: int
    extends: tuple[str, ...]
    contents: Mapping[str, Content]  # its own, by name; inherited ones live on the bases
    schemas: Mapping[str, Schema]  # every complex schema in the document that has an @id
    element_ids: frozenset[str]  # the @ids of nested elements, unique across a model
    element_count: int  # contents and nested schema elements, for DTDL v3's total limit


def kind(content: Content) -> str:
    """The DTDL type name of a content, for messages."""
    return type(content).__name__
