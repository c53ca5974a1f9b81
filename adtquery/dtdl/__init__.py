"""DTDL v2 and v3 interfaces for the models API: upload validation and twin validation.

Pure: no database, no web framework. `Models` is the whole surface the server needs; the
error classes carry ADT's codes and statuses. Modules, in the order data flows:

    syntax.py      DTDL vocabulary, identifiers, per-version limits
    primitives.py  primitive and geospatial schemas and the JSON values that fit them
    elements.py    the parsed form of an interface
    checks.py      what every element shares (@type, members, name, @id, texts)
    parse.py       one document -> Interface (rules visible in one document)
    link.py        rules across models (references, extends, components, schema scope)
    instances.py   twins, components and relationships against their models
    modelset.py    Models, the immutable uploaded set

Choices where DTDL, ADT and convenience differ (ADT's own rules from its concepts-models page):
- Refused as ADT refuses: inline Interfaces (extends or component schema objects), components
  whose interface has components, DTDL v2 Arrays and geospatial schemas in Properties (v2's
  parser forbids them; v3 allows both), members DTDL does not define on an element without a
  co-type (usually a typo, such as "schmea").
- Accepted though ADT's docs discourage them: Commands (they can never be set on a twin).
  Co-types are not checked against DTDL's semantic-type table, nor is `unit`.
- Relationship targets need not exist (DTDL calls them non-dependent references), and do not
  block deleting the target model.
- byte, bytes, decimal, short, unsigned*, uuid are DTDL v4 primitives; v3 documents may use them.
- Twins: `writable` is ignored (ADT treats every property as writable through this API); null is
  refused like any other wrong type; a component may be `{}` ($metadata is optional there);
  time values may omit the offset, dateTime values may not; `5.0` is not an integer.
"""

from adtquery.dtdl.errors import (
    ComponentNotFound,
    DtdlParserError,
    ModelIdAlreadyExists,
    ModelNotFound,
    ModelReferencesNotDeleted,
)
from adtquery.dtdl.modelset import Models, language_map

__all__ = [
    "ComponentNotFound",
    "DtdlParserError",
    "ModelIdAlreadyExists",
    "ModelNotFound",
    "ModelReferencesNotDeleted",
    "Models",
    "language_map",
]
