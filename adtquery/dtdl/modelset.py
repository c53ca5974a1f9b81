"""Models: the uploaded set of DTDL interfaces, immutable; every change returns a new set.

The server keeps one `Models` and swaps it on upload or delete, so readers never see a half
applied batch. Parsed interfaces are shared between successive sets; the per-model views used by
twin validation are computed on first use and cached (the set never changes under them).
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any

from adtquery.dtdl import compiled, instances
from adtquery.dtdl.elements import Component, Interface, Relationship, kind
from adtquery.dtdl.errors import (
    ComponentNotFound,
    DtdlParserError,
    ModelIdAlreadyExists,
    ModelNotFound,
    ModelReferencesNotDeleted,
)
from adtquery.dtdl.link import MissingModel, lineage, link, references
from adtquery.dtdl.parse import parse_document
from adtquery.errors import ValidationFailed
from adtquery.models import ancestry, is_version_of


class Models:
    """An immutable set of uploaded DTDL interfaces, id -> the document as uploaded.

    Documents are kept and returned as they were uploaded: treat them as read-only.
    """

    __slots__ = ("_documents", "_extends", "_interfaces", "_is_a_cache", "_referrers",
                 "_relationship_tests", "_twin_tests", "_views")  # fmt: skip

    def __init__(self, documents: Mapping[str, dict[str, Any]]) -> None:
        """A set from stored documents, trusted to have passed `add` once; each is parsed
        again (DtdlParserError if one no longer parses), but not linked."""
        interfaces = {}
        for model_id, document in documents.items():
            interface = parse_document(document)
            if interface.id != model_id:
                raise ValueError(f"the document stored as {model_id} has @id {interface.id}")
            interfaces[model_id] = interface
        self._setup(dict(documents), interfaces)

    def _setup(
        self, documents: dict[str, dict[str, Any]], interfaces: dict[str, Interface]
    ) -> None:
        self._documents = documents
        self._interfaces = interfaces
        self._views: dict[str, instances.View] = {}
        self._is_a_cache: dict[tuple[str, str], bool] = {}  # a bulk import asks a few pairs often
        self._twin_tests: dict[str, compiled.Test] = {}
        # (source model, relationship name, target model) -> the test of a body, once the three
        # are known to go together.
        self._relationship_tests: dict[tuple[str, str, str | None], compiled.Test] = {}
        self._referrers: dict[str, list[str]] | None = None
        self._extends: dict[str, tuple[str, ...]] | None = None

    @classmethod
    def _of(cls, documents: dict[str, dict[str, Any]], interfaces: dict[str, Interface]) -> Models:
        models = cls.__new__(cls)
        models._setup(documents, interfaces)
        return models

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._documents

    def __len__(self) -> int:
        return len(self._documents)

    def __iter__(self) -> Iterator[str]:
        """Model ids, in upload order."""
        return iter(self._documents)

    def document(self, model_id: str) -> dict[str, Any]:
        """The document exactly as uploaded (ModelNotFound if absent)."""
        try:
            return self._documents[model_id]
        except KeyError:
            raise ModelNotFound(model_id) from None

    # -- changes -------------------------------------------------------------------------------

    def add(self, batch: list[dict[str, Any]]) -> Models:
        """Validate a batch of new interfaces against this set; return the set with them added.

        All or nothing: DtdlParserError (400) names the first problem found, ModelIdAlreadyExists
        (409) an id that is already uploaded (checked after the batch parses). An empty batch
        returns this set (ADT answers `[]` with InvalidArgument: the server's call).
        """
        if not isinstance(batch, list):
            raise DtdlParserError(
                "the request body must be a JSON array of DTDL Interfaces.", reason="dtdl-not-array"
            )
        if not batch:
            return self
        parsed: dict[str, Interface] = {}
        for position, document in enumerate(batch):
            interface = parse_document(document, position)
            if interface.id in parsed:
                raise DtdlParserError(
                    f"{interface.id} appears more than once in the request.",
                    reason="dtdl-duplicate-model",
                )
            parsed[interface.id] = interface
        for model_id in parsed:
            if model_id in self._interfaces:
                raise ModelIdAlreadyExists(model_id)
        link(parsed, self._interfaces)
        documents = dict(self._documents)
        for document in batch:  # a copy: the caller's objects may change after this call
            documents[document["@id"]] = copy.deepcopy(document)
        return Models._of(documents, {**self._interfaces, **parsed})

    def remove(self, model_id: str) -> Models:
        """The set without `model_id`: ModelNotFound, or ModelReferencesNotDeleted while other
        models extend it or use it as a component schema. Twins using it do not matter (ADT)."""
        if model_id not in self:
            raise ModelNotFound(model_id)
        users = self.referencing(model_id)
        if users:
            raise ModelReferencesNotDeleted(model_id, users)
        documents = {k: v for k, v in self._documents.items() if k != model_id}
        interfaces = {k: v for k, v in self._interfaces.items() if k != model_id}
        return Models._of(documents, interfaces)

    # -- model queries -------------------------------------------------------------------------

    def referencing(self, model_id: str) -> list[str]:
        """Ids of the other models that extend `model_id` or use it as a component schema."""
        if self._referrers is None:
            referrers: dict[str, list[str]] = {}
            for interface in self._interfaces.values():
                for ref in dict.fromkeys(references(interface)):
                    if ref != interface.id:
                        referrers.setdefault(ref, []).append(interface.id)
            self._referrers = referrers
        return sorted(self._referrers.get(model_id, []))

    def dependencies(self, model_ids: list[str]) -> list[str]:
        """The models asked for (in that order), then everything they extend or use as a
        component schema, transitively, breadth first (GET /models?dependenciesFor=...)."""
        for model_id in model_ids:
            if model_id not in self:
                raise ModelNotFound(model_id)
        found = list(dict.fromkeys(model_ids))
        seen = set(found)
        todo = deque(found)
        while todo:
            for ref in references(self._interfaces[todo.popleft()]):
                if ref not in seen and ref in self._interfaces:
                    seen.add(ref)
                    found.append(ref)
                    todo.append(ref)
        return found

    def extends(self) -> dict[str, tuple[str, ...]]:
        """Model id -> the ids it extends directly, as adtquery.models (IS_OF_MODEL) takes them."""
        if self._extends is None:
            self._extends = {i.id: i.extends for i in self._interfaces.values()}
        return self._extends

    def component_names(self, model_id: str) -> list[str]:
        """The components a twin of `model_id` has (declared or inherited)."""
        return [
            n
            for n, c in self._view(model_id, model_id).contents.items()
            if isinstance(c, Component)
        ]

    def relationship(self, model_id: str, name: str) -> Relationship | None:
        """The Relationship `name` of `model_id` or its bases (target, maxMultiplicity, ...)."""
        content = self._view(model_id, model_id).contents.get(name)
        return content if isinstance(content, Relationship) else None

    def data(
        self, model_id: str, *, upload_time: str, decommissioned: bool, include_definition: bool
    ) -> dict[str, Any]:
        """DigitalTwinsModelData for GET /models: `model` only when the definition is asked for."""
        document = self.document(model_id)
        data: dict[str, Any] = {
            "id": model_id,
            "displayName": language_map(document.get("displayName")),
            "description": language_map(document.get("description")),
            "uploadTime": upload_time,
            "decommissioned": decommissioned,
        }
        if include_definition:
            data["model"] = document
        return data

    # -- instance validation -------------------------------------------------------------------

    def validate_twin(self, twin: dict[str, Any]) -> None:
        """A whole twin document (PUT, or a twin after a PATCH): ValidationFailed naming the
        property. `$dtId`, `$etag` and `$metadata` (beyond `$model`) are the server's."""
        test = self._twin_test(twin)
        if test is None or not test(twin):
            instances.check_twin(twin, self._view)  # the verdict, and its message

    def validate_component(self, model_id: str, component: str, value: dict[str, Any]) -> None:
        """A component's whole object after a component PATCH; ComponentNotFound (404) if the
        twin's model has no such component."""
        content = self._view(model_id, model_id).contents.get(component)
        if not isinstance(content, Component):
            raise ComponentNotFound(model_id, component)
        instances.check_component(content, value, component, self._view, model_id)

    def validate_relationship(
        self, source_model: str, name: str, properties: dict[str, Any], target_model: str | None
    ) -> None:
        """A relationship of a twin of `source_model`. `properties` may be the whole body: keys
        starting with `$` are the service's and skipped. `target_model` None skips the target
        check; a target whose model was deleted is judged by its id alone."""
        test = self._relationship_tests.get((source_model, name, target_model))
        if test is None or not test(properties):
            self._check_relationship(source_model, name, properties, target_model)

    def _check_relationship(
        self, source_model: str, name: str, properties: dict[str, Any], target_model: str | None
    ) -> None:
        """The verdict on a relationship and its message; a valid one compiles the test of its
        (source, name, target) for the next."""
        view = self._view(source_model, source_model)
        content = view.contents.get(name)
        if not isinstance(content, Relationship):
            what = (
                "does not appear on the DTDL"
                if content is None
                else f"is a {kind(content)}, not a Relationship,"
            )
            raise ValidationFailed(
                f"Relationship {name} {what} for {source_model}.", reason="unknown-relationship"
            )
        if (
            content.target is not None
            and target_model is not None
            and not self._is_a(target_model, content.target)
        ):
            raise ValidationFailed(
                f"Relationship {name} of {source_model} targets {content.target}; the target "
                f"twin's model {target_model} is not that model, a later version of it, nor "
                "extends it.",
                reason="wrong-target",
            )
        instances.check_relationship(content, properties, view.scope)
        key = (source_model, name, target_model)
        if key not in self._relationship_tests:
            self._relationship_tests[key] = compiled.relationship_test(content, view.scope)

    def _is_a(self, model_id: str, wanted: str) -> bool:
        known = self._is_a_cache.get((model_id, wanted))
        if known is None:
            known = any(is_version_of(m, wanted) for m in ancestry(self.extends(), model_id))
            self._is_a_cache[model_id, wanted] = known
        return known

    def _twin_test(self, twin: Any) -> compiled.Test | None:
        """The compiled test for the twin's model; None where instances must judge the twin
        as a whole (not an object, no model named, the model missing)."""
        metadata = twin.get("$metadata") if isinstance(twin, dict) else None
        model_id = metadata.get("$model") if isinstance(metadata, dict) else None
        if not isinstance(model_id, str):
            return None
        test = self._twin_tests.get(model_id)
        if test is None and model_id in self._interfaces:
            try:
                view = self._view(model_id, model_id)
            except ValidationFailed:
                return None
            test = self._twin_tests[model_id] = compiled.twin_test(view, self._view)
        return test

    def _view(self, model_id: str, blame: str) -> instances.View:
        view = self._views.get(model_id)
        if view is None:
            try:
                chain = lineage(model_id, self._interfaces)
            except MissingModel:
                raise instances.missing_model(blame) from None
            contents: dict[str, Any] = {}
            scope: dict[str, Any] = {}
            for member in reversed(chain):
                contents.update(member.contents)
                scope.update(member.schemas)
            view = self._views[model_id] = instances.View(model_id, contents, scope)
        return view


def language_map(value: Any) -> dict[str, str]:
    """A DTDL localizable string as ADT returns it: a plain string is English, absent is {}."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {"en": value}
    if isinstance(value, dict):
        return dict(value)
    result: dict[str, str] = {}
    for item in value:  # the array form: strings and {"@value", "@language"} objects
        if isinstance(item, str):
            result.setdefault("en", item)
        else:
            result.setdefault(item.get("@language", "en"), item["@value"])
    return result
