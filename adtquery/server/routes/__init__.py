"""One module per ADT resource; `ALL` is the app's route table."""

from __future__ import annotations

from starlette.routing import BaseRoute

from adtquery.server.routes import (
    components,
    eventroutes,
    health,
    jobs,
    models,
    query,
    relationships,
    twins,
)

ALL: list[BaseRoute] = [
    *health.routes,
    *query.routes,
    *models.routes,
    *twins.routes,
    *relationships.routes,
    *components.routes,
    *eventroutes.routes,
    *jobs.routes,
]
