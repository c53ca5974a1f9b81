"""The errors the models API answers with, beside ValidationFailed (adtquery.errors).

Messages follow ADT's where the real text is known; the server turns `code` and `status` into
the error body and the x-ms-error-code header.
"""

from __future__ import annotations

from adtquery.errors import AdtError

# ADT starts every refused upload with this sentence: the batch is all-or-nothing.
UPLOAD_REFUSED = (
    "None of the models in this request could be created due to a problem with one or more models: "
)


class DtdlParserError(AdtError):
    """An uploaded batch that is not valid DTDL (400); nothing of the batch is stored."""

    code = "DTDLParserError"

    def __init__(self, message: str, *, reason: str = "dtdl-invalid") -> None:
        super().__init__(UPLOAD_REFUSED + message, reason=reason)
        self.detail = message


class ModelIdAlreadyExists(AdtError):
    """An uploaded id that is taken (the real service's code; the spec says ModelAlreadyExists)."""

    code = "ModelIdAlreadyExists"
    status = 409

    def __init__(self, model_id: str) -> None:
        super().__init__(
            f"Model with id {model_id} already exists. Delete it first, or upload the model under "
            "a new version.",
            reason="model-exists",
        )
        self.model_id = model_id


class ModelReferencesNotDeleted(AdtError):
    """DELETE of a model that other models still extend or use as a component schema."""

    code = "ModelReferencesNotDeleted"
    status = 409

    def __init__(self, model_id: str, referencing: list[str]) -> None:
        super().__init__(
            f"Model {model_id} cannot be deleted: it is referenced by {', '.join(referencing)}. "
            "Delete those models first.",
            reason="model-referenced",
        )
        self.model_id = model_id
        self.referencing = referencing


class ModelNotFound(AdtError):
    code = "ModelNotFound"
    status = 404

    def __init__(self, model_id: str) -> None:
        super().__init__(
            f"There is no Model(s) available that matches the provided id(s) {model_id}. Check "
            "that the Model ID provided is valid by doing a Model_List API call.",
            reason="model-not-found",
        )
        self.model_id = model_id


class ComponentNotFound(AdtError):
    """A component name the twin's model does not declare (GET .../components/{name})."""

    code = "ComponentNotFound"
    status = 404

    def __init__(self, model_id: str, component: str) -> None:
        super().__init__(
            f"Component {component} does not appear on the DTDL for {model_id}.",
            reason="component-not-found",
        )
        self.model_id = model_id
        self.component = component
