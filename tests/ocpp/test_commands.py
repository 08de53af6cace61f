"""Commands from the core to a charger: one call in flight, answers back, clear errors."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cpo.errors import ChargerError, ChargerTimeout, ChargerUnavailable
from cpo.stations import commands as cmd
from cpo.stations.commands import send_command
from tests.support.ocpp_client import connect
from tests.support.platform import RunningPlatform

STATION = "DEMO-AC-1"
PASSWORD = "demo-password-demo-ac-1"


async def booted(client: Any) -> None:
    await client.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})


async def test_each_command_becomes_its_ocpp_call_and_the_answer_comes_back(
    platform: RunningPlatform,
) -> None:
    async with connect(platform.ocpp_url, STATION, PASSWORD) as client:
        await booted(client)
        client.handlers = {
            "RemoteStartTransaction": lambda payload: {"status": "Accepted"},
            "RemoteStopTransaction": lambda payload: {"status": "Rejected"},
            "Reset": lambda payload: {"status": "Accepted"},
            "UnlockConnector": lambda payload: {"status": "Unlocked"},
            "ChangeAvailability": lambda payload: {"status": "Scheduled"},
            "TriggerMessage": lambda payload: {"status": "Accepted"},
            "GetConfiguration": lambda payload: {
                "configurationKey": [
                    {"key": "HeartbeatInterval", "readonly": False, "value": "300"}
                ],
                "unknownKey": ["Nope"],
            },
            "ChangeConfiguration": lambda payload: {"status": "RebootRequired"},
            "ClearCache": lambda payload: {"status": "Accepted"},
            "SendLocalList": lambda payload: {"status": "VersionMismatch"},
            "GetLocalListVersion": lambda payload: {"listVersion": 7},
        }
        ctx = platform.ctx
        expectations: list[tuple[cmd.Command, str, dict[str, Any], str]] = [
            (
                cmd.RemoteStart(id_tag="04A2B3C4D5E6F7", connector_id=2),
                "RemoteStartTransaction",
                {"idTag": "04A2B3C4D5E6F7", "connectorId": 2},
                "Accepted",
            ),
            (
                cmd.RemoteStop(transaction_id="42"),
                "RemoteStopTransaction",
                {"transactionId": 42},
                "Rejected",
            ),
            (cmd.Reset(kind="Hard"), "Reset", {"type": "Hard"}, "Accepted"),
            (
                cmd.UnlockConnector(connector_id=1),
                "UnlockConnector",
                {"connectorId": 1},
                "Unlocked",
            ),
            (
                cmd.ChangeAvailability(connector_id=0, operative=False),
                "ChangeAvailability",
                {"connectorId": 0, "type": "Inoperative"},
                "Scheduled",
            ),
            (
                cmd.TriggerMessage(message="StatusNotification", connector_id=1),
                "TriggerMessage",
                {"requestedMessage": "StatusNotification", "connectorId": 1},
                "Accepted",
            ),
            (
                cmd.ChangeConfiguration(key="HeartbeatInterval", value="60"),
                "ChangeConfiguration",
                {"key": "HeartbeatInterval", "value": "60"},
                "RebootRequired",
            ),
            (cmd.ClearCache(), "ClearCache", {}, "Accepted"),
            (
                cmd.SendLocalList(
                    list_version=3,
                    update_type="Differential",
                    entries=(
                        cmd.LocalListEntry(id_tag="04C0FFEE000BAD", status="Blocked"),
                        cmd.LocalListEntry(id_tag="04OLD"),
                    ),
                ),
                "SendLocalList",
                {
                    "listVersion": 3,
                    "updateType": "Differential",
                    "localAuthorizationList": [
                        {"idTag": "04C0FFEE000BAD", "idTagInfo": {"status": "Blocked"}},
                        {"idTag": "04OLD"},
                    ],
                },
                "VersionMismatch",
            ),
        ]
        for command, action, payload, status in expectations:
            result = await send_command(ctx, STATION, command)
            assert result.status == status
            assert client.received_calls[-1] == (action, payload)

        configuration = await send_command(
            ctx, STATION, cmd.GetConfiguration(keys=("HeartbeatInterval", "Nope"))
        )
        assert configuration.configuration == (
            cmd.ConfigurationValue("HeartbeatInterval", False, "300"),
        )
        assert configuration.unknown_keys == ("Nope",)
        assert client.received_calls[-1] == (
            "GetConfiguration",
            {"key": ["HeartbeatInterval", "Nope"]},
        )
        version = await send_command(ctx, STATION, cmd.GetLocalListVersion())
        assert version.list_version == 7


async def test_one_call_in_flight_per_charger(platform: RunningPlatform) -> None:
    release = asyncio.Event()
    first_arrived = asyncio.Event()
    in_flight = 0
    most_in_flight = 0

    async def slow_answer(payload: dict[str, Any]) -> dict[str, Any]:
        nonlocal in_flight, most_in_flight
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        first_arrived.set()
        await release.wait()
        in_flight -= 1
        return {"status": "Accepted"}

    async with connect(platform.ocpp_url, STATION, PASSWORD) as client:
        await booted(client)
        client.handlers["ClearCache"] = slow_answer
        pending = [
            asyncio.create_task(send_command(platform.ctx, STATION, cmd.ClearCache()))
            for _ in range(5)
        ]
        async with asyncio.timeout(5):
            await first_arrived.wait()
        # A round trip through the server: a second call sent too early would be here by now.
        await client.call("Heartbeat", {})
        assert len(client.received_calls) == 1  # the other four wait their turn
        release.set()
        results = await asyncio.gather(*pending)
    assert [result.status for result in results] == ["Accepted"] * 5
    assert most_in_flight == 1
    assert len(client.received_calls) == 5


async def test_timeout_is_a_clear_error_and_the_next_command_goes_through(
    platform: RunningPlatform,
) -> None:
    never = asyncio.Event()

    async def no_answer(payload: dict[str, Any]) -> dict[str, Any]:
        await never.wait()
        return {}

    async with connect(platform.ocpp_url, STATION, PASSWORD) as client:
        await booted(client)
        client.handlers["Reset"] = no_answer
        client.handlers["ClearCache"] = lambda payload: {"status": "Accepted"}
        with pytest.raises(ChargerTimeout, match=r"did not answer Reset within 0\.2 s"):
            await send_command(platform.ctx, STATION, cmd.Reset(), timeout_s=0.2)
        result = await send_command(platform.ctx, STATION, cmd.ClearCache())
        assert result.status == "Accepted"


async def test_call_error_and_invalid_answers_are_charger_errors(platform: RunningPlatform) -> None:
    async with connect(platform.ocpp_url, STATION, PASSWORD) as client:
        await booted(client)
        # No handler: the test client answers NotImplemented.
        with pytest.raises(ChargerError, match="NotImplemented"):
            await send_command(platform.ctx, STATION, cmd.ClearCache())
        client.handlers["ClearCache"] = lambda payload: {"status": "Maybe"}
        with pytest.raises(ChargerError, match="invalid answer"):
            await send_command(platform.ctx, STATION, cmd.ClearCache())


async def test_station_not_connected(platform: RunningPlatform) -> None:
    with pytest.raises(ChargerUnavailable, match="DEMO-AC-2 is not connected"):
        await send_command(platform.ctx, "DEMO-AC-2", cmd.ClearCache())


async def test_station_disconnecting_during_a_command(platform: RunningPlatform) -> None:
    async with connect(platform.ocpp_url, STATION, PASSWORD) as client:
        await booted(client)

        async def hang_up(payload: dict[str, Any]) -> dict[str, Any]:
            await client.websocket.close()
            return {}

        client.handlers["Reset"] = hang_up
        with pytest.raises(ChargerUnavailable, match="disconnected"):
            await send_command(platform.ctx, STATION, cmd.Reset())
