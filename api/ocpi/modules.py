"""The Sender modules partners read from us: locations, tariffs, sessions and CDRs, with
pagination (offset, limit, date_from, date_to → Link, X-Total-Count, X-Limit)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath

from api.ocpi.common import CallingPartner, registered, reply
from roaming import locations, sessions, tariffs
from roaming.partners import operator_party, version_url
from roaming.transport import VERSION, page_headers, page_request


def _page(request: Request[Any, Any, Any]) -> Any:
    return page_request(dict(request.query_params))


class LocationsController(Controller):
    path = f"/ocpi/{VERSION}/locations"
    tags = ["OCPI: locations"]

    @get(summary="Our locations, a page at a time")
    async def list_locations(
        self, request: Request[Any, Any, Any], state: State, caller: CallingPartner
    ) -> Response[Any]:
        partner = registered(caller)
        page = _page(request)
        party = await operator_party(partner.operator_id)
        found, total = await locations.list_locations(party, page)
        url = f"{version_url(state.ctx)}/locations"
        return reply(request, found, headers=page_headers(url, page, total))

    @get("/{location_id:str}", summary="One location")
    async def get_location(
        self, request: Request[Any, Any, Any], caller: CallingPartner, location_id: FromPath[str]
    ) -> Response[Any]:
        party = await operator_party(registered(caller).operator_id)
        return reply(request, await locations.get_location(party, location_id))

    @get("/{location_id:str}/{evse_uid:str}", summary="One EVSE")
    async def get_evse(
        self,
        request: Request[Any, Any, Any],
        caller: CallingPartner,
        location_id: FromPath[str],
        evse_uid: FromPath[str],
    ) -> Response[Any]:
        party = await operator_party(registered(caller).operator_id)
        return reply(request, await locations.get_evse(party, location_id, evse_uid))

    @get("/{location_id:str}/{evse_uid:str}/{connector_id:str}", summary="One connector")
    async def get_connector(
        self,
        request: Request[Any, Any, Any],
        caller: CallingPartner,
        location_id: FromPath[str],
        evse_uid: FromPath[str],
        connector_id: FromPath[str],
    ) -> Response[Any]:
        party = await operator_party(registered(caller).operator_id)
        connector = await locations.get_connector(party, location_id, evse_uid, connector_id)
        return reply(request, connector)


class TariffsController(Controller):
    path = f"/ocpi/{VERSION}/tariffs"
    tags = ["OCPI: tariffs"]

    @get(summary="Our tariffs, a page at a time")
    async def list_tariffs(
        self, request: Request[Any, Any, Any], state: State, caller: CallingPartner
    ) -> Response[Any]:
        partner = registered(caller)
        page = _page(request)
        party = await operator_party(partner.operator_id)
        found, total = await tariffs.list_tariffs(party, page)
        url = f"{version_url(state.ctx)}/tariffs"
        return reply(request, found, headers=page_headers(url, page, total))


class SessionsController(Controller):
    path = f"/ocpi/{VERSION}/sessions"
    tags = ["OCPI: sessions"]

    @get(summary="The calling partner's sessions, a page at a time")
    async def list_sessions(
        self, request: Request[Any, Any, Any], state: State, caller: CallingPartner
    ) -> Response[Any]:
        partner = registered(caller)
        page = _page(request)
        found, total = await sessions.list_sessions(state.ctx, partner, page)
        url = f"{version_url(state.ctx)}/sessions"
        return reply(request, found, headers=page_headers(url, page, total))


class CdrsController(Controller):
    path = f"/ocpi/{VERSION}/cdrs"
    tags = ["OCPI: CDRs"]

    @get(summary="The calling partner's CDRs, a page at a time")
    async def list_cdrs(
        self, request: Request[Any, Any, Any], state: State, caller: CallingPartner
    ) -> Response[Any]:
        partner = registered(caller)
        page = _page(request)
        found, total = await sessions.list_cdrs(partner, page)
        url = f"{version_url(state.ctx)}/cdrs"
        return reply(request, found, headers=page_headers(url, page, total))
