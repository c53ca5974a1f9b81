"""DTDL checks, one function per call site: create models, put/patch twin, put relationship.

All of them go through `adtquery.dtdl.Models`. Parsing every stored model is the costly part, so
the last set built is kept and reused while the stored models (ids and upload times) are the
same; decommissioning does not change a model's DTDL, so it is checked here instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from adtquery.db.modelstore import StoredModel
from adtquery.dtdl import Models, language_map
from adtquery.errors import ValidationFailed
from adtquery.server.errors import ApiError

Document = dict[str, Any]
TwinCheck = Callable[[Document], None]
RelationshipCheck = Callable[[Document, Document, Document], None]  # source, relationship, target

_lock = threading.Lock()
_last: tuple[tuple[tuple[str, str], ...], Models] | None = None


def model_set(stored: Mapping[str, StoredModel]) -> Models:
    """The stored models as one `Models`, parsed once per distinct set."""
    global _last
    key = tuple(sorted((model_id, model.upload_time) for model_id, model in stored.items()))
    with _lock:
        if _last is not None and _last[0] == key:
            return _last[1]
    models = Models({model_id: model.model for model_id, model in stored.items()})
    with _lock:
        _last = (key, models)
    return models


def check_batch(stored: Mapping[str, StoredModel], batch: Any) -> list[Document]:
    """The uploaded interfaces, or DTDLParserError / ModelIdAlreadyExists: the caller stores
    nothing unless the whole batch passes."""
    if isinstance(batch, list) and not batch:
        raise ApiError(400, "InvalidArgument", "The body must be a non-empty array of models.")
    model_set(stored).add(batch)
    return batch  # type: ignore[no-any-return]


def dependencies(stored: Mapping[str, StoredModel], ids: list[str]) -> list[str]:
    """`ids` and every model they depend on, transitively (ModelNotFound for unknown ids)."""
    return model_set(stored).dependencies(ids)


def referencing(stored: Mapping[str, StoredModel], model_id: str) -> list[str]:
    """The stored models that extend `model_id` or use it as a component schema."""
    return model_set(stored).referencing(model_id)


def model_data(model: StoredModel, *, include_definition: bool) -> dict[str, Any]:
    """`DigitalTwinsModelData`, display name and description as language maps (ADT's shape)."""
    data: dict[str, Any] = {
        "id": model.id,
        "displayName": language_map(model.model.get("displayName")),
        "description": language_map(model.model.get("description")),
        "uploadTime": model.upload_time,
        "decommissioned": model.decommissioned,
    }
    if include_definition:
        data["model"] = model.model
    return data


def twin_checker(stored: Mapping[str, StoredModel]) -> TwinCheck:
    """The twin check for put and patch, over the models stored when the request began."""
    models = model_set(stored)

    def check(twin: Document) -> None:
        model_id = twin["$metadata"]["$model"]
        try:
            models.validate_twin(twin)
        except ValidationFailed as error:
            raise _failed(error, "Invalid twin specified") from None
        if stored[model_id].decommissioned:
            raise ApiError(400, "ModelDecommissioned", f"The model {model_id} is decommissioned.")

    return check


def relationship_checker(stored: Mapping[str, StoredModel]) -> RelationshipCheck:
    """The relationship check for put and patch, over the models stored when the request began."""
    models = model_set(stored)

    def check(source: Document, relationship: Document, target: Document) -> None:
        try:
            models.validate_relationship(
                source["$metadata"]["$model"],
                relationship["$relationshipName"],
                relationship,
                target["$metadata"]["$model"],
            )
        except ValidationFailed as error:
            raise _failed(error, "Invalid relationship specified") from None

    return check


def _failed(error: ValidationFailed, message: str) -> ApiError:
    """ADT's shape: a general message, the specific one in details."""
    detail = str(error).split("\n", 1)[0]
    return ApiError(
        400, "ValidationFailed", message, details=[{"code": "ValidationFailed", "message": detail}]
    )
