"""Versions and credentials: where a partner starts, and how it registers with us."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import State

from api.ocpi.common import CallingPartner, body, partner_client, reply
from roaming import partners
from roaming.schemas import Credentials
from roaming.transport import VERSION


class VersionsController(Controller):
    path = "/ocpi"
    tags = ["OCPI: versions and credentials"]

    @get("/versions", summary="The OCPI versions we speak")
    async def versions(
        self, request: Request[Any, Any, Any], state: State, caller: CallingPartner
    ) -> Response[Any]:
        return reply(request, partners.our_versions(state.ctx))

    @get(f"/{VERSION}", summary="Our OCPI 2.2.1 endpoints")
    async def version_details(
        self, request: Request[Any, Any, Any], state: State, caller: CallingPartner
    ) -> Response[Any]:
        return reply(request, partners.our_version_details(state.ctx))


class CredentialsController(Controller):
    path = f"/ocpi/{VERSION}/credentials"
    tags = ["OCPI: versions and credentials"]

    @get(summary="The credentials with which the calling partner reaches us")
    async def get_credentials(
        self, request: Request[Any, Any, Any], state: State, caller: CallingPartner
    ) -> Response[Any]:
        party = await partners.operator_party(caller.partner.operator_id)
        return reply(request, partners.our_credentials(state.ctx, party, caller.token))

    @post(summary="Register (with a registration token)", status_code=200)
    async def register(
        self, request: Request[Any, Any, Any], state: State, caller: CallingPartner
    ) -> Response[Any]:
        credentials = await body(request, Credentials)
        ours = await partners.accept_credentials(
            state.ctx, partner_client(state), caller.partner, credentials, update=False
        )
        return reply(request, ours)

    @put(summary="Update credentials (e.g. rotate tokens)")
    async def update(
        self, request: Request[Any, Any, Any], state: State, caller: CallingPartner
    ) -> Response[Any]:
        credentials = await body(request, Credentials)
        ours = await partners.accept_credentials(
            state.ctx, partner_client(state), caller.partner, credentials, update=True
        )
        return reply(request, ours)

    @delete(summary="Unregister", status_code=200)
    async def unregister(
        self, request: Request[Any, Any, Any], state: State, caller: CallingPartner
    ) -> Response[Any]:
        await partners.unregister_by_partner(state.ctx, caller.partner)
        return reply(request)
