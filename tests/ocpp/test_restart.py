"""A server killed in the middle of a session loses nothing.

The platform runs as a real process (`cpo run`) that the test kills with SIGKILL, as a
crash or an out-of-memory kill would. The charger meanwhile keeps its transaction messages,
reconnects to the restarted server and delivers them; the session completes correctly.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cpo.sessions.tables import ChargingSession, MeterSample
from tests.support.ocpp_client import connect

STATION = "DEMO-DC-1"
PASSWORD = "demo-password-demo-dc-1"
CARD = "04B1C2D3E4F5A6"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def at(minute: int) -> str:
    return (datetime(2026, 11, 25, 9, 0, tzinfo=UTC) + timedelta(minutes=minute)).isoformat()


def meter_values(transaction_id: int, wh: int, minute: int) -> dict[str, Any]:
    return {
        "connectorId": 1,
        "transactionId": transaction_id,
        "meterValue": [
            {
                "timestamp": at(minute),
                "sampledValue": [
                    {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                    {"value": "148000", "measurand": "Power.Active.Import", "unit": "W"},
                    {"value": str(20 + minute), "measurand": "SoC", "unit": "Percent"},
                ],
            }
        ],
    }


@contextlib.asynccontextmanager
async def platform_process(
    database_url: str, port: int
) -> AsyncIterator[asyncio.subprocess.Process]:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CPO_HOST": "127.0.0.1",
        "CPO_PORT": str(port),
        "CPO_LOG_FORMAT": "json",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cpo.cli",
        "run",
        env=environment,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient() as http, asyncio.timeout(30):
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"http://127.0.0.1:{port}/api/health")).status_code == 200:
                        break
                if process.returncode is not None:
                    pytest.fail(f"cpo run exited with {process.returncode}")
                await asyncio.sleep(0.1)
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def test_killed_server_loses_nothing_of_a_running_session(
    demo: Any, database_url: str
) -> None:
    port = free_port()
    ocpp_url = f"ws://127.0.0.1:{port}/ocpp"
    async with (
        platform_process(database_url, port) as server,
        connect(ocpp_url, STATION, PASSWORD) as client,
    ):
        await client.call(
            "BootNotification",
            {"chargePointVendor": "Alpitronic", "chargePointModel": "HYC150"},
        )
        started = await client.call(
            "StartTransaction",
            {"connectorId": 1, "idTag": CARD, "meterStart": 1_000_000, "timestamp": at(0)},
        )
        transaction_id = started["transactionId"]
        await client.call("MeterValues", meter_values(transaction_id, 1_002_500, 1))
        server.send_signal(signal.SIGKILL)
        await server.wait()
        await client.websocket.wait_closed()

    # While the server is down the charger goes on charging and queues its messages.
    queued = [
        ("MeterValues", meter_values(transaction_id, 1_005_000, 2)),
        ("MeterValues", meter_values(transaction_id, 1_007_400, 3)),
        (
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "idTag": CARD,
                "meterStop": 1_007_512,
                "timestamp": at(4),
                "reason": "EVDisconnected",
            },
        ),
    ]

    async with platform_process(database_url, port), connect(ocpp_url, STATION, PASSWORD) as client:
        await client.call(
            "BootNotification", {"chargePointVendor": "Alpitronic", "chargePointModel": "HYC150"}
        )
        for action, payload in queued:
            await client.call(action, payload)

    session = (
        await ChargingSession.select()
        .where(ChargingSession.ocpp_transaction_id == str(transaction_id))
        .first()
    )
    assert session is not None
    assert session["state"] == "completed"
    assert session["energy_wh"] == 7_512
    assert session["needs_reconciliation"] is False
    assert session["stop_reason"] == "EVDisconnected"
    samples = await MeterSample.count().where(MeterSample.session == session["id"])
    assert samples == 3 * 3
    assert await ChargingSession.count() == 1
