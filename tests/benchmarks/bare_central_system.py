"""The baseline: a central system made with the `ocpp` package alone, as its examples do.

No persistence, no authentication: it answers BootNotification, Heartbeat, StatusNotification,
StartTransaction and MeterValues, with the package's JSON-schema validation and routing.
Run: python -m tests.benchmarks.bare_central_system PORT
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sys
from datetime import UTC, datetime
from typing import Any

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus

_transaction_ids = itertools.count(1)


class BareCentralSystem(ChargePoint):
    @on(Action.boot_notification)
    def on_boot_notification(self, **_: Any) -> call_result.BootNotification:
        return call_result.BootNotification(
            current_time=datetime.now(UTC).isoformat(),
            interval=300,
            status=RegistrationStatus.accepted,
        )

    @on(Action.heartbeat)
    def on_heartbeat(self) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time=datetime.now(UTC).isoformat())

    @on(Action.status_notification)
    def on_status_notification(self, **_: Any) -> call_result.StatusNotification:
        return call_result.StatusNotification()

    @on(Action.start_transaction)
    def on_start_transaction(self, **_: Any) -> call_result.StartTransaction:
        return call_result.StartTransaction(
            transaction_id=next(_transaction_ids),
            id_tag_info={"status": AuthorizationStatus.accepted},
        )

    @on(Action.meter_values)
    def on_meter_values(self, **_: Any) -> call_result.MeterValues:
        return call_result.MeterValues()


async def on_connect(websocket: Any) -> None:
    identity = websocket.request.path.rstrip("/").rpartition("/")[2]
    await BareCentralSystem(identity, websocket).start()


async def serve(port: int) -> None:
    async with websockets.serve(
        on_connect,
        "127.0.0.1",
        port,
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
    ):
        await asyncio.Future()


if __name__ == "__main__":
    logging.getLogger("ocpp").setLevel(logging.WARNING)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(serve(int(sys.argv[1])))
