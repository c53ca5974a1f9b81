"""Rules across models, checked when a batch joins the uploaded set.

References resolve (to the batch or to models already uploaded), inheritance is acyclic and at
most 10 deep, content names stay unique along extends, components nest one level (ADT's rule),
and schema references resolve within the model and the models it extends. Every walk here is
iterative or bounded by a DTDL depth limit, so a hostile model cannot exhaust the stack.
"""

from __future__ import annotations

from collections import ChainMap, deque
from collections.abc import Iterator, Mapping
from typing import NoReturn

from adtquery.dtdl import syntax
from adtquery.dtdl.elements import (
    ArraySchema,
    Command,
    Component,
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
from adtquery.dtdl.primitives import GEOSPATIAL


class MissingModel(Exception):
    """A model some other model depends on is not in the set."""

    def __init__(self, model_id: str) -> None:
        super().__init__(model_id)
        self.model_id = model_id


def lineage(model_id: str, interfaces: Mapping[str, Interface]) -> list[Interface]:
    """The interface and every interface it extends, each once, nearest first."""
    seen = {model_id}
    order: list[Interface] = []
    todo = deque([model_id])
    while todo:
        current = todo.popleft()
        interface = interfaces.get(current)
        if interface is None:
            raise MissingModel(current)
        order.append(interface)
        for base in interface.extends:
            if base not in seen:
                seen.add(base)
                todo.append(base)
    return order


def references(interface: Interface) -> Iterator[str]:
    """The models this one depends on directly: what it extends and its component schemas."""
    yield from interface.extends
    for content in interface.contents.values():
        if isinstance(content, Component):
            yield content.interface


def link(batch: Mapping[str, Interface], known: Mapping[str, Interface]) -> None:
    """Refuse the batch (DtdlParserError) unless it is valid together with `known`."""
    every: Mapping[str, Interface] = ChainMap(dict(batch), dict(known))
    _resolve(batch, every)
    try:
        _inheritance(batch, every)
        for interface in batch.values():
            chain = lineage(interface.id, every)
            _contents(interface, chain, every)
            _Schemas(interface, chain).check_all()
        _unique_ids(batch, every)
    except MissingModel as missing:  # an uploaded model lost a base: stored data is damaged
        _fail(f"could not resolve references to {missing.model_id}.", "dtdl-dangling-reference")


def _fail(message: str, reason: str) -> NoReturn:
    raise DtdlParserError(message, reason=reason)


def _resolve(batch: Mapping[str, Interface], every: Mapping[str, Interface]) -> None:
    missing: dict[str, int] = {}
    for interface in batch.values():
        for ref in references(interface):
            if ref not in every:
                missing[ref] = missing.get(ref, 0) + 1
    if missing:
        listed = ", ".join(
            f"{ref} (referenced in {n} place{'s' if n > 1 else ''})" for ref, n in missing.items()
        )
        _fail(
            f"could not resolve references to {listed}: a model that is extended or used as a "
            "component schema must be in the same request or uploaded before it.",
            "dtdl-dangling-reference",
        )


def _inheritance(batch: Mapping[str, Interface], every: Mapping[str, Interface]) -> None:
    """No extends cycle, and no path of more than EXTENDS_DEPTH extends (iterative DFS)."""
    depth: dict[str, int] = {}
    for root in batch:
        if root in depth:
            continue
        path = [root]
        stack = [iter(_bases(every, root))]
        while stack:
            base = next(stack[-1], None)
            if base is None:
                node = path.pop()
                stack.pop()
                depth[node] = max((depth[b] + 1 for b in _bases(every, node)), default=0)
                if depth[node] > syntax.EXTENDS_DEPTH:
                    _too_deep(node, _deepest(node, every, depth))
            elif base in path:
                cycle = " -> ".join([*path[path.index(base) :], base])
                _fail(f"{base}: extends itself ({cycle}).", "dtdl-extends-cycle")
            elif base not in depth:
                path.append(base)
                if len(path) > syntax.EXTENDS_DEPTH + 1:  # stop early: keeps `in path` cheap
                    _too_deep(path[0], path[1:])
                stack.append(iter(_bases(every, base)))
    for model_id in batch:
        limit = syntax.LIMITS[every[model_id].version].extends_total
        total = sum(len(i.extends) for i in lineage(model_id, every))
        if limit is not None and total > limit:
            _fail(
                f"{model_id}: its extends hierarchy has {total} values; DTDL allows {limit}.",
                "dtdl-limit",
            )


def _bases(every: Mapping[str, Interface], model_id: str) -> tuple[str, ...]:
    interface = every.get(model_id)
    if interface is None:
        raise MissingModel(model_id)
    return interface.extends


def _deepest(node: str, every: Mapping[str, Interface], depth: Mapping[str, int]) -> list[str]:
    chain = [node]
    while _bases(every, chain[-1]):
        chain.append(max(_bases(every, chain[-1]), key=lambda b: depth[b]))
    return chain[1:]


def _too_deep(model_id: str, chain: list[str]) -> NoReturn:
    _fail(
        f"{model_id}: extends {' -> '.join(chain)}, {len(chain)} levels; DTDL allows "
        f"{syntax.EXTENDS_DEPTH}.",
        "dtdl-limit",
    )


def _contents(interface: Interface, chain: list[Interface], every: Mapping[str, Interface]) -> None:
    owner: dict[str, str] = {}
    for member in chain:
        for name in member.contents:
            if name in owner:
                _fail(
                    f"{interface.id}: the name {name!r} is declared by both {owner[name]} and "
                    f"{member.id}; names must be unique across an interface and all it extends.",
                    "dtdl-duplicate-name",
                )
            owner[name] = member.id
    limits = syntax.LIMITS[interface.version]
    if limits.contents is not None and len(owner) > limits.contents:
        _fail(
            f"{interface.id}: has {len(owner)} contents with those it inherits; DTDL v2 allows "
            f"{limits.contents}.",
            "dtdl-limit",
        )
    total = sum(member.element_count for member in chain)
    if limits.elements_total is not None and total > limits.elements_total:
        _fail(
            f"{interface.id}: has {total} elements; DTDL allows {limits.elements_total}.",
            "dtdl-limit",
        )
    for content in interface.contents.values():
        if isinstance(content, Component):
            for member in lineage(content.interface, every):
                nested = [c.name for c in member.contents.values() if isinstance(c, Component)]
                if nested:
                    _fail(
                        f"{interface.id}: Component {content.name!r} uses {content.interface}, "
                        f"which has a Component of its own ({nested[0]!r} in {member.id}); ADT "
                        "allows one level of components.",
                        "dtdl-nested-component",
                    )


def _unique_ids(batch: Mapping[str, Interface], every: Mapping[str, Interface]) -> None:
    """Nested @ids must not clash with ids of the batch or of the models a model extends
    (the ones ADT's parser sees together); unrelated uploaded models may reuse them."""
    owner = {model_id: model_id for model_id in batch}
    for interface in batch.values():
        for element_id in sorted(interface.element_ids):
            other = owner.setdefault(element_id, interface.id)
            if other != interface.id:
                _clash(interface.id, element_id, other)
    for interface in batch.values():
        for base in lineage(interface.id, every)[1:]:
            clash = interface.element_ids & (base.element_ids | {base.id})
            if clash:
                _clash(interface.id, min(clash), base.id)


def _clash(model_id: str, element_id: str, other: str) -> NoReturn:
    _fail(
        f"{model_id}: the @id {element_id} is also used in {other}; every @id must be unique.",
        "dtdl-duplicate-id",
    )


class _Schemas:
    """Schema references resolve in the model's scope; no schema contains itself, nests more
    than SCHEMA_HOPS deep, or (in a v2 Property) holds an Array or a geospatial schema."""

    def __init__(self, interface: Interface, chain: list[Interface]) -> None:
        self.interface = interface
        self.scope: dict[str, Schema] = {}
        for member in reversed(chain):
            self.scope.update(member.schemas)
        self.hops: dict[int, int] = {}  # id(schema) -> longest schema path below it
        self.visiting: set[int] = set()

    def check_all(self) -> None:
        for where, schema, v2_property in self.uses():
            schema = self.resolve(schema, where)
            self.height(schema, where, 0)
            if v2_property:
                self.no_arrays(schema, where)
        for schema_id, schema in self.interface.schemas.items():
            self.height(schema, f"schema {schema_id}", 0)

    def uses(self) -> Iterator[tuple[str, Schema, bool]]:
        for name, content in self.interface.contents.items():
            where = f"{type(content).__name__} {name!r}"
            if isinstance(content, Property):
                yield where, content.schema, content.version == 2
            elif isinstance(content, Telemetry):
                yield where, content.schema, False
            elif isinstance(content, Command):
                for schema in content.schemas:
                    yield where, schema, False
            elif isinstance(content, Relationship):
                for prop in content.properties.values():
                    yield f"{where} property {prop.name!r}", prop.schema, prop.version == 2

    def fail(self, where: str, message: str, reason: str) -> NoReturn:
        _fail(f"{self.interface.id}: {where} {message}", reason)

    def resolve(self, schema: Schema, where: str) -> Schema:
        if not isinstance(schema, SchemaRef):
            return schema
        target = self.scope.get(schema.id)
        if target is None:
            self.fail(
                where,
                f"refers to schema {schema.id}, which is not defined in this model or the "
                "models it extends.",
                "dtdl-dangling-reference",
            )
        return target

    def height(self, schema: Schema, where: str, depth: int) -> int:
        """Hops from `schema` down to its deepest nested schema; fails past the limit, so the
        recursion never goes deeper than SCHEMA_HOPS + 1."""
        key = id(schema)
        if key in self.visiting:
            self.fail(where, "has a schema that contains itself.", "dtdl-schema-cycle")
        below = self.hops.get(key)
        if below is None:
            if depth > syntax.SCHEMA_HOPS:
                below = 0  # fails just below
            else:
                self.visiting.add(key)
                below = max(
                    (1 + self.height(c, where, depth + 1) for c in self.children(schema, where)),
                    default=0,
                )
                self.visiting.discard(key)
                self.hops[key] = below
        if depth + below > syntax.SCHEMA_HOPS:
            self.fail(
                where, f"nests schemas more than {syntax.SCHEMA_HOPS} levels deep.", "dtdl-limit"
            )
        return below

    def children(self, schema: Schema, where: str) -> list[Schema]:
        """The nested schemas that are DTDL elements (primitives are not), resolved."""
        if isinstance(schema, ArraySchema):
            nested = [schema.element]
        elif isinstance(schema, MapSchema):
            nested = [schema.value]
        elif isinstance(schema, ObjectSchema):
            nested = list(schema.fields.values())
        else:
            nested = []
        resolved = [self.resolve(s, where) for s in nested]
        return [s for s in resolved if not isinstance(s, Primitive)]

    def no_arrays(self, schema: Schema, where: str) -> None:
        todo = [schema]
        while todo:
            current = todo.pop()
            if isinstance(current, ArraySchema):
                self.fail(
                    where,
                    "uses an Array, which DTDL v2 does not allow in a Property; use "
                    "@context dtmi:dtdl:context;3.",
                    "dtdl-invalid-schema",
                )
            if isinstance(current, Primitive) and current.name in GEOSPATIAL:
                self.fail(
                    where,
                    f"uses {current.name}, which DTDL v2 does not allow in a "
                    "Property; use @context dtmi:dtdl:context;3.",
                    "dtdl-invalid-schema",
                )
            if isinstance(current, MapSchema | ObjectSchema):
                nested = (
                    [current.value] if isinstance(current, MapSchema) else current.fields.values()
                )
                todo.extend(self.resolve(s, where) for s in nested)
