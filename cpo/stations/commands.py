"""Commands to a charge station, in words that do not depend on the OCPP version.

API code calls `send_command(ctx, identity, command)`; the command travels over the message
bus to whichever node holds the station's socket, and the station's answer travels back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from cpo.bus import NoResponder
from cpo.context import Context
from cpo.errors import ChargerError, ChargerTimeout, ChargerUnavailable

ConnectorId = Annotated[int, msgspec.Meta(ge=0)]
# Extra time the bus may take beyond the station's own answer time.
BUS_MARGIN_S = 2.0


class RemoteStart(msgspec.Struct, frozen=True, tag="remote_start"):
    id_tag: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    connector_id: Annotated[int, msgspec.Meta(ge=1)] | None = None


class RemoteStop(msgspec.Struct, frozen=True, tag="remote_stop"):
    transaction_id: str


class ReserveNow(msgspec.Struct, frozen=True, tag="reserve_now"):
    """Hold a connector for one token until `expires_at` (roaming partners reserve)."""

    connector_id: ConnectorId
    expires_at: datetime
    id_tag: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    reservation_id: int
    parent_id_tag: Annotated[str, msgspec.Meta(max_length=20)] | None = None


class CancelReservation(msgspec.Struct, frozen=True, tag="cancel_reservation"):
    reservation_id: int


class Reset(msgspec.Struct, frozen=True, tag="reset"):
    kind: Literal["Soft", "Hard"] = "Soft"


class UnlockConnector(msgspec.Struct, frozen=True, tag="unlock_connector"):
    connector_id: Annotated[int, msgspec.Meta(ge=1)]


class ChangeAvailability(msgspec.Struct, frozen=True, tag="change_availability"):
    connector_id: ConnectorId
    operative: bool


TriggerableMessage = Literal[
    "BootNotification",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
]


class TriggerMessage(msgspec.Struct, frozen=True, tag="trigger_message"):
    message: TriggerableMessage
    connector_id: ConnectorId | None = None


class GetConfiguration(msgspec.Struct, frozen=True, tag="get_configuration"):
    keys: tuple[Annotated[str, msgspec.Meta(max_length=50)], ...] = ()


class ChangeConfiguration(msgspec.Struct, frozen=True, tag="change_configuration"):
    key: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    value: Annotated[str, msgspec.Meta(max_length=500)]


class ClearCache(msgspec.Struct, frozen=True, tag="clear_cache"):
    pass


class LocalListEntry(msgspec.Struct, frozen=True):
    id_tag: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    # None removes the entry in a differential update.
    status: Literal["Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"] | None = None
    expires_at: datetime | None = None
    parent_id_tag: Annotated[str, msgspec.Meta(max_length=20)] | None = None


class SendLocalList(msgspec.Struct, frozen=True, tag="send_local_list"):
    list_version: int
    update_type: Literal["Full", "Differential"]
    entries: tuple[LocalListEntry, ...] = ()


class GetLocalListVersion(msgspec.Struct, frozen=True, tag="get_local_list_version"):
    pass


Command = (
    RemoteStart
    | RemoteStop
    | ReserveNow
    | CancelReservation
    | Reset
    | UnlockConnector
    | ChangeAvailability
    | TriggerMessage
    | GetConfiguration
    | ChangeConfiguration
    | ClearCache
    | SendLocalList
    | GetLocalListVersion
)


class ConfigurationValue(msgspec.Struct, frozen=True):
    key: str
    readonly: bool
    value: str | None = None


class CommandResult(msgspec.Struct, frozen=True, kw_only=True):
    """The station's answer. `status` is its status word (Accepted, Rejected, Unlocked…)."""

    status: str
    configuration: tuple[ConfigurationValue, ...] | None = None
    unknown_keys: tuple[str, ...] | None = None
    list_version: int | None = None


class CommandRequest(msgspec.Struct, frozen=True):
    command: Command
    timeout_s: float


class CommandReply(msgspec.Struct, frozen=True, kw_only=True):
    result: CommandResult | None = None
    error_code: str | None = None  # charger_timeout, charger_error, charger_unavailable
    error_message: str = ""


def command_topic(identity: str) -> str:
    return f"station.{identity}.command"


async def send_command(
    ctx: Context, identity: str, command: Command, *, timeout_s: float | None = None
) -> CommandResult:
    """Send `command` to the station and return its answer.

    Raises ChargerUnavailable (not connected), ChargerTimeout (no answer in time) or
    ChargerError (the station answered with an error).
    """
    timeout = timeout_s if timeout_s is not None else ctx.settings.ocpp_call_timeout_s
    request = msgspec.json.encode(CommandRequest(command, timeout))
    try:
        raw = await ctx.bus.request(command_topic(identity), request, timeout + BUS_MARGIN_S)
    except NoResponder:
        raise ChargerUnavailable(f"station {identity} is not connected") from None
    except TimeoutError:
        raise ChargerTimeout(f"station {identity} did not answer within {timeout:g} s") from None
    reply = msgspec.json.decode(raw, type=CommandReply)
    if reply.result is not None:
        return reply.result
    if reply.error_code == ChargerTimeout.code:
        raise ChargerTimeout(reply.error_message)
    if reply.error_code == ChargerUnavailable.code:
        raise ChargerUnavailable(reply.error_message)
    raise ChargerError(reply.error_message or "the station answered with an error")
