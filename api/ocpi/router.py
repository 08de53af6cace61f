"""All OCPI routes under one router: partner authentication and OCPI-shaped errors."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from api.ocpi.commands import CommandsController
from api.ocpi.common import EXCEPTION_HANDLERS, provide_caller
from api.ocpi.credentials import CredentialsController, VersionsController
from api.ocpi.modules import (
    CdrsController,
    LocationsController,
    SessionsController,
    TariffsController,
)
from api.ocpi.tokens import TokensController


def ocpi_router() -> Router:
    return Router(
        path="/",
        route_handlers=[
            VersionsController,
            CredentialsController,
            TokensController,
            LocationsController,
            TariffsController,
            SessionsController,
            CdrsController,
            CommandsController,
        ],
        dependencies={"caller": Provide(provide_caller)},
        exception_handlers=EXCEPTION_HANDLERS,
        include_in_schema=True,
    )
