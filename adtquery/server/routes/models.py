"""`/models`: upload (atomic), list with dependencies, get, decommission, delete."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adtquery.clock import upload_time
from adtquery.db import modelstore
from adtquery.dtdl import ModelReferencesNotDeleted
from adtquery.server import paging, validation
from adtquery.server.errors import ApiError, invalid, not_found
from adtquery.server.http import json_response, no_content, read_json, segment
from adtquery.server.state import state


def _flag(request: Request, name: str) -> bool:
    value = request.query_params.get(name, "false").lower()
    if value not in ("true", "false"):
        raise invalid(f"{name} must be true or false.")
    return value == "true"


def _data(model: modelstore.StoredModel, include_definition: bool) -> dict[str, Any]:
    return validation.model_data(model, include_definition=include_definition)


def _missing(model_id: str) -> ApiError:
    return not_found("ModelNotFound", f"There is no Model(s) available that matches {model_id}.")


async def create_models(request: Request) -> Response:
    batch = await read_json(request)
    uploaded = upload_time()
    async with state(request).pool.connection() as conn, conn.transaction():
        await modelstore.lock(conn)
        documents = validation.check_batch(await modelstore.all_models(conn), batch)
        await modelstore.insert(conn, documents, uploaded)
    created = [modelstore.StoredModel(d["@id"], d, uploaded, False) for d in documents]
    return json_response([_data(model, False) for model in created], status=201)


async def list_models(request: Request) -> Response:
    include = _flag(request, "includeModelDefinition")
    wanted = list(dict.fromkeys(request.query_params.getlist("dependenciesFor")))
    page = paging.requested(request)
    async with state(request).pool.connection() as conn:
        stored = await modelstore.all_models(conn)
    ids = sorted(stored)
    if wanted:
        for model_id in wanted:
            if model_id not in stored:
                raise _missing(model_id)
        ids = sorted(validation.dependencies(stored, wanted))
    if page.after is not None:
        ids = [model_id for model_id in ids if model_id > page.after]
    ids = ids[: page.size + 1]
    items = [_data(stored[model_id], include) for model_id in ids]
    return json_response(paging.page_body(request, items, ids, page))


async def get_model(request: Request) -> Response:
    model_id = segment(request, "id")
    async with state(request).pool.connection() as conn:
        model = await modelstore.get(conn, model_id)
    if model is None:
        raise _missing(model_id)
    return json_response(_data(model, _flag(request, "includeModelDefinition")))


async def update_model(request: Request) -> Response:
    model_id = segment(request, "id")
    patch = await read_json(request)
    # Decommissioning is the only change ADT allows, and it cannot be undone.
    allowed = [{"op": "replace", "path": "/decommissioned", "value": True}]
    if patch != allowed:
        raise invalid(
            "The only supported patch is "
            '[{"op": "replace", "path": "/decommissioned", "value": true}].',
            code="JsonPatchInvalid",
        )
    async with state(request).pool.connection() as conn, conn.transaction():
        await modelstore.lock(conn)
        model = await modelstore.get(conn, model_id)
        if model is None:
            raise _missing(model_id)
        if not model.decommissioned:
            await modelstore.decommission(conn, model)
    return no_content()


async def delete_model(request: Request) -> Response:
    model_id = segment(request, "id")
    async with state(request).pool.connection() as conn, conn.transaction():
        await modelstore.lock(conn)
        stored = await modelstore.all_models(conn)
        if model_id not in stored:
            raise _missing(model_id)
        # Twins may keep using a deleted model (ADT allows it); other models may not.
        if users := validation.referencing(stored, model_id):
            raise ModelReferencesNotDeleted(model_id, users)
        await modelstore.delete(conn, model_id)
    return no_content()


routes = [
    Route("/models", create_models, methods=["POST"]),
    Route("/models", list_models, methods=["GET"]),
    Route("/models/{id}", get_model, methods=["GET"]),
    Route("/models/{id}", update_model, methods=["PATCH"]),
    Route("/models/{id}", delete_model, methods=["DELETE"]),
]
