"""The operator's network: dashboard (live), stations, sites, EVSEs, remote commands, the
OCPP message log, faults and the notifications about them.

Everything is scoped to the calling operator: ids of another operator's stations, EVSEs,
sites or faults answer 404. Operator staff read, send remote commands and acknowledge or
resolve faults; registering, accepting and editing stations, sites and EVSEs and the
notification settings need an operator admin. Every change and every command is audited.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import msgspec
from litestar import Controller, get, patch, post, put
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth import CallingOperator
from cpo.notifications import service as notifications
from cpo.stations import admin, dashboard
from cpo.stations.enums import FaultStatus
from cpo.stations.frame_log import DEFAULT_KEEP, MAX_KEEP, LoggedFrame

ONLY_ADMINS = " Needs an operator admin (403 `forbidden_role` for staff)."


class DashboardController(Controller):
    path = "/api/admin/dashboard"
    tags = ["admin: network"]

    @get(
        summary="The network now",
        description=(
            "Every station with its connection and connector status, running sessions with "
            "their energy so far, open faults, and today's sessions, energy and revenue (from "
            "the charge detail records of sessions that ended today). Today is the calendar "
            "day in the operator's time zone — that of its first site, Europe/Berlin without "
            "one — named in `today.time_zone`."
        ),
        cache_control=None,
    )
    async def now(self, operator: CallingOperator, state: State) -> dashboard.Dashboard:
        return await dashboard.snapshot(state.ctx, operator.operator_id)

    @get(
        "/events",
        summary="The network, live (server-sent events)",
        description=(
            "A `dashboard` event with the whole dashboard (as `GET /api/admin/dashboard`) at "
            "once, then whenever one of the operator's stations connects, drops, changes a "
            "connector's status, or a running session meters — and at least every 15 s."
        ),
    )
    async def events(self, operator: CallingOperator, state: State) -> ServerSentEvent:
        ctx = state.ctx

        async def stream() -> AsyncIterator[ServerSentEventMessage]:
            async for view in dashboard.watch(ctx, operator.operator_id):
                yield ServerSentEventMessage(
                    data=msgspec.json.encode(view).decode(), event="dashboard"
                )

        return ServerSentEvent(stream(), retry_duration=3000)


class StationController(Controller):
    path = "/api/admin/stations"
    tags = ["admin: network"]

    @get(summary="The operator's stations", cache_control=None)
    async def list_stations(self, operator: CallingOperator) -> list[admin.StationView]:
        return await admin.list_stations(operator.operator_id)

    @post(
        status_code=HTTP_201_CREATED,
        summary="Register a station",
        description=(
            "With its OCPP identity (the chargePointId in the URL it connects to) and EVSEs "
            "(EVSE IDs in ISO 15118 form, e.g. `DE*ABC*E0001*1`). The answer holds the "
            "station's Basic auth password once — set it as the AuthorizationKey of the "
            "station; only its hash is kept. The station is accepted." + ONLY_ADMINS
        ),
    )
    async def register(
        self, operator: CallingOperator, state: State, data: JSONBody[admin.NewStation]
    ) -> admin.RegisteredStation:
        return await admin.register(state.ctx, operator, data)

    @get("/{station_id:int}", summary="A station", cache_control=None)
    async def station(
        self, operator: CallingOperator, station_id: FromPath[int]
    ) -> admin.StationView:
        return await admin.station(operator.operator_id, station_id)

    @patch(
        "/{station_id:int}",
        summary="Rename a station or move it to another site",
        description="Only the fields sent change; `site_id` 0 takes it off its site." + ONLY_ADMINS,
    )
    async def change(
        self,
        operator: CallingOperator,
        state: State,
        station_id: FromPath[int],
        data: JSONBody[admin.StationChange],
    ) -> admin.StationView:
        return await admin.change_station(state.ctx, operator, station_id, data)

    @post(
        "/{station_id:int}/registration",
        status_code=HTTP_200_OK,
        summary="Accept or reject a station",
        description=(
            "Typically a pending station that registered itself on its first connection. A "
            "connected station is asked to boot again at once and hears the answer." + ONLY_ADMINS
        ),
    )
    async def decide(
        self,
        operator: CallingOperator,
        state: State,
        station_id: FromPath[int],
        data: JSONBody[admin.RegistrationDecision],
    ) -> admin.StationView:
        return await admin.decide_registration(state.ctx, operator, station_id, data)

    @post(
        "/{station_id:int}/evses",
        status_code=HTTP_201_CREATED,
        summary="Add an EVSE to a station",
        description="Answers with the whole station." + ONLY_ADMINS,
    )
    async def add_evse(
        self,
        operator: CallingOperator,
        state: State,
        station_id: FromPath[int],
        data: JSONBody[admin.EvseInput],
    ) -> admin.StationView:
        return await admin.add_evse(state.ctx, operator, station_id, data)

    @get(
        "/{station_id:int}/messages",
        summary="The station's OCPP message log",
        description=(
            "The last OCPP frames to and from the station, newest first, as they went over "
            "the wire (frames over 4000 characters are cut: `truncated`). The platform keeps "
            f"the last {DEFAULT_KEEP} per station. Page with `before` (the smallest `id` seen)."
        ),
        cache_control=None,
    )
    async def messages(
        self,
        operator: CallingOperator,
        state: State,
        station_id: FromPath[int],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_KEEP)] = 100,
        before: FromQuery[int | None] = None,
    ) -> list[LoggedFrame]:
        await admin.require_station(operator.operator_id, station_id)
        frames: list[LoggedFrame] = await state.bridge.frame_log.recent(
            station_id, limit=limit, before=before
        )
        return frames

    @post(
        "/{station_id:int}/commands",
        status_code=HTTP_200_OK,
        summary="Send a remote command to a station",
        description=(
            "`type` is one of remote_start (`id_tag`, optional `connector_id`), remote_stop "
            "(`transaction_id` of a running session), reset (`kind` Soft or Hard), "
            "unlock_connector, change_availability (`connector_id`, `operative`), "
            "trigger_message (`message`, optional `connector_id`), get_configuration "
            "(`keys`, empty for all), change_configuration (`key`, `value`). The answer "
            "holds the station's `result`, or an `error_code` (charger_unavailable, "
            "charger_timeout, charger_error) when it gave none. Staff may send commands; "
            "every command is audited with its answer."
        ),
    )
    async def command(
        self,
        operator: CallingOperator,
        state: State,
        station_id: FromPath[int],
        data: JSONBody[admin.AdminCommand],
    ) -> admin.CommandOutcome:
        return await admin.send(state.ctx, operator, station_id, data)

    @get(
        "/{station_id:int}/sessions",
        summary="The station's running sessions",
        description="With their OCPP transaction id (for remote_stop) and energy so far.",
        cache_control=None,
    )
    async def sessions(
        self, operator: CallingOperator, station_id: FromPath[int]
    ) -> list[dashboard.ActiveSession]:
        await admin.require_station(operator.operator_id, station_id)
        return await dashboard.active_sessions(operator.operator_id, station_id=station_id)


class SiteController(Controller):
    path = "/api/admin/sites"
    tags = ["admin: network"]

    @get(summary="The operator's sites", cache_control=None)
    async def list_sites(self, operator: CallingOperator) -> list[admin.SiteView]:
        return await admin.list_sites(operator.operator_id)

    @post(
        status_code=HTTP_201_CREATED,
        summary="Create a site",
        description="A location with stations: name, address, IANA time zone." + ONLY_ADMINS,
    )
    async def create(
        self, operator: CallingOperator, state: State, data: JSONBody[admin.SiteInput]
    ) -> admin.SiteView:
        return await admin.create_site(state.ctx, operator, data)

    @put("/{site_id:int}", summary="Change a site", description="All fields." + ONLY_ADMINS)
    async def update(
        self,
        operator: CallingOperator,
        state: State,
        site_id: FromPath[int],
        data: JSONBody[admin.SiteInput],
    ) -> admin.SiteView:
        return await admin.update_site(state.ctx, operator, site_id, data)


class EvseAdminController(Controller):
    path = "/api/admin/evses"
    tags = ["admin: network"]

    @patch(
        "/{evse_id:int}",
        summary="Change an EVSE",
        description=(
            "Its EVSE ID (ISO 15118 form, unique on the platform: 409 `evse_id_taken`), "
            "maximum power, current type, phases. Only the fields sent change; answers with "
            "the whole station." + ONLY_ADMINS
        ),
    )
    async def change(
        self,
        operator: CallingOperator,
        state: State,
        evse_id: FromPath[int],
        data: JSONBody[admin.EvseChange],
    ) -> admin.StationView:
        return await admin.change_evse(state.ctx, operator, evse_id, data)


class FaultController(Controller):
    path = "/api/admin/faults"
    tags = ["admin: network"]

    @get(
        summary="Faults, newest first",
        description=(
            "What stations reported (OCPP error code, info, vendor id and vendor error code), "
            "how long it lasted or has lasted (`duration_s`), who acknowledged or resolved "
            "it. Filter by `status` (open, resolved) and `station_id`."
        ),
        cache_control=None,
    )
    async def list_faults(
        self,
        operator: CallingOperator,
        state: State,
        status: FromQuery[FaultStatus | None] = None,
        station_id: FromQuery[int | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=admin.MAX_FAULTS)] = 200,
    ) -> list[admin.FaultView]:
        return await admin.list_faults(
            state.ctx, operator.operator_id, status=status, station_id=station_id, limit=limit
        )

    @post(
        "/{fault_id:int}/acknowledge",
        status_code=HTTP_200_OK,
        summary="Acknowledge a fault",
        description="Someone is on it. Staff may; repeating it changes nothing.",
    )
    async def acknowledge(
        self, operator: CallingOperator, state: State, fault_id: FromPath[int]
    ) -> admin.FaultView:
        return await admin.acknowledge_fault(state.ctx, operator, fault_id)

    @post(
        "/{fault_id:int}/resolve",
        status_code=HTTP_200_OK,
        summary="Resolve a fault by hand",
        description=(
            "For a repair the station did not report itself. Staff may; a resolved fault "
            "answers 409 `fault_resolved`. A station that still reports the error opens a new "
            "fault."
        ),
    )
    async def resolve(
        self, operator: CallingOperator, state: State, fault_id: FromPath[int]
    ) -> admin.FaultView:
        return await admin.resolve_fault(state.ctx, operator, fault_id)


class NotificationController(Controller):
    path = "/api/admin/notifications"
    tags = ["admin: network"]

    @get(
        summary="Who is told about offline stations and faults",
        description=(
            "E-mail recipients (in `language`) and a webhook URL; offline messages wait "
            "`offline_grace_s` and are dropped if the station is back by then."
        ),
        cache_control=None,
    )
    async def settings(self, operator: CallingOperator) -> notifications.SettingsView:
        return await notifications.get_settings(operator.operator_id)

    @put(
        summary="Change who is told about offline stations and faults",
        description=(
            "Webhooks are POSTed as JSON with `X-CPO-Signature: sha256=<hex>`, the "
            "HMAC-SHA256 of the exact body with the operator's webhook secret, "
            "`X-CPO-Event` and `X-CPO-Delivery` (an id to drop repeats); anything but a 2xx "
            "answer is retried with growing pauses, 8 attempts at most." + ONLY_ADMINS
        ),
    )
    async def update(
        self,
        operator: CallingOperator,
        state: State,
        data: JSONBody[notifications.SettingsInput],
    ) -> notifications.SettingsView:
        return await notifications.update_settings(state.ctx, operator, data)

    @post(
        "/webhook-secret",
        status_code=HTTP_201_CREATED,
        summary="Make a new webhook secret",
        description="Shown once in the answer; the previous secret stops being used at once."
        + ONLY_ADMINS,
    )
    async def rotate_secret(
        self, operator: CallingOperator, state: State
    ) -> notifications.WebhookSecret:
        return await notifications.rotate_secret(state.ctx, operator)

    @get(
        "/deliveries",
        summary="Notifications sent, waiting or given up, newest first",
        cache_control=None,
    )
    async def deliveries(self, operator: CallingOperator) -> list[notifications.DeliveryView]:
        return await notifications.deliveries(operator.operator_id)


NETWORK_CONTROLLERS = [
    DashboardController,
    StationController,
    SiteController,
    EvseAdminController,
    FaultController,
    NotificationController,
]
