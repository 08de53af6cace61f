from __future__ import annotations

from typing import Any

import msgspec
from litestar import get
from litestar.datastructures import State
from litestar.response import Response

from cpo import database
from cpo.operators.tables import Operator


class Health(msgspec.Struct):
    status: str
    node_id: str
    database: str
    connected_stations: int


@get("/api/health", summary="Liveness and readiness of this node", tags=["operations"])
async def health(state: State) -> Response[Health]:
    """Healthy when the database answers; reports how many stations this node serves."""
    database_status = "ok"
    try:
        await Operator.count()
    except Exception as error:  # the point of a health check is to report this, not raise it
        database_status = f"error: {type(error).__name__}"
    body = Health(
        status="ok" if database_status == "ok" else "degraded",
        node_id=state.ctx.settings.node_id,
        database="postgresql" if not database.is_sqlite() else "sqlite",
        connected_stations=len(state.bridge.connections),
    )
    if database_status != "ok":
        body = msgspec.structs.replace(body, database=database_status)
    status_code: Any = 200 if database_status == "ok" else 503
    return Response(body, status_code=status_code)
