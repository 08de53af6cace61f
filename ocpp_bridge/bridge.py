"""The OCPP endpoint: `ws(s)://host/ocpp/{identity}`, a Litestar WebSocket route.

Before the upgrade the station is authenticated (security profile 1: HTTP Basic auth per
station) and refused with 401 if that fails. After it, the connection registers on the
message bus, so that commands from any node reach it, and takes over from an older
connection of the same station.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
from typing import Any

import msgspec
from litestar import WebSocket, websocket
from litestar.datastructures import State
from litestar.params import FromPath

from cpo.context import Context
from cpo.sessions.meter_writer import MeterWriter
from cpo.stations import service as stations
from cpo.stations.commands import command_topic
from cpo.stations.frame_log import FrameLog
from cpo.stations.schemas import StationConnectionChanged
from ocpp_bridge.connection import ChargerConnection, OcppVersion
from ocpp_bridge.v16.protocol import OcppV16

log = logging.getLogger(__name__)

PROTOCOLS: dict[str, OcppVersion] = {"ocpp1.6": OcppV16()}
DEFAULT_SUBPROTOCOL = "ocpp1.6"
# Largest frame accepted; signed meter data is a few kB, a whole day of transaction data more.
MAX_FRAME_BYTES = 1024 * 1024
# Uvicorn's WebSocket implementation: the fastest one (about 10 % more calls/s than wsproto).
WEBSOCKET_IMPLEMENTATION = "websockets-sansio"


class _RefusedUpgradeNoise(logging.Filter):
    """Uvicorn's sansio protocol logs an error after every refused upgrade (our 401s), although
    the refusal went out correctly; such a line would hide real errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "ASGI callable returned without completing handshake."


def quiet_refused_upgrades() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(existing, _RefusedUpgradeNoise) for existing in logger.filters):
        logger.addFilter(_RefusedUpgradeNoise())


class Bridge:
    """Per-process state of the OCPP endpoint: the meter writer, the message log and open
    connections."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.meter_writer = MeterWriter(ctx)
        self.frame_log = FrameLog(ctx)
        self.validate_outgoing = ctx.settings.ocpp_validate_outgoing
        self.connections: dict[str, ChargerConnection] = {}

    async def start(self) -> None:
        await stations.forget_connections_of_node(self.ctx)
        await self.meter_writer.start()
        await self.frame_log.start()

    async def stop(self) -> None:
        for connection in list(self.connections.values()):
            with contextlib.suppress(Exception):
                await connection.close_socket()
        await self.meter_writer.stop()
        await self.frame_log.stop()


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, separator, password = decoded.partition(":")
    if not separator:
        return None
    return user, password


async def _deny(socket: WebSocket[Any, Any, Any], status: int, reason: str) -> None:
    """Answer the upgrade request with a plain HTTP status (ASGI WebSocket denial response)."""
    headers = [(b"content-type", b"text/plain; charset=utf-8")]
    if status == 401:
        headers.append((b"www-authenticate", b'Basic realm="OCPP", charset="UTF-8"'))
    if "websocket.http.response" in (socket.scope.get("extensions") or {}):
        start: Any = {"type": "websocket.http.response.start", "status": status, "headers": headers}
        body: Any = {"type": "websocket.http.response.body", "body": reason.encode()}
        await socket.send(start)
        await socket.send(body)
    else:
        await socket.close(code=1008, reason=reason)


def _choose_subprotocol(offered: list[str]) -> str | None:
    if not offered:
        # Some chargers leave the header out; OCPP-J 1.6 is what they speak then.
        return DEFAULT_SUBPROTOCOL
    for name in offered:
        if name.lower() in PROTOCOLS:
            return name.lower()
    return None


@websocket("/ocpp/{identity:str}", name="ocpp")
async def ocpp_endpoint(
    socket: WebSocket[Any, Any, Any], identity: FromPath[str], state: State
) -> None:
    bridge: Bridge = state.bridge
    ctx = bridge.ctx
    offered = list(socket.scope.get("subprotocols") or [])
    subprotocol = _choose_subprotocol(offered)
    if subprotocol is None:
        log.warning(
            "%s offered no supported subprotocol: %s",
            identity,
            offered,
            extra={"station": identity},
        )
        await _deny(socket, 400, "supported subprotocols: " + ", ".join(PROTOCOLS))
        return
    credentials = _basic_credentials(socket.headers.get("authorization"))
    if credentials is not None and credentials[0] != identity:
        log.warning("%s authenticated as another identity %r", identity, credentials[0])
        await _deny(socket, 401, "unauthorized")
        return
    decision = await stations.authenticate(ctx, identity, credentials and credentials[1])
    if not decision.allowed or decision.station is None:
        log.warning(
            "connection of %s refused: %s",
            identity,
            decision.reason,
            extra={"station": identity, "reason": decision.reason},
        )
        await _deny(socket, 401, "unauthorized")
        return
    await socket.accept(subprotocols=subprotocol if offered else None)
    connection = ChargerConnection(
        bridge=bridge,
        station=decision.station,
        protocol=PROTOCOLS[subprotocol],
        send_text=socket.send_text,
        close_socket=lambda: socket.close(code=1000),
    )
    await _serve(bridge, connection, socket)


async def _serve(
    bridge: Bridge, connection: ChargerConnection, socket: WebSocket[Any, Any, Any]
) -> None:
    ctx = bridge.ctx
    identity = connection.station.identity
    previous = bridge.connections.get(identity)
    bridge.connections[identity] = connection
    # Serve commands first, then announce the connection: when an older connection (on this
    # node or another) hears of it and steps back, this one already answers.
    takeovers = await ctx.bus.subscribe(f"station.{identity}.connected")
    responder = await ctx.bus.serve(command_topic(identity), connection.on_command)
    watcher = asyncio.create_task(_step_back_when_taken_over(bridge, connection, takeovers))
    if previous is not None:
        await _retire(bridge, previous)
    await stations.mark_connected(ctx, connection.station, connection.connection_id)
    log.info(
        "%s connected (%s)",
        identity,
        connection.protocol.subprotocol,
        extra={"station": identity, "connection": connection.connection_id},
    )
    try:
        while True:
            message: Any = await socket.receive()
            if message["type"] == "websocket.disconnect":
                break
            data: str | bytes | None = message.get("text")
            if data is None:
                data = message.get("bytes")
            if data is None:
                continue
            if len(data) > MAX_FRAME_BYTES:
                log.warning("%s sent a frame of %d bytes; ignored", identity, len(data))
                continue
            # Frames keep being read after a failed send, so that answers the charger sent
            # before hanging up (a Reset's Accepted) still reach their callers.
            await connection.handle_frame(data)
    except Exception:  # a broken socket ends this connection, never the server
        log.exception("%s connection failed", identity)
    finally:
        watcher.cancel()
        connection.retired = True
        await takeovers.close()
        await responder.close()
        connection.abandon_pending_calls()
        if bridge.connections.get(identity) is connection:
            del bridge.connections[identity]
        with contextlib.suppress(Exception):
            await stations.mark_disconnected(ctx, connection.station, connection.connection_id)
        log.info(
            "%s disconnected",
            identity,
            extra={"station": identity, "connection": connection.connection_id},
        )


async def _retire(bridge: Bridge, connection: ChargerConnection) -> None:
    """Stop serving an older connection of a station that connected anew, then close it."""
    connection.retired = True
    if bridge.connections.get(connection.station.identity) is connection:
        del bridge.connections[connection.station.identity]
    with contextlib.suppress(Exception):
        await connection.close_socket()


async def _step_back_when_taken_over(
    bridge: Bridge, connection: ChargerConnection, takeovers: Any
) -> None:
    async for raw in takeovers:
        event = msgspec.json.decode(raw, type=StationConnectionChanged)
        if event.connected and event.connection_id != connection.connection_id:
            log.info(
                "%s reconnected on %s; closing the old socket",
                connection.station.identity,
                event.node_id,
                extra={"station": connection.station.identity},
            )
            await _retire(bridge, connection)
            return
