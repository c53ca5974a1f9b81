"""Twin documents as ADT returns them: build one from a PUT body, apply a JSON Patch to one.

`$metadata` records, per property, when it last changed (`lastUpdateTime`) and optionally when
the source measured it (`sourceTime`). Times are stamped here, once, and stored: GET must return
exactly what PUT returned. A component is an object property that has its own `$metadata`.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import jsonpointer

from adtquery.server.errors import ApiError, invalid

Document = dict[str, Any]
OPS = ("add", "replace", "remove")


def patch_invalid(message: str) -> ApiError:
    return invalid(message, code="JsonPatchInvalid")


def is_component(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("$metadata"), dict)


def new_twin(twin_id: str, body: Any, now: str, etag: str) -> Document:
    """The stored twin for a PUT body; `$dtId`, `$etag` and times in the body are ignored."""
    metadata = body.get("$metadata") if isinstance(body, dict) else None
    model = metadata.get("$model") if isinstance(metadata, dict) else None
    if not isinstance(model, str):
        raise invalid("Payload is invalid: a twin needs $metadata.$model.")
    twin = _stamped({}, body, now, root=True)
    return {"$dtId": twin_id, "$etag": etag, **twin}


def patched_twin(current: Document, patch: Any, now: str, etag: str) -> Document:
    """`current` after `patch` (add/replace/remove only), with changed properties re-stamped."""
    operations = _operations(patch)
    document = copy.deepcopy(current)
    for operation in operations:
        try:
            document = jsonpatch.apply_patch(document, [operation])
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as error:
            raise patch_invalid(f"{operation['path']}: {error}") from None
        _placeholders(document)
    if not isinstance(document.get("$metadata", {}).get("$model"), str):
        raise patch_invalid("$metadata.$model must remain a string.")
    twin = _stamped(current, document, now, root=True)
    return {"$dtId": current["$dtId"], "$etag": etag, **twin}


def patched_component(current: Document, name: str, patch: Any, now: str, etag: str) -> Document:
    """The twin after a patch whose paths are relative to component `name`."""
    operations = _operations(patch)
    prefixed = [{**op, "path": f"/{_escape(name)}{op['path']}"} for op in operations]
    return patched_twin(current, prefixed, now, etag)


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _operations(patch: Any) -> list[Document]:
    if not isinstance(patch, list):
        raise patch_invalid("A JSON Patch must be an array of operations.")
    for operation in patch:
        if not isinstance(operation, dict) or not isinstance(operation.get("path"), str):
            raise patch_invalid("Each patch operation needs 'op' and 'path'.")
        if operation.get("op") not in OPS:
            raise patch_invalid(f"Unsupported patch operation {operation.get('op')!r}.")
        if operation["op"] != "remove" and "value" not in operation:
            raise patch_invalid(f"{operation['path']}: '{operation['op']}' needs a 'value'.")
        _check_path(operation["path"])
    return patch


def _check_path(path: str) -> None:
    """Identity, etag and update times belong to the service; a source time may be set."""
    parts = path.split("/")[1:]
    if not parts or parts[0] in ("$dtId", "$etag", ""):
        raise patch_invalid(f"{path} cannot be changed.")
    if "$metadata" in parts:
        tail = parts[parts.index("$metadata") + 1 :]
        allowed = tail == ["$model"] and parts[0] == "$metadata"
        if not (allowed or (len(tail) == 2 and tail[1] == "sourceTime")):
            raise patch_invalid(f"{path} cannot be changed.")


def _placeholders(document: Document) -> None:
    """Give every property a metadata entry as soon as it exists, so a later operation of the
    same patch can set its sourceTime; drop entries of properties that are gone."""
    metadata = document.setdefault("$metadata", {})
    if not isinstance(metadata, dict):
        raise patch_invalid("$metadata must be an object.")
    for key, value in document.items():
        if not key.startswith("$"):
            metadata.setdefault(key, {})
            if is_component(value):
                _placeholders(value)
    for key in [k for k in metadata if not k.startswith("$") and k not in document]:
        del metadata[key]


def _stamped(old: Document, new: Document, now: str, *, root: bool) -> Document:
    """`new` with fresh metadata: properties that changed (or are new) get `now`, unchanged ones
    keep their times. Times sent by the client are ignored; source times are kept."""
    old_meta = old.get("$metadata", {}) if isinstance(old, dict) else {}
    new_meta = new.get("$metadata", {}) if isinstance(new.get("$metadata"), dict) else {}
    result: Document = {}
    metadata: Document = {"$lastUpdateTime": now}
    if root:
        metadata = {"$model": new_meta.get("$model"), **metadata}
    for key, value in new.items():
        if key.startswith("$"):
            continue
        before = old.get(key) if isinstance(old, dict) else None
        if is_component(value):
            value = _stamped(before if isinstance(before, dict) else {}, value, now, root=False)
        result[key] = value
        entry = new_meta.get(key) if isinstance(new_meta.get(key), dict) else {}
        previous = old_meta.get(key, {})
        changed = (
            key not in old
            or before != new[key]
            or previous.get("sourceTime") != entry.get("sourceTime")
        )
        stamp = {"lastUpdateTime": now if changed else previous.get("lastUpdateTime", now)}
        if "sourceTime" in entry:
            stamp["sourceTime"] = entry["sourceTime"]
        metadata[key] = stamp
    result["$metadata"] = metadata
    return result
