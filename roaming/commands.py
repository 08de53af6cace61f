"""Commands, Receiver interface: a partner asks us to start or stop a session, to unlock a
connector, or to reserve one (and cancel the reservation). We answer at once
(CommandResponse: can we pass it on?) and later, once the charger answered or did not in
time, with a CommandResult to the partner's response_url — a push like any other, so it
survives a partner that is briefly down.

A START_SESSION goes the way of an ad hoc start (cpo/payments/ad_hoc.py): a RemoteStart
with the driver's token; the command itself is the authorization (recorded with the
partner's authorization_reference), so the session is the partner's: pushed to it and
billed to it in the CDR, never to the driver.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import msgspec

from cpo import database
from cpo.clock import as_utc
from cpo.context import Context
from cpo.errors import ChargerError, ChargerTimeout, ChargerUnavailable
from cpo.partners.enums import AuthorizationMethod, CommandStatus
from cpo.partners.tables import RoamingAuthorization, RoamingCommand
from cpo.sessions.enums import SessionState
from cpo.stations import commands as cmd
from cpo.stations.tables import ChargeStation, Connector, Evse
from cpo.tokens.rules import normalize_uid
from roaming import ids, pushes, tokens
from roaming.partners import PartnerRef
from roaming.schemas import (
    CancelReservation,
    CommandResponse,
    CommandResponseType,
    CommandResult,
    CommandResultType,
    CommandType,
    DisplayText,
    ModuleId,
    ReserveNow,
    StartSession,
    StopSession,
    UnlockConnector,
)
from roaming.transport import OcpiError, Status, invalid

log = logging.getLogger(__name__)

# The charger's answer, as the partner hears it.
COMMON_RESULTS = {"Accepted": CommandResultType.ACCEPTED, "Unlocked": CommandResultType.ACCEPTED}
RESERVATION_RESULTS = {
    "Accepted": CommandResultType.ACCEPTED,
    "Faulted": CommandResultType.EVSE_INOPERATIVE,
    "Occupied": CommandResultType.EVSE_OCCUPIED,
    "Rejected": CommandResultType.REJECTED,
    "Unavailable": CommandResultType.EVSE_INOPERATIVE,
}
CANCEL_RESULTS = {
    "Accepted": CommandResultType.ACCEPTED,
    "Rejected": CommandResultType.UNKNOWN_RESERVATION,
}
# OCPP 1.6 idTags have at most 20 characters.
MAX_ID_TAG = 20
# A command still pending this long after its charger's timeout has lost its runner (a node
# stopped): its partner gets TIMEOUT.
ORPHANED_AFTER = timedelta(minutes=2)


def _response(result: CommandResponseType, timeout_s: int, text: str = "") -> CommandResponse:
    message = [DisplayText(language="en", text=text[:512])] if text else []
    return CommandResponse(result=result, timeout=timeout_s, message=message)


def command_type(raw: str) -> CommandType:
    try:
        return CommandType(raw)
    except ValueError:
        raise OcpiError(
            Status.CLIENT_ERROR, f"unknown command {raw[:30]!r}", http_status=404
        ) from None


def decode(kind: CommandType, raw: bytes) -> Any:
    shapes: dict[CommandType, Any] = {
        CommandType.START_SESSION: StartSession,
        CommandType.STOP_SESSION: StopSession,
        CommandType.UNLOCK_CONNECTOR: UnlockConnector,
        CommandType.RESERVE_NOW: ReserveNow,
        CommandType.CANCEL_RESERVATION: CancelReservation,
    }
    shape = shapes[kind]
    if not raw.strip():
        raise invalid("a JSON body is required")
    try:
        return msgspec.json.decode(raw, type=shape)
    except msgspec.ValidationError as error:
        raise invalid(f"invalid {kind.value}: {error}") from None
    except msgspec.DecodeError:
        raise invalid("the body is not valid JSON") from None


class CommandRunner:
    """Receives partners' commands and runs them in the background of this node."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._running: set[asyncio.Task[None]] = set()

    @property
    def timeout_s(self) -> int:
        return int(self.ctx.settings.ocpp_call_timeout_s) + 5

    async def close(self) -> None:
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    def _spawn(self, command_id: int, work: Any) -> None:
        task = asyncio.create_task(work, name=f"ocpi-command-{command_id}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def receive(self, partner: PartnerRef, kind: CommandType, raw: bytes) -> CommandResponse:
        request = decode(kind, raw)
        if isinstance(request, StartSession):
            return await self._start(partner, request)
        if isinstance(request, StopSession):
            return await self._stop(partner, request)
        if isinstance(request, ReserveNow):
            return await self._reserve(partner, request)
        if isinstance(request, CancelReservation):
            return await self._cancel(partner, request)
        assert isinstance(request, UnlockConnector)
        return await self._unlock(partner, request)

    async def _record(self, partner: PartnerRef, kind: CommandType, request: Any) -> int:
        async with database.transaction():
            rows = await RoamingCommand.insert(
                RoamingCommand(
                    partner=partner.id,
                    command=kind.value,
                    response_url=request.response_url,
                    request=msgspec.json.encode(request).decode(),
                    status=CommandStatus.PENDING,
                    created_at=self.ctx.clock.now(),
                )
            ).returning(RoamingCommand.id)
        return int(rows[0]["id"])

    # -- START_SESSION -------------------------------------------------------------------

    async def _start(self, partner: PartnerRef, request: StartSession) -> CommandResponse:
        token = request.token
        tokens.check_party(partner, token.country_code, token.party_id)
        evse = await _evse(partner.operator_id, request.location_id, request.evse_uid)
        if evse is None:
            return _response(
                CommandResponseType.REJECTED, 0, "name the EVSE (evse_uid) to start at"
            )
        if len(token.uid) > MAX_ID_TAG or not token.valid:
            return _response(
                CommandResponseType.REJECTED, 0, "this token cannot be used at our chargers"
            )
        if evse["station.connected_node"] is None:
            return _response(CommandResponseType.REJECTED, 0, "the charger is offline")
        await tokens.put_token(
            self.ctx,
            partner,
            token.country_code,
            token.party_id,
            token.uid,
            token.type.value,
            token,
        )
        async with database.transaction():
            await RoamingAuthorization.insert(
                RoamingAuthorization(
                    operator=partner.operator_id,
                    partner=partner.id,
                    uid_normalized=normalize_uid(token.uid),
                    station_identity=evse["station.identity"],
                    country_code=token.country_code.upper(),
                    party_id=token.party_id.upper(),
                    uid=token.uid,
                    token_type=token.type.value,
                    contract_id=token.contract_id,
                    authorization_reference=request.authorization_reference or "",
                    method=AuthorizationMethod.COMMAND,
                    decided_at=self.ctx.clock.now(),
                )
            )
        command_id = await self._record(partner, CommandType.START_SESSION, request)
        command = cmd.RemoteStart(id_tag=token.uid, connector_id=evse["ocpp_connector_id"])
        self._spawn(command_id, self._run(partner, command_id, evse["station.identity"], command))
        return _response(CommandResponseType.ACCEPTED, self.timeout_s)

    # -- STOP_SESSION --------------------------------------------------------------------

    async def _stop(self, partner: PartnerRef, request: StopSession) -> CommandResponse:
        session_pk = ids.parse_number(request.session_id)
        row = None
        if session_pk is not None:
            row = (
                await RoamingAuthorization.select(
                    RoamingAuthorization.session.state,
                    RoamingAuthorization.session.ocpp_transaction_id,
                    RoamingAuthorization.session._.station._.identity,
                )
                .where(
                    (RoamingAuthorization.partner == partner.id)
                    & (RoamingAuthorization.session == session_pk)
                )
                .first()
            )
        if row is None:
            return _response(CommandResponseType.UNKNOWN_SESSION, 0, "no such session of yours")
        if row["session.state"] != SessionState.ACTIVE or not row["session.ocpp_transaction_id"]:
            return _response(CommandResponseType.REJECTED, 0, "the session has ended")
        command_id = await self._record(partner, CommandType.STOP_SESSION, request)
        command = cmd.RemoteStop(transaction_id=row["session.ocpp_transaction_id"])
        identity = row["session.station.identity"]
        self._spawn(command_id, self._run(partner, command_id, identity, command))
        return _response(CommandResponseType.ACCEPTED, self.timeout_s)

    # -- UNLOCK_CONNECTOR ----------------------------------------------------------------

    async def _unlock(self, partner: PartnerRef, request: UnlockConnector) -> CommandResponse:
        evse = await _evse(partner.operator_id, request.location_id, request.evse_uid)
        if evse is None or not await Connector.exists().where(
            (Connector.evse == evse["id"])
            & (Connector.connector_number == (ids.parse_number(request.connector_id) or -1))
        ):
            raise OcpiError(Status.UNKNOWN_LOCATION, "unknown connector", http_status=404)
        if evse["station.connected_node"] is None:
            return _response(CommandResponseType.REJECTED, 0, "the charger is offline")
        command_id = await self._record(partner, CommandType.UNLOCK_CONNECTOR, request)
        command = cmd.UnlockConnector(connector_id=evse["ocpp_connector_id"])
        self._spawn(command_id, self._run(partner, command_id, evse["station.identity"], command))
        return _response(CommandResponseType.ACCEPTED, self.timeout_s)

    # -- RESERVE_NOW and CANCEL_RESERVATION ------------------------------------------------

    async def _reserve(self, partner: PartnerRef, request: ReserveNow) -> CommandResponse:
        token = request.token
        tokens.check_party(partner, token.country_code, token.party_id)
        evse = await _evse(partner.operator_id, request.location_id, request.evse_uid)
        if evse is None:
            return _response(CommandResponseType.REJECTED, 0, "name the EVSE (evse_uid) to hold")
        if len(token.uid) > MAX_ID_TAG or not token.valid:
            return _response(
                CommandResponseType.REJECTED, 0, "this token cannot be used at our chargers"
            )
        if as_utc(request.expiry_date) <= self.ctx.clock.now():
            return _response(CommandResponseType.REJECTED, 0, "the expiry date has passed")
        if evse["station.connected_node"] is None:
            return _response(CommandResponseType.REJECTED, 0, "the charger is offline")
        await tokens.put_token(
            self.ctx,
            partner,
            token.country_code,
            token.party_id,
            token.uid,
            token.type.value,
            token,
        )
        command_id = await self._record(partner, CommandType.RESERVE_NOW, request)
        # The same reservation id again updates the reservation: the charger's id stays.
        earlier = await _reservation(partner, request.reservation_id, before=command_id)
        charger_reservation = earlier[0] if earlier else command_id
        command = cmd.ReserveNow(
            connector_id=evse["ocpp_connector_id"],
            expires_at=as_utc(request.expiry_date),
            id_tag=token.uid,
            reservation_id=charger_reservation,
        )
        work = self._run(
            partner, command_id, evse["station.identity"], command, RESERVATION_RESULTS
        )
        self._spawn(command_id, work)
        return _response(CommandResponseType.ACCEPTED, self.timeout_s)

    async def _cancel(self, partner: PartnerRef, request: CancelReservation) -> CommandResponse:
        command_id = await self._record(partner, CommandType.CANCEL_RESERVATION, request)
        found = await _reservation(partner, request.reservation_id, before=command_id)
        if found is None:
            await finish(
                self.ctx, command_id, CommandResultType.UNKNOWN_RESERVATION, "no such reservation"
            )
            return _response(CommandResponseType.ACCEPTED, self.timeout_s)
        charger_reservation, reserved = found
        evse = await _evse(partner.operator_id, reserved.location_id, reserved.evse_uid)
        assert evse is not None
        command = cmd.CancelReservation(reservation_id=charger_reservation)
        work = self._run(partner, command_id, evse["station.identity"], command, CANCEL_RESULTS)
        self._spawn(command_id, work)
        return _response(CommandResponseType.ACCEPTED, self.timeout_s)

    # -- the charger's answer, to the partner ----------------------------------------------

    async def _run(
        self,
        partner: PartnerRef,
        command_id: int,
        identity: str,
        command: cmd.Command,
        results: dict[str, CommandResultType] | None = None,
    ) -> None:
        try:
            answer = await cmd.send_command(self.ctx, identity, command)
            result = (results or COMMON_RESULTS).get(answer.status, CommandResultType.REJECTED)
            accepted = result is CommandResultType.ACCEPTED
            text = "" if accepted else f"the charger answered {answer.status}"
        except ChargerTimeout:
            result, text = CommandResultType.TIMEOUT, "the charger did not answer in time"
        except ChargerUnavailable:
            result, text = CommandResultType.FAILED, "the charger is offline"
        except ChargerError as error:
            result, text = CommandResultType.FAILED, error.message
        await finish(self.ctx, command_id, result, text)


async def finish(ctx: Context, command_id: int, result: CommandResultType, text: str) -> None:
    """Record the command's result and queue it for the partner (once)."""
    async with database.transaction():
        row = (
            await RoamingCommand.update(
                {RoamingCommand.status: result.value, RoamingCommand.answered_at: ctx.clock.now()}
            )
            .where(
                (RoamingCommand.id == command_id) & (RoamingCommand.status == CommandStatus.PENDING)
            )
            .returning(RoamingCommand.partner, RoamingCommand.response_url)
        )
        if not row:
            return
        message = [DisplayText(language="en", text=text[:512])] if text else []
        await pushes.enqueue(
            ctx,
            row[0]["partner"],
            module=ModuleId.COMMANDS.value,
            object_key=f"command:{command_id}",
            method="POST",
            url=row[0]["response_url"],
            body=CommandResult(result=result, message=message),
        )


async def _reservation(
    partner: PartnerRef, reservation_id: str, *, before: int
) -> tuple[int, ReserveNow] | None:
    """The charger's id of a partner's reservation (its first RESERVE_NOW command), and the
    latest RESERVE_NOW for it."""
    rows = (
        await RoamingCommand.select(RoamingCommand.id, RoamingCommand.request)
        .where(
            (RoamingCommand.partner == partner.id)
            & (RoamingCommand.command == CommandType.RESERVE_NOW.value)
            & (RoamingCommand.id < before)
        )
        .order_by(RoamingCommand.id)
    )
    first: int | None = None
    latest: ReserveNow | None = None
    for row in rows:
        request = database.from_json_column(row["request"], ReserveNow)
        if request.reservation_id == reservation_id:
            first = row["id"] if first is None else first
            latest = request
    if first is None or latest is None:
        return None
    return first, latest


async def time_out_orphans(ctx: Context) -> int:
    """Commands whose runner stopped with its node: the partner hears TIMEOUT."""
    limit = ctx.clock.now() - ORPHANED_AFTER - timedelta(seconds=ctx.settings.ocpp_call_timeout_s)
    rows = await RoamingCommand.select(RoamingCommand.id).where(
        (RoamingCommand.status == CommandStatus.PENDING) & (RoamingCommand.created_at < limit)
    )
    for row in rows:
        await finish(ctx, row["id"], CommandResultType.TIMEOUT, "no answer from the charger")
    return len(rows)


async def _evse(operator_id: int, location_id: str, evse_uid: str | None) -> dict[str, Any] | None:
    """The EVSE a command names, if it is one of the operator's at that location; raises
    2003 for a location we do not have."""
    site_id, station_id = ids.parse_location_id(location_id)
    condition: Any = ChargeStation.operator == operator_id
    if site_id is not None:
        condition &= ChargeStation.site == site_id
    elif station_id is not None:
        condition &= ChargeStation.id == station_id
    else:
        raise OcpiError(Status.UNKNOWN_LOCATION, "unknown location", http_status=404)
    if not await ChargeStation.exists().where(condition):
        raise OcpiError(Status.UNKNOWN_LOCATION, "unknown location", http_status=404)
    if evse_uid is None:
        return None
    evse_pk = ids.parse_number(evse_uid)
    if evse_pk is None:
        raise OcpiError(Status.UNKNOWN_LOCATION, "unknown EVSE", http_status=404)
    row: dict[str, Any] | None = (
        await Evse.select(
            Evse.id,
            Evse.ocpp_connector_id,
            Evse.station.identity,
            Evse.station.connected_node,
            Evse.station.site,
            Evse.station.operator,
        )
        .where(Evse.id == evse_pk)
        .first()
    )
    if (
        row is None
        or row["station.operator"] != operator_id
        or (site_id is not None and row["station.site"] != site_id)
    ):
        raise OcpiError(Status.UNKNOWN_LOCATION, "unknown EVSE", http_status=404)
    return row
