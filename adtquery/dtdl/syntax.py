"""DTDL's vocabulary and per-version limits: identifiers, names, members, classes.

Sources: the DTDL v2 and v3 language specifications (Azure/opendigitaltwins-dtdl,
DTDL.Specification.v2.md and .v3.md) and ADT's own restrictions (concepts-models).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# The user-DTMI syntax of DTDL v3; v2 also requires a plain version (";1", not ";1.2" or none).
_DTMI = re.compile(
    r"dtmi:[A-Za-z](?:[A-Za-z0-9_]*[A-Za-z0-9])?(?::[A-Za-z](?:[A-Za-z0-9_]*[A-Za-z0-9])?)*"
    r"(?:;[1-9][0-9]{0,8}(?:\.[1-9][0-9]{0,5})?)?"
)
_V2_VERSION = re.compile(r".*;[1-9][0-9]{0,8}")
NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9_]*[A-Za-z0-9])?")
LANGUAGE = re.compile(r"[a-z]{2,4}(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|[0-9]{3}))?")
DTDL_CONTEXT = re.compile(r"dtmi:dtdl:context;([0-9]+)")
RESERVED_PREFIXES = ("dtmi:dtdl:", "dtmi:standard:")
INTERFACE_ID_LENGTH = 128
ID_LENGTH = 2048
TEXT_LENGTH = 512  # description and comment, in both versions


def is_dtmi(value: Any, version: int = 3) -> bool:
    """Whether `value` is a DTMI that a document of this DTDL version may use (fullmatch, so no
    trailing newline slips through as `$` would let it)."""
    if not isinstance(value, str) or not _DTMI.fullmatch(value):
        return False
    return version != 2 or bool(_V2_VERSION.fullmatch(value))


CONTENT_KINDS = ("Property", "Telemetry", "Command", "Relationship", "Component")
SCHEMA_KINDS = ("Array", "Enum", "Map", "Object")
PAYLOAD_KINDS = ("CommandPayload", "CommandRequest", "CommandResponse")
CLASSES = frozenset(
    {"Interface", *CONTENT_KINDS, *SCHEMA_KINDS, *PAYLOAD_KINDS}
    | {"EnumValue", "Field", "MapKey", "MapValue"}
)
_CLASS_DTMI = re.compile(r"dtmi:dtdl:class:([A-Za-z]+);([0-9]+)")

_COMMON = frozenset({"@context", "@id", "@type", "comment", "description", "displayName"})
_NAMED = _COMMON | {"name", "schema"}
MEMBERS: dict[str, frozenset[str]] = {
    "Interface": _COMMON | {"contents", "extends", "schemas"},
    "Property": _NAMED | {"writable"},
    "Telemetry": _NAMED,
    "Command": _COMMON | {"name", "commandType", "request", "response"},
    "Relationship": _COMMON
    | {"name", "maxMultiplicity", "minMultiplicity", "properties", "target", "writable"},
    "Component": _NAMED,
    "Array": _COMMON | {"elementSchema"},
    "Enum": _COMMON | {"enumValues", "valueSchema"},
    "Map": _COMMON | {"mapKey", "mapValue"},
    "Object": _COMMON | {"fields"},
    "EnumValue": _COMMON | {"name", "enumValue"},
    "Field": _NAMED,
    "MapKey": _NAMED,
    "MapValue": _NAMED,
    "CommandPayload": _NAMED,
}
for _kind in PAYLOAD_KINDS:
    MEMBERS[_kind] = MEMBERS["CommandPayload"]


def dtdl_class(type_name: str, version: int) -> str | None:
    """The DTDL class a @type entry names ("Property" or its DTMI), None for a co-type."""
    if type_name in CLASSES:
        return type_name
    match = _CLASS_DTMI.fullmatch(type_name)
    if match and match.group(1) in CLASSES and int(match.group(2)) == version:
        return match.group(1)
    return None


@dataclass(frozen=True, slots=True)
class Limits:
    """What one DTDL version allows; None means no limit of that kind."""

    name_length: int
    display_name_length: int
    direct_extends: int | None
    contents: int | None  # per interface, inherited contents included
    relationship_properties: int | None
    enum_values: tuple[int, int | None]  # (minimum, maximum)
    fields: tuple[int, int | None]
    max_multiplicity: int | None
    extends_total: int | None  # values across the whole extends hierarchy
    elements_total: int | None  # elements across the whole contents hierarchy
    arrays_in_properties: bool


LIMITS = {
    2: Limits(64, 64, 2, 300, 300, (1, 100), (1, 30), 500, None, None, False),
    3: Limits(512, 512, None, None, None, (0, None), (0, None), None, 1024, 100_000, True),
}
EXTENDS_DEPTH = 10  # both versions: at most 10 "extends" members on any path
SCHEMA_HOPS = 5  # both versions: at most 5 "schema"/"elementSchema" members between schemas


def single(value: Any) -> Any:
    """A single-valued member: JSON-LD lets `"x"` be written `["x"]`."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value


def many(value: Any) -> list[Any]:
    """A set-valued member: absent, one element, or an array of them."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
