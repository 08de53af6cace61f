"""Two app nodes sharing one database and one Redis act as one system."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from cpo.context import Context
from cpo.errors import ChargerUnavailable
from cpo.redis_bus import RedisBus
from cpo.stations import commands as cmd
from cpo.stations.commands import send_command
from cpo.stations.tables import ChargeStation
from tests.support.ocpp_client import connect
from tests.support.platform import RunningPlatform, start_platform

STATION = "DEMO-AC-3"
PASSWORD = "demo-password-demo-ac-3"


@pytest.fixture
async def two_nodes(
    demo: Context, redis_url: str
) -> AsyncIterator[tuple[RunningPlatform, RunningPlatform]]:
    # A namespace of its own, so that parallel runs on one Redis do not meet.
    namespace = f"test-{uuid.uuid4().hex[:8]}"
    nodes = []
    buses = []
    try:
        for name in ("node-a", "node-b"):
            bus = RedisBus(redis_url, name, namespace=namespace)
            await bus.start()
            buses.append(bus)
            settings = demo.settings.replace(node_id=name)
            nodes.append(await start_platform(Context(settings, bus, demo.clock)))
        yield nodes[0], nodes[1]
    finally:
        for node in nodes:
            await node.stop()
        for bus in buses:
            await bus.close()


async def station_node() -> Any:
    row = (
        await ChargeStation.select(ChargeStation.connected_node)
        .where(ChargeStation.identity == STATION)
        .first()
    )
    assert row is not None
    return row["connected_node"]


async def test_a_command_through_one_node_reaches_a_charger_on_the_other(
    two_nodes: tuple[RunningPlatform, RunningPlatform],
) -> None:
    node_a, node_b = two_nodes
    async with connect(node_a.ocpp_url, STATION, PASSWORD) as charger:
        await charger.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
        charger.handlers["UnlockConnector"] = lambda payload: {"status": "Unlocked"}
        assert await station_node() == "node-a"
        result = await send_command(node_b.ctx, STATION, cmd.UnlockConnector(connector_id=1))
        assert result.status == "Unlocked"
        assert charger.received_calls == [("UnlockConnector", {"connectorId": 1})]
    with pytest.raises(ChargerUnavailable, match="not connected"):
        await send_command(node_b.ctx, STATION, cmd.UnlockConnector(connector_id=1))


async def test_a_charger_reconnecting_to_another_node_leaves_the_first(
    two_nodes: tuple[RunningPlatform, RunningPlatform],
) -> None:
    node_a, node_b = two_nodes
    async with connect(node_a.ocpp_url, STATION, PASSWORD) as old:
        await old.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
        async with connect(node_b.ocpp_url, STATION, PASSWORD) as new:
            await asyncio.wait_for(old.websocket.wait_closed(), timeout=5)
            new.handlers["ClearCache"] = lambda payload: {"status": "Accepted"}
            # Commands from either node now go to the new connection.
            for node in (node_a, node_b):
                result = await send_command(node.ctx, STATION, cmd.ClearCache())
                assert result.status == "Accepted"
            assert await station_node() == "node-b"
            assert STATION not in node_a.bridge.connections
