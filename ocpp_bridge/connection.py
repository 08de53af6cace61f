"""One charger's WebSocket: incoming calls answered in order, outgoing calls one at a time."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import msgspec

from cpo.bus import NoResponder
from cpo.errors import ChargerError, ChargerTimeout, ChargerUnavailable, DomainError
from cpo.stations.commands import Command, CommandReply, CommandRequest, CommandResult
from cpo.stations.frame_log import Direction
from cpo.stations.schemas import StationRef
from ocpp_bridge import rpc

if TYPE_CHECKING:
    from ocpp_bridge.bridge import Bridge

log = logging.getLogger(__name__)

ResponseT = TypeVar("ResponseT", bound=msgspec.Struct)
Handler = Callable[["ChargerConnection", Any], Awaitable[msgspec.Struct]]


@dataclass(frozen=True, slots=True)
class Route:
    """How one incoming action is decoded and answered."""

    handler: Handler
    decoder: msgspec.json.Decoder[Any]
    # Decodes what the strict decoder refused, for messages that must never be refused.
    fallback: Callable[[msgspec.Raw], Any] | None = None


class OcppVersion(Protocol):
    """What a protocol version (ocpp1.6, later ocpp2.0.1) gives a connection."""

    subprotocol: str
    error_codes: rpc.PayloadErrorCodes
    routes: dict[str, Route]
    known_actions: frozenset[str]

    async def execute(
        self, connection: ChargerConnection, command: Command, timeout_s: float
    ) -> CommandResult: ...

    def check_outgoing(self, action: str, frame: bytes, *, is_call: bool) -> None: ...


@dataclass(eq=False)
class ChargerConnection:
    bridge: Bridge
    station: StationRef
    protocol: OcppVersion
    send_text: Callable[[str], Awaitable[None]]
    close_socket: Callable[[], Awaitable[None]]
    connection_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    _send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _call_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _pending: dict[str, asyncio.Future[rpc.Frame]] = field(default_factory=dict)
    # Set once another connection of the station took over: this one serves nothing more.
    retired: bool = False

    @property
    def ctx(self) -> Any:
        return self.bridge.ctx

    async def send(self, frame: bytes) -> None:
        text = frame.decode()
        self.bridge.frame_log.record(self.station.station_id, Direction.OUT, text)
        async with self._send_lock:
            await self.send_text(text)

    async def handle_frame(self, data: str | bytes) -> None:
        self.bridge.frame_log.record(self.station.station_id, Direction.IN, data)
        codes = self.protocol.error_codes
        try:
            frame = rpc.decode_frame(data, formation_violation=codes.formation_violation)
        except rpc.RpcError as error:
            log.warning(
                "%s sent a malformed frame: %s",
                self.station.identity,
                error,
                extra={"station": self.station.identity, "ocpp_error": error.code},
            )
            await self.send(rpc.encode_call_error(error))
            return
        if isinstance(frame, rpc.Call):
            answer = await self._answer(frame)
            try:
                await self.send(answer)
            except Exception as error:  # the charger hung up: it retries the call unanswered
                log.info("%s: could not answer %s: %s", self.station.identity, frame.action, error)
            return
        waiter = self._pending.pop(frame.message_id, None)
        if waiter is None or waiter.done():
            log.info("%s answered unknown call %s", self.station.identity, frame.message_id)
            return
        waiter.set_result(frame)

    async def _answer(self, call: rpc.Call) -> bytes:
        route = self.protocol.routes.get(call.action)
        codes = self.protocol.error_codes
        if route is None:
            if call.action in self.protocol.known_actions:
                error = rpc.RpcError(
                    "NotImplemented", f"{call.action} is not handled", call.message_id
                )
            else:
                error = rpc.RpcError(
                    "NotSupported", f"unknown action {call.action}", call.message_id
                )
            return rpc.encode_call_error(error)
        try:
            request = route.decoder.decode(call.payload)
        except (msgspec.ValidationError, msgspec.DecodeError) as invalid:
            request = None
            if route.fallback is not None:
                request = route.fallback(call.payload)
            if request is None:
                log.warning(
                    "%s sent an invalid %s: %s", self.station.identity, call.action, invalid
                )
                return rpc.encode_call_error(
                    rpc.payload_error(invalid, codes, call.message_id, call.action)
                )
        try:
            response = await route.handler(self, request)
        except DomainError as error:
            log.warning("%s %s refused: %s", self.station.identity, call.action, error)
            return rpc.encode_call_error(
                rpc.RpcError("InternalError", error.message, call.message_id, {"code": error.code})
            )
        except Exception:
            # The charger keeps the message and retries; the connection stays open.
            log.exception(
                "%s %s failed",
                self.station.identity,
                call.action,
                extra={"station": self.station.identity, "action": call.action},
            )
            return rpc.encode_call_error(
                rpc.RpcError("InternalError", "could not process the message now", call.message_id)
            )
        frame = rpc.encode_call_result(call.message_id, response)
        if self.bridge.validate_outgoing:
            try:
                self.protocol.check_outgoing(call.action, frame, is_call=False)
            except Exception as error:
                log.error("our %s answer breaks the schema: %s", call.action, error)
                return rpc.encode_call_error(
                    rpc.RpcError("InternalError", f"invalid answer: {error}", call.message_id)
                )
        return frame

    async def call(
        self,
        action: str,
        payload: msgspec.Struct,
        response_type: type[ResponseT],
        timeout_s: float,
    ) -> ResponseT:
        """Send a call to the charger and wait for its answer (one call in flight at a time)."""
        message_id = str(uuid.uuid4())
        frame = rpc.encode_call(message_id, action, payload)
        if self.bridge.validate_outgoing:
            self.protocol.check_outgoing(action, frame, is_call=True)
        try:
            async with asyncio.timeout(timeout_s), self._call_lock:
                waiter: asyncio.Future[rpc.Frame] = asyncio.get_running_loop().create_future()
                self._pending[message_id] = waiter
                try:
                    await self.send(frame)
                    answer = await waiter
                finally:
                    self._pending.pop(message_id, None)
        except TimeoutError:
            raise ChargerTimeout(
                f"station {self.station.identity} did not answer {action} within {timeout_s:g} s"
            ) from None
        if isinstance(answer, rpc.CallError):
            raise ChargerError(f"{action}: {answer.code} {answer.description}".strip())
        assert isinstance(answer, rpc.CallResult)
        try:
            return msgspec.json.decode(answer.payload, type=response_type)
        except (msgspec.ValidationError, msgspec.DecodeError) as error:
            raise ChargerError(f"{action}: invalid answer from the station: {error}") from None

    async def on_command(self, raw: bytes) -> bytes:
        """Bus handler: run a command from anywhere in the system on this socket."""
        if self.retired:
            raise NoResponder(f"station {self.station.identity} reconnected elsewhere")
        try:
            request = msgspec.json.decode(raw, type=CommandRequest)
        except msgspec.ValidationError as error:
            return msgspec.json.encode(
                CommandReply(error_code="invalid_command", error_message=str(error))
            )
        try:
            result = await self.protocol.execute(self, request.command, request.timeout_s)
        except DomainError as error:
            return msgspec.json.encode(
                CommandReply(error_code=error.code, error_message=error.message)
            )
        return msgspec.json.encode(CommandReply(result=result))

    def abandon_pending_calls(self) -> None:
        for waiter in self._pending.values():
            if not waiter.done():
                waiter.set_exception(
                    ChargerUnavailable(f"station {self.station.identity} disconnected")
                )
        self._pending.clear()
