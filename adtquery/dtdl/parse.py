"""One uploaded document -> Interface: every DTDL rule that a single document can show.

Rules that need other models (references, inheritance, schema references, depth limits) are
checked in link.py. Each refusal names the model and the element, and says what would be right.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from adtquery.dtdl import syntax
from adtquery.dtdl.checks import ElementParser
from adtquery.dtdl.elements import (
    ArraySchema,
    Command,
    Component,
    Content,
    EnumSchema,
    Interface,
    MapSchema,
    ObjectSchema,
    Primitive,
    Property,
    Relationship,
    Schema,
    SchemaRef,
    Telemetry,
)
from adtquery.dtdl.errors import DtdlParserError
from adtquery.dtdl.primitives import TERMS, V3, is_integer
from adtquery.dtdl.syntax import many, single

_SCHEMA_DTMI = re.compile(r"dtmi:(?:dtdl:instance:Schema|standard:schema:geospatial):(\w+);(\d+)")
_COMMAND_TYPES = {"synchronous", "asynchronous"}


def parse_document(document: Any, position: int | None = None) -> Interface:
    """Parse one top-level element; `position` is its index in the uploaded array."""
    where = "a stored model" if position is None else f"item {position} of the request"
    if not isinstance(document, dict):
        raise DtdlParserError(
            f"{where} is not a JSON object; each model must be a DTDL Interface object.",
            reason="dtdl-not-object",
        )
    model_id = document.get("@id")
    if model_id is None:
        raise DtdlParserError(
            f"{where} has no @id; an Interface needs a DTMI such as dtmi:com:example:Room;1.",
            reason="dtdl-missing-id",
        )
    if not syntax.is_dtmi(model_id):
        raise DtdlParserError(
            f"{where} has @id {model_id!r}, which is not a valid DTMI (such as "
            "dtmi:com:example:Room;1).",
            reason="dtdl-invalid-id",
        )
    version = _context_version(model_id, document.get("@context"))
    return _Parser(model_id, version).interface(document)


def _context_version(model_id: str, context: Any) -> int:
    """The DTDL version a top-level @context selects; extension contexts ride along unchecked."""

    def fail(message: str, reason: str = "dtdl-invalid-context") -> NoReturn:
        raise DtdlParserError(f"{model_id}: {message}", reason=reason)

    if context is None:
        fail('has no @context; use "dtmi:dtdl:context;3" (or ;2).', "dtdl-missing-context")
    entries = [context] if isinstance(context, str) else context
    if not isinstance(entries, list) or not entries or not all(isinstance(e, str) for e in entries):
        fail(f"has @context {context!r}; it must be a string or an array of strings.")
    version = None
    extension = None
    for entry in entries:
        dtdl = syntax.DTDL_CONTEXT.fullmatch(entry)
        if dtdl:
            if extension is not None:
                fail(f"@context lists {extension} before the DTDL context, which must come first.")
            version = int(dtdl.group(1))  # JSON-LD: the last one wins
        elif not syntax.is_dtmi(entry) or ";" not in entry:
            fail(
                f"@context entry {entry!r} is neither the DTDL context nor an extension "
                "context (a DTMI with a version).",
                "dtdl-unknown-context",
            )
        elif not entry.startswith("dtmi:iotcentral:context;"):  # v2 lets this one go first
            extension = extension or entry
    if version is None:
        fail(
            f"@context {context!r} does not include the DTDL context "
            '"dtmi:dtdl:context;3" (or ;2).',
            "dtdl-unknown-context",
        )
    if version not in syntax.LIMITS:
        fail(
            f"@context selects DTDL version {version}, which this service does not support; "
            "use dtmi:dtdl:context;2 or dtmi:dtdl:context;3.",
            "dtdl-unsupported-version",
        )
    return version


class _Parser(ElementParser):
    """Interface, contents and schemas: the element kinds of one document."""

    # -- the interface -------------------------------------------------------------------------

    def interface(self, doc: dict[str, Any]) -> Interface:
        where = "the Interface"
        if not syntax.is_dtmi(self.model_id, self.version):
            self.fail(
                where,
                "needs an @id with a whole version number in DTDL v2, like ;1.",
                "dtdl-invalid-id",
            )
        if len(self.model_id) > syntax.INTERFACE_ID_LENGTH:
            self.fail(
                where,
                f"has an @id longer than {syntax.INTERFACE_ID_LENGTH} characters.",
                "dtdl-limit",
            )
        if self.model_id.startswith(syntax.RESERVED_PREFIXES):
            self.fail(
                where,
                "has an @id in a namespace DTDL reserves (dtmi:dtdl:, dtmi:standard:).",
                "dtdl-invalid-id",
            )
        _, cotyped = self.types(doc, ("Interface",), where)
        self.members(doc, "Interface", cotyped, where, top=True)
        self.descriptions(doc, where)
        extends = self.extends(doc.get("extends"))
        contents: dict[str, Content] = {}
        for index, raw in enumerate(many(doc.get("contents"))):
            content = self.content(raw, index)
            if content.name in contents:
                self.fail(where, f"has two contents named {content.name!r}.", "dtdl-duplicate-name")
            contents[content.name] = content
        for index, raw in enumerate(many(doc.get("schemas"))):
            spot = f"schemas[{index}]"
            if not isinstance(raw, dict) or "@id" not in raw:
                self.fail(
                    spot,
                    "must define an Array, Enum, Map or Object with an @id.",
                    "dtdl-invalid-schema",
                )
            self.complex(raw, spot)
        return Interface(
            self.model_id,
            self.version,
            extends,
            contents,
            self.schemas,
            frozenset(self.ids),
            self.count,
        )

    def extends(self, value: Any) -> tuple[str, ...]:
        bases: list[str] = []
        for item in many(value):
            if isinstance(item, dict):
                self.fail(
                    "extends",
                    "defines an Interface inline; ADT needs every Interface uploaded as a model of "
                    "its own and referenced by its @id.",
                    "dtdl-inline-interface",
                )
            if not syntax.is_dtmi(item, self.version):
                self.fail("extends", f"has {item!r}, which is not a DTMI.", "dtdl-invalid-id")
            if item not in bases:
                bases.append(item)
        limit = self.limits.direct_extends
        if limit is not None and len(bases) > limit:
            self.fail(
                "extends", f"names {len(bases)} interfaces; DTDL v2 allows {limit}.", "dtdl-limit"
            )
        return tuple(bases)

    # -- contents ------------------------------------------------------------------------------

    def content(self, raw: Any, index: int) -> Content:
        where = f"contents[{index}]"
        if not isinstance(raw, dict):
            self.fail(
                where,
                "must be an object: a Property, Telemetry, Command, Relationship or Component.",
                "dtdl-invalid-content",
            )
        kind, cotyped = self.types(raw, syntax.CONTENT_KINDS, where)
        name = self.name(raw, f"{where} ({kind})")
        where = f"{kind} {name!r}"
        self.element(raw, kind, cotyped, where)
        if kind == "Property":
            return self.property(raw, name, where)
        if kind == "Telemetry":
            return Telemetry(name, self.schema(self.required(raw, "schema", where), where))
        if kind == "Command":
            return self.command(raw, name, where)
        if kind == "Relationship":
            return self.relationship(raw, name, where)
        return self.component(raw, name, where)

    def property(self, raw: dict[str, Any], name: str, where: str) -> Property:
        self.scalar(raw, "writable", where, bool)
        return Property(name, self.schema(self.required(raw, "schema", where), where), self.version)

    def command(self, raw: dict[str, Any], name: str, where: str) -> Command:
        command_type = single(raw.get("commandType"))
        if command_type is not None and not (
            isinstance(command_type, str) and command_type in _COMMAND_TYPES
        ):
            self.fail(where, f"has commandType {command_type!r}; use synchronous or asynchronous.")
        schemas = []
        for key in ("request", "response"):
            if key in raw:
                spot = f"{where} {key}"
                payload, _ = self.part(raw[key], syntax.PAYLOAD_KINDS, spot)
                schemas.append(self.schema(self.required(payload, "schema", spot), spot))
        return Command(name, tuple(schemas))

    def relationship(self, raw: dict[str, Any], name: str, where: str) -> Relationship:
        target = single(raw.get("target"))
        if target is not None and not syntax.is_dtmi(target, self.version):
            self.fail(where, f"has target {target!r}, which is not a DTMI.", "dtdl-invalid-id")
        most = self.scalar(raw, "maxMultiplicity", where, int)
        if most is not None and not 1 <= most <= (self.limits.max_multiplicity or most):
            top = self.limits.max_multiplicity
            self.fail(
                where,
                f"has maxMultiplicity {most}; it must be at least 1"
                + (f" and at most {top}." if top else "."),
            )
        least = self.scalar(raw, "minMultiplicity", where, int)
        if least not in (None, 0):
            self.fail(where, f"has minMultiplicity {least}; DTDL requires 0.")
        self.scalar(raw, "writable", where, bool)
        properties: dict[str, Property] = {}
        for index, item in enumerate(many(raw.get("properties"))):
            spot = f"{where} properties[{index}]"
            if not isinstance(item, dict):
                self.fail(spot, "must be a Property object.", "dtdl-invalid-content")
            _, cotyped = self.types(item, ("Property",), spot)
            prop = self.name(item, spot)
            spot = f"{where} property {prop!r}"
            self.element(item, "Property", cotyped, spot)
            if prop in properties:
                self.fail(where, f"has two properties named {prop!r}.", "dtdl-duplicate-name")
            properties[prop] = self.property(item, prop, spot)
        limit = self.limits.relationship_properties
        if limit is not None and len(properties) > limit:
            self.fail(
                where, f"has {len(properties)} properties; DTDL v2 allows {limit}.", "dtdl-limit"
            )
        return Relationship(name, target, properties, most)

    def component(self, raw: dict[str, Any], name: str, where: str) -> Component:
        schema = single(self.required(raw, "schema", where))
        if isinstance(schema, dict):
            self.fail(
                where,
                "defines its Interface inline; ADT needs it uploaded as a model of its own and "
                "referenced by its @id.",
                "dtdl-inline-interface",
            )
        if not syntax.is_dtmi(schema, self.version):
            self.fail(
                where,
                f"has schema {schema!r}; a Component's schema is the DTMI of an Interface.",
                "dtdl-invalid-schema",
            )
        return Component(name, schema)

    # -- schemas -------------------------------------------------------------------------------

    def schema(self, value: Any, where: str, depth: int = 0) -> Schema:
        """A schema member's value; `depth` counts the complex schemas it is nested in."""
        value = single(value)
        if isinstance(value, dict):
            return self.complex(value, where, depth)
        if not isinstance(value, str):
            self.fail(
                where,
                f"has schema {value!r}; a schema is a string or an object.",
                "dtdl-invalid-schema",
            )
        term = self.term(value)
        if term is not None:
            return Primitive(term)
        if value in V3:
            self.fail(
                where,
                f"uses schema {value!r}, which DTDL v2 lacks; use @context dtmi:dtdl:context;3.",
                "dtdl-invalid-schema",
            )
        if syntax.is_dtmi(value, self.version):
            return SchemaRef(value)
        self.fail(
            where,
            f"has schema {value!r}, which is neither a DTDL schema nor the DTMI of one.",
            "dtdl-invalid-schema",
        )

    def term(self, value: Any) -> str | None:
        """The primitive or geospatial term `value` names, in its short or its DTMI form."""
        if not isinstance(value, str):
            return None
        match = _SCHEMA_DTMI.fullmatch(value)
        if match and int(match.group(2)) == self.version:
            value = match.group(1)
        return value if value in TERMS[self.version] else None

    def complex(self, raw: dict[str, Any], where: str, depth: int = 0) -> Schema:
        if depth > syntax.SCHEMA_HOPS:  # refused here already, so recursion stays shallow
            self.fail(
                where, f"nests schemas more than {syntax.SCHEMA_HOPS} levels deep.", "dtdl-limit"
            )
        kind, cotyped = self.types(raw, syntax.SCHEMA_KINDS, where)
        schema_id = self.element(raw, kind, cotyped, where)
        schema: Schema
        if kind == "Array":
            element = self.required(raw, "elementSchema", where)
            schema = ArraySchema(
                self.schema(element, f"{where} elementSchema", depth + 1), schema_id
            )
        elif kind == "Map":
            key, _ = self.part(self.required(raw, "mapKey", where), ("MapKey",), f"{where} mapKey")
            if self.term(single(self.required(key, "schema", where))) != "string":
                self.fail(f"{where} mapKey", "must have schema string.", "dtdl-invalid-schema")
            value, _ = self.part(
                self.required(raw, "mapValue", where), ("MapValue",), f"{where} mapValue"
            )
            value_schema = self.required(value, "schema", where)
            schema = MapSchema(self.schema(value_schema, f"{where} mapValue", depth + 1), schema_id)
        elif kind == "Enum":
            schema = self.enum(raw, where, schema_id)
        else:
            schema = self.object(raw, where, schema_id, depth)
        if schema_id is not None:
            self.schemas[schema_id] = schema
        return schema

    def enum(self, raw: dict[str, Any], where: str, schema_id: str | None) -> EnumSchema:
        value_schema = self.term(single(self.required(raw, "valueSchema", where)))
        if value_schema not in ("integer", "string"):
            self.fail(
                where, "has a valueSchema other than integer or string.", "dtdl-invalid-schema"
            )
        names: set[str] = set()
        values: list[int | str] = []
        for index, item in enumerate(many(self.required(raw, "enumValues", where))):
            spot = f"{where} enumValues[{index}]"
            item, name = self.part(item, ("EnumValue",), spot)
            value = single(self.required(item, "enumValue", spot))
            fits = is_integer(value) if value_schema == "integer" else isinstance(value, str)
            if not fits:
                self.fail(
                    spot,
                    f"has enumValue {value!r}, which is not of the valueSchema {value_schema}.",
                    "dtdl-invalid-schema",
                )
            if name in names or value in values:
                self.fail(
                    spot,
                    f"repeats the name or value of another enum value ({value!r}).",
                    "dtdl-duplicate-name",
                )
            names.add(name)
            values.append(value)
        self.count_within(len(values), self.limits.enum_values, where, "enum values")
        return EnumSchema(value_schema, tuple(values), schema_id)

    def object(
        self, raw: dict[str, Any], where: str, schema_id: str | None, depth: int
    ) -> ObjectSchema:
        fields: dict[str, Schema] = {}
        for index, item in enumerate(many(self.required(raw, "fields", where))):
            item, name = self.part(item, ("Field",), f"{where} fields[{index}]")
            if name in fields:
                self.fail(where, f"has two fields named {name!r}.", "dtdl-duplicate-name")
            field = self.required(item, "schema", where)
            fields[name] = self.schema(field, f"{where} field {name!r}", depth + 1)
        self.count_within(len(fields), self.limits.fields, where, "fields")
        return ObjectSchema(fields, schema_id)
