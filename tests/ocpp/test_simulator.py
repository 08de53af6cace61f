"""The simulated charger against the real platform: every command answered, RFID sessions,
one command in flight per charger, and the offline queue that loses no billable message."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC
from typing import Any, Literal

import msgspec
import pytest

from cpo import database
from cpo.demo import DEMO_CARDS, DEMO_STATIONS
from cpo.errors import ChargerUnavailable
from cpo.sessions.enums import SessionState
from cpo.sessions.tables import ChargingSession, MeterSample
from cpo.stations import commands as cmd
from cpo.stations.commands import send_command
from cpo.stations.enums import StationEventKind
from cpo.stations.schemas import StationConnectionChanged
from cpo.stations.tables import ChargeStation, Connector, ConnectorStatusEvent, StationEvent
from cpo.tokens.enums import TokenStatus
from cpo.tokens.tables import IdToken
from ocpp_bridge.simulator import SimulatedStation, SimulatedTransaction, demo_connectors
from tests.support.platform import RunningPlatform, start_platform

AC_STATION = "DEMO-AC-1"  # two 11 kW AC connectors
DC_STATION = "DEMO-DC-1"  # one 150 kW DC connector
ANNA, BEN, FLEET_1, FLEET_2 = (card.uid for card in DEMO_CARDS[:4])
BLOCKED = next(card.uid for card in DEMO_CARDS if card.status is TokenStatus.BLOCKED)
ENERGY = "Energy.Active.Import.Register"
# Ten simulated minutes per real second; a meter value every 50 ms.
SPEED = 600.0
METER_INTERVAL_S = 0.05
WAIT_S = 5.0

StartStation = Callable[..., Awaitable[SimulatedStation]]


@pytest.fixture
async def simulate(platform: RunningPlatform) -> AsyncIterator[StartStation]:
    """Starts simulated demo stations against the platform; they stop with the test."""
    runs: list[asyncio.Task[None]] = []

    async def start(identity: str = AC_STATION, **options: Any) -> SimulatedStation:
        demo = next(station for station in DEMO_STATIONS if station.identity == identity)
        tuning: dict[str, Any] = {
            "meter_interval_s": METER_INTERVAL_S,
            "speed": SPEED,
            "response_timeout_s": WAIT_S,
            "reconnect_initial_s": 0.05,
            "reconnect_max_s": 0.3,
        }
        tuning.update(options)
        station = SimulatedStation(
            identity, demo.password, platform.ocpp_url, demo_connectors(demo), **tuning
        )
        runs.append(asyncio.create_task(station.run(), name=f"simulated {identity}"))
        await station.wait_booted(WAIT_S)
        await settled(station)
        return station

    yield start
    for run in runs:
        run.cancel()
    await asyncio.gather(*runs, return_exceptions=True)


async def settled(station: SimulatedStation) -> None:
    """Everything the station queued has been answered (so the platform has committed it)."""
    await station.wait_for(lambda: station.booted and station.queued() == 0, WAIT_S)


async def charging(
    station: SimulatedStation, connector_id: int, id_tag: str
) -> SimulatedTransaction:
    """Plug in and present a card; returns the transaction once the platform numbered it."""
    await station.plug_in(connector_id)
    assert await station.present_card(connector_id, id_tag) == "Accepted"
    transaction = station.connector(connector_id).transaction
    assert transaction is not None
    await station.wait_for(lambda: transaction.transaction_id is not None, WAIT_S)
    return transaction


async def station_pk(identity: str) -> int:
    row = (
        await ChargeStation.select(ChargeStation.id)
        .where(ChargeStation.identity == identity)
        .first()
    )
    assert row is not None
    return int(row["id"])


async def session_of(identity: str, transaction: SimulatedTransaction) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await ChargingSession.select()
        .where(
            (ChargingSession.station == await station_pk(identity))
            & (ChargingSession.ocpp_transaction_id == str(transaction.transaction_id))
        )
        .first()
    )
    assert row is not None, f"no session for transaction {transaction.transaction_id}"
    return row


async def assert_completed(
    identity: str, transaction: SimulatedTransaction, reason: str
) -> dict[str, Any]:
    """The session is complete with the simulator's meter readings and every periodic sample."""
    assert transaction.stop_delivered
    session = await session_of(identity, transaction)
    assert session["state"] == SessionState.COMPLETED
    assert session["stop_reason"] == reason
    assert session["meter_start_wh"] == transaction.meter_start_wh
    assert session["meter_stop_wh"] == transaction.meter_stop_wh
    assert transaction.energy_wh is not None
    assert transaction.energy_wh > 0
    assert session["energy_wh"] == transaction.energy_wh
    assert not session["needs_reconciliation"]
    samples = await MeterSample.select(MeterSample.measured_at).where(
        (MeterSample.session == session["id"])
        & (MeterSample.measurand == ENERGY)
        & (MeterSample.context == "Sample.Periodic")
    )
    # A set: a message whose answer was lost is sent again, and may be stored twice.
    assert {sample["measured_at"].astimezone(UTC) for sample in samples} == set(
        transaction.sampled_at
    )
    return session


async def connector_status(identity: str, connector_id: int) -> str:
    row = (
        await Connector.select(Connector.status)
        .where(
            (Connector.evse.station.identity == identity)
            & (Connector.evse.ocpp_connector_id == connector_id)
        )
        .first()
    )
    assert row is not None
    return str(row["status"])


async def boots(identity: str) -> int:
    count: int = await StationEvent.count().where(
        (StationEvent.station == await station_pk(identity))
        & (StationEvent.kind == StationEventKind.BOOT)
    )
    return count


# Commands ------------------------------------------------------------------------------------


async def test_remote_start_and_remote_stop(
    platform: RunningPlatform, simulate: StartStation
) -> None:
    station = await simulate()
    connector = station.connector(1)

    started = await send_command(platform.ctx, AC_STATION, cmd.RemoteStart(ANNA, connector_id=1))

    assert started.status == "Accepted"
    await station.wait_for(lambda: connector.transaction_id is not None, WAIT_S)
    transaction = connector.transaction
    assert transaction is not None
    assert connector.plugged  # the driver who asked for it plugged in
    session = await session_of(AC_STATION, transaction)
    assert session["state"] == SessionState.ACTIVE
    assert session["id_tag"] == ANNA
    assert session["ocpp_connector_id"] == 1
    assert session["meter_start_wh"] == transaction.meter_start_wh > 0

    busy = await send_command(platform.ctx, AC_STATION, cmd.RemoteStart(BEN, connector_id=1))
    assert busy.status == "Rejected"
    unknown = await send_command(platform.ctx, AC_STATION, cmd.RemoteStop("999999"))
    assert unknown.status == "Rejected"

    await station.wait_for(lambda: transaction.meter_values_delivered >= 2, WAIT_S)
    stopped = await send_command(
        platform.ctx, AC_STATION, cmd.RemoteStop(str(transaction.transaction_id))
    )

    assert stopped.status == "Accepted"
    await station.wait_for(lambda: transaction.stop_delivered, WAIT_S)
    session = await assert_completed(AC_STATION, transaction, "Remote")
    assert session["energy_wh"] == session["meter_stop_wh"] - session["meter_start_wh"]
    assert connector.status == "Finishing"


async def test_remote_start_without_connector_takes_a_free_one(
    platform: RunningPlatform, simulate: StartStation
) -> None:
    station = await simulate()
    await charging(station, 1, ANNA)

    started = await send_command(platform.ctx, AC_STATION, cmd.RemoteStart(BEN))

    assert started.status == "Accepted"
    await station.wait_for(lambda: station.connector(2).transaction_id is not None, WAIT_S)
    full = await send_command(platform.ctx, AC_STATION, cmd.RemoteStart(FLEET_1))
    assert full.status == "Rejected"


async def test_change_availability(platform: RunningPlatform, simulate: StartStation) -> None:
    station = await simulate()

    idle = await send_command(platform.ctx, AC_STATION, cmd.ChangeAvailability(2, operative=False))

    assert idle.status == "Accepted"
    await station.wait_for(lambda: station.connector(2).status == "Unavailable", WAIT_S)
    await settled(station)
    assert await connector_status(AC_STATION, 2) == "Unavailable"

    transaction = await charging(station, 1, ANNA)
    busy = await send_command(platform.ctx, AC_STATION, cmd.ChangeAvailability(1, operative=False))
    assert busy.status == "Scheduled"
    assert station.connector(1).status == "Charging"
    await station.unplug(1)
    assert station.connector(1).status == "Unavailable"  # applied when the transaction ended
    await station.wait_for(lambda: transaction.stop_delivered, WAIT_S)
    await settled(station)
    assert await connector_status(AC_STATION, 1) == "Unavailable"

    back = await send_command(platform.ctx, AC_STATION, cmd.ChangeAvailability(0, operative=True))
    assert back.status == "Accepted"
    await station.wait_for(
        lambda: [connector.status for connector in station.connectors] == ["Available"] * 2,
        WAIT_S,
    )
    await settled(station)
    assert await connector_status(AC_STATION, 1) == "Available"
    assert await connector_status(AC_STATION, 2) == "Available"
    nowhere = await send_command(
        platform.ctx, AC_STATION, cmd.ChangeAvailability(9, operative=True)
    )
    assert nowhere.status == "Rejected"


@pytest.mark.parametrize(("kind", "reason"), [("Soft", "SoftReset"), ("Hard", "HardReset")])
async def test_reset_stops_transactions_reconnects_and_boots_again(
    platform: RunningPlatform,
    simulate: StartStation,
    kind: Literal["Soft", "Hard"],
    reason: str,
) -> None:
    # No periodic meter values: the station has nothing in flight when the reset comes (see
    # the next test for what happens otherwise).
    station = await simulate(meter_interval_s=0)
    transaction = await charging(station, 1, ANNA)
    await settled(station)
    connections, boot_count = station.connection_count, station.boot_count
    assert await boots(AC_STATION) == 1

    result = await send_command(platform.ctx, AC_STATION, cmd.Reset(kind=kind))

    assert result.status == "Accepted"
    await station.wait_for(
        lambda: (
            station.boot_count == boot_count + 1
            and station.connection_count == connections + 1
            and transaction.stop_delivered
        ),
        WAIT_S,
    )
    await settled(station)
    assert await boots(AC_STATION) == 2
    await assert_completed(AC_STATION, transaction, reason)


async def test_hard_reset_answer_is_not_lost_while_the_platform_is_busy_with_the_station(
    platform: RunningPlatform, simulate: StartStation
) -> None:
    station = await simulate()
    connections = station.connection_count
    connector_1 = (Connector.evse.station.identity == AC_STATION) & (
        Connector.evse.ocpp_connector_id == 1
    )
    # Holding connector 1 (a row lock in PostgreSQL, the write lock in SQLite) keeps the
    # platform inside its handling of the station's next StatusNotification, as a slow
    # database would.
    async with database.transaction():
        await Connector.update({Connector.error_code: "NoError"}).where(connector_1)
        await station.plug_in(1)
        await station.wait_for(lambda: station.awaiting_answer == 1, WAIT_S)
        reset = asyncio.create_task(send_command(platform.ctx, AC_STATION, cmd.Reset(kind="Hard")))
        # The station answered, rebooted and is back: the old socket is closed.
        await station.wait_for(lambda: station.connection_count == connections + 1, WAIT_S)

    result = await reset
    assert result.status == "Accepted"


async def test_unlock_connector_ends_the_transaction(
    platform: RunningPlatform, simulate: StartStation
) -> None:
    station = await simulate()
    transaction = await charging(station, 2, ANNA)

    result = await send_command(platform.ctx, AC_STATION, cmd.UnlockConnector(2))

    assert result.status == "Unlocked"
    await station.wait_for(lambda: transaction.stop_delivered, WAIT_S)
    await assert_completed(AC_STATION, transaction, "UnlockCommand")
    assert (
        await send_command(platform.ctx, AC_STATION, cmd.UnlockConnector(1))
    ).status == "Unlocked"
    assert (await send_command(platform.ctx, AC_STATION, cmd.UnlockConnector(7))).status == (
        "UnlockFailed"
    )


async def test_trigger_message_sends_the_requested_message(
    platform: RunningPlatform, simulate: StartStation
) -> None:
    station = await simulate()
    station_id = await station_pk(AC_STATION)
    reports = ConnectorStatusEvent.count().where(
        (ConnectorStatusEvent.station == station_id) & (ConnectorStatusEvent.ocpp_connector_id == 2)
    )
    status_reports = await reports
    delivered = station.delivered.copy()

    status = await send_command(
        platform.ctx, AC_STATION, cmd.TriggerMessage("StatusNotification", 2)
    )
    heartbeat = await send_command(platform.ctx, AC_STATION, cmd.TriggerMessage("Heartbeat"))
    meter = await send_command(platform.ctx, AC_STATION, cmd.TriggerMessage("MeterValues", 1))
    boot = await send_command(platform.ctx, AC_STATION, cmd.TriggerMessage("BootNotification"))

    assert [status.status, heartbeat.status, meter.status, boot.status] == ["Accepted"] * 4
    await station.wait_for(
        lambda: all(
            station.delivered[action] == delivered[action] + 1
            for action in ("StatusNotification", "Heartbeat", "MeterValues", "BootNotification")
        ),
        WAIT_S,
    )
    assert await reports == status_reports + 1
    triggered = await MeterSample.select(MeterSample.value).where(
        (MeterSample.station == station_id)
        & (MeterSample.context == "Trigger")
        & (MeterSample.measurand == ENERGY)
        & (MeterSample.ocpp_connector_id == 1)
    )
    assert [int(sample["value"]) for sample in triggered] == [station.connector(1).meter_wh]
    assert await boots(AC_STATION) == 2
    wrong = await send_command(
        platform.ctx, AC_STATION, cmd.TriggerMessage("StatusNotification", 5)
    )
    assert wrong.status == "Rejected"


async def test_get_configuration(platform: RunningPlatform, simulate: StartStation) -> None:
    station = await simulate()

    everything = await send_command(platform.ctx, AC_STATION, cmd.GetConfiguration())
    some = await send_command(
        platform.ctx, AC_STATION, cmd.GetConfiguration(("HeartbeatInterval", "NoSuchKey"))
    )

    assert everything.configuration is not None
    keys = {item.key: item for item in everything.configuration}
    assert {
        "HeartbeatInterval",
        "MeterValueSampleInterval",
        "MeterValuesSampledData",
        "NumberOfConnectors",
        "AuthorizeRemoteTxRequests",
        "LocalAuthListEnabled",
        "LocalAuthListMaxLength",
        "SendLocalListMaxLength",
        "ConnectionTimeOut",
        "ResetRetries",
    } <= set(keys)
    assert not everything.unknown_keys
    assert keys["NumberOfConnectors"] == cmd.ConfigurationValue("NumberOfConnectors", True, "2")
    assert keys["LocalAuthListMaxLength"].readonly
    assert not keys["MeterValueSampleInterval"].readonly
    # The interval the platform gave in its boot answer.
    assert keys["HeartbeatInterval"].value == str(platform.ctx.settings.heartbeat_interval_s)
    assert some.configuration == (
        cmd.ConfigurationValue("HeartbeatInterval", False, keys["HeartbeatInterval"].value),
    )
    assert some.unknown_keys == ("NoSuchKey",)
    assert station.heartbeat_interval_s == platform.ctx.settings.heartbeat_interval_s


async def test_change_configuration(platform: RunningPlatform, simulate: StartStation) -> None:
    station = await simulate()

    async def change(key: str, value: str) -> str:
        result = await send_command(platform.ctx, AC_STATION, cmd.ChangeConfiguration(key, value))
        return result.status

    assert await change("MeterValueSampleInterval", "0.02") == "Accepted"
    assert await change("NumberOfConnectors", "3") == "Rejected"
    assert await change("HeartbeatInterval", "soon") == "Rejected"
    assert await change("MeterValuesSampledData", "Energy.Active.Import.Register,Nonsense") == (
        "Rejected"
    )
    assert await change("NoSuchKey", "1") == "NotSupported"
    heartbeats = station.delivered["Heartbeat"]
    assert await change("HeartbeatInterval", "1") == "Accepted"

    await station.wait_for(lambda: station.delivered["Heartbeat"] > heartbeats, 3.0)
    assert station.meter_interval_s == 0.02
    current = await send_command(
        platform.ctx,
        AC_STATION,
        cmd.GetConfiguration(
            ("HeartbeatInterval", "MeterValueSampleInterval", "NumberOfConnectors")
        ),
    )
    assert current.configuration is not None
    assert [item.value for item in current.configuration] == ["1", "0.02", "2"]


async def test_clear_cache(platform: RunningPlatform, simulate: StartStation) -> None:
    station = await simulate()
    # Accepted online, not plugged in: nothing starts, but the answer is cached.
    assert await station.present_card(1, ANNA) == "Accepted"

    result = await send_command(platform.ctx, AC_STATION, cmd.ClearCache())

    assert result.status == "Accepted"
    await station.disconnect(stay_offline=True)
    assert await station.present_card(2, ANNA) == "Invalid"  # offline and forgotten


async def test_send_local_list_and_get_local_list_version(
    platform: RunningPlatform, simulate: StartStation
) -> None:
    station = await simulate()

    async def version() -> int | None:
        return (
            await send_command(platform.ctx, AC_STATION, cmd.GetLocalListVersion())
        ).list_version

    async def send(list_version: int, update_type: Any, *entries: cmd.LocalListEntry) -> str:
        result = await send_command(
            platform.ctx, AC_STATION, cmd.SendLocalList(list_version, update_type, entries)
        )
        return result.status

    assert await version() == 0
    assert (
        await send(
            3,
            "Full",
            cmd.LocalListEntry(ANNA, "Accepted"),
            cmd.LocalListEntry(BLOCKED, "Blocked"),
        )
        == "Accepted"
    )
    assert station.local_list == {ANNA: "Accepted", BLOCKED: "Blocked"}
    assert await version() == 3
    assert await send(3, "Differential", cmd.LocalListEntry(BEN, "Accepted")) == "VersionMismatch"
    assert (
        await send(
            4, "Differential", cmd.LocalListEntry(BLOCKED), cmd.LocalListEntry(BEN, "Accepted")
        )
        == "Accepted"
    )
    assert station.local_list == {ANNA: "Accepted", BEN: "Accepted"}
    assert await version() == 4
    assert await send(5, "Full") == "Accepted"
    assert station.local_list == {}
    assert await version() == 0  # an empty list has version 0 (OCPP 1.6 §5.10)


# RFID sessions -------------------------------------------------------------------------------


async def test_rfid_session_with_meter_values(
    platform: RunningPlatform, simulate: StartStation
) -> None:
    station = await simulate(DC_STATION)
    connector = station.connector(1)
    await station.plug_in(1)
    assert connector.status == "Preparing"

    assert await station.present_card(1, ANNA) == "Accepted"

    transaction = connector.transaction
    assert transaction is not None
    assert connector.status == "Charging"
    await station.wait_for(
        lambda: transaction.transaction_id is not None and transaction.meter_values_delivered >= 3,
        WAIT_S,
    )
    assert connector.power_w > 0
    session = await session_of(DC_STATION, transaction)
    token = await IdToken.select(IdToken.id).where(IdToken.uid == ANNA).first()
    assert token is not None
    assert session["state"] == SessionState.ACTIVE
    assert session["id_tag"] == ANNA
    assert session["id_token"] == token["id"]
    assert session["authorization_status"] == "Accepted"
    samples = await MeterSample.select(MeterSample.measurand, MeterSample.unit).where(
        MeterSample.session == session["id"]
    )
    assert {(sample["measurand"], sample["unit"]) for sample in samples} >= {
        (ENERGY, "Wh"),
        ("Power.Active.Import", "W"),
        ("Current.Import", "A"),
        ("SoC", "Percent"),
    }

    await station.unplug(1)

    assert connector.status == "Available"
    await station.wait_for(lambda: transaction.stop_delivered, WAIT_S)
    session = await assert_completed(DC_STATION, transaction, "EVDisconnected")
    assert session["last_soc_percent"] is not None
    ends = await MeterSample.select(MeterSample.context, MeterSample.value).where(
        (MeterSample.session == session["id"])
        & (MeterSample.measurand == ENERGY)
        & MeterSample.context.is_in(["Transaction.Begin", "Transaction.End"])
    )
    assert {(sample["context"], int(sample["value"])) for sample in ends} == {
        ("Transaction.Begin", transaction.meter_start_wh),
        ("Transaction.End", transaction.meter_stop_wh),
    }


async def test_presenting_the_card_again_stops_the_session(
    platform: RunningPlatform, simulate: StartStation
) -> None:
    station = await simulate()
    transaction = await charging(station, 1, FLEET_2)

    assert await station.present_card(1, FLEET_2) == "Accepted"

    await station.wait_for(lambda: transaction.stop_delivered, WAIT_S)
    session = await assert_completed(AC_STATION, transaction, "Local")
    assert session["stop_id_tag"] == FLEET_2
    assert station.connector(1).status == "Finishing"


async def test_blocked_card_does_not_charge(
    platform: RunningPlatform, simulate: StartStation
) -> None:
    station = await simulate()
    await station.plug_in(2)

    assert await station.present_card(2, BLOCKED) == "Blocked"

    connector = station.connector(2)
    assert connector.transaction is None
    assert connector.status == "Preparing"
    assert station.transactions == []
    await settled(station)
    assert not await ChargingSession.exists().where(ChargingSession.id_tag == BLOCKED)


async def test_remote_start_with_a_blocked_card_is_deauthorized(
    platform: RunningPlatform, simulate: StartStation
) -> None:
    # The station does not ask before a remote start (AuthorizeRemoteTxRequests is false);
    # the StartTransaction answer says Blocked, so the station stops at once.
    station = await simulate()

    result = await send_command(platform.ctx, AC_STATION, cmd.RemoteStart(BLOCKED, connector_id=1))

    assert result.status == "Accepted"
    await station.wait_for(lambda: len(station.transactions) == 1, WAIT_S)
    transaction = station.transactions[0]
    await station.wait_for(lambda: transaction.stop_delivered, WAIT_S)
    assert transaction.authorization_status == "Blocked"
    session = await session_of(AC_STATION, transaction)
    assert session["state"] == SessionState.COMPLETED
    assert session["stop_reason"] == "DeAuthorized"
    assert session["authorization_status"] == "Blocked"


# One command at a time -----------------------------------------------------------------------


async def test_commands_to_one_charger_are_serialised(
    platform: RunningPlatform, simulate: StartStation
) -> None:
    # The station answers slowly, so that a second call sent too early would be seen.
    station = await simulate(answer_delay_s=0.05)
    received = station.commands_received
    commands: list[cmd.Command] = [
        cmd.GetConfiguration(("ConnectionTimeOut",)),
        cmd.GetLocalListVersion(),
        cmd.ClearCache(),
        cmd.ChangeConfiguration("ResetRetries", "5"),
        cmd.TriggerMessage("Heartbeat"),
        cmd.UnlockConnector(1),
        cmd.ChangeAvailability(2, operative=True),
        cmd.RemoteStop("424242"),
    ]

    results = await asyncio.gather(
        *(send_command(platform.ctx, AC_STATION, command) for command in commands)
    )

    assert [result.status for result in results] == [
        "Accepted",
        "Accepted",
        "Accepted",
        "Accepted",
        "Accepted",
        "Unlocked",
        "Accepted",
        "Rejected",
    ]
    assert results[0].configuration == (cmd.ConfigurationValue("ConnectionTimeOut", False, "60"),)
    assert results[1].list_version == 0
    assert station.commands_received == received + len(commands)
    assert station.max_commands_in_flight == 1


async def test_command_to_a_charger_that_is_not_connected(
    platform: RunningPlatform, simulate: StartStation
) -> None:
    with pytest.raises(ChargerUnavailable):
        await send_command(platform.ctx, "DEMO-AC-2", cmd.ClearCache())

    station = await simulate()
    connection_events = await platform.ctx.bus.subscribe(f"station.{AC_STATION}.connected")
    try:
        await station.disconnect(stay_offline=True)
        async with asyncio.timeout(WAIT_S):
            async for raw in connection_events:
                if not msgspec.json.decode(raw, type=StationConnectionChanged).connected:
                    break
    finally:
        await connection_events.close()

    with pytest.raises(ChargerUnavailable):
        await send_command(platform.ctx, AC_STATION, cmd.ClearCache())


# The offline queue ---------------------------------------------------------------------------


async def test_queued_meter_values_and_stop_arrive_after_reconnecting(
    platform: RunningPlatform, simulate: StartStation
) -> None:
    station = await simulate()
    transaction = await charging(station, 1, ANNA)
    await station.wait_for(lambda: transaction.meter_values_delivered >= 2, WAIT_S)

    await station.disconnect(stay_offline=True)
    await station.wait_for(lambda: station.queued("MeterValues") >= 5, WAIT_S)
    assert station.connector(1).transaction is transaction  # charging goes on offline
    await station.unplug(1)
    assert station.queued("StopTransaction") == 1
    assert not transaction.stop_delivered
    await station.reconnect()

    await station.wait_for(lambda: transaction.stop_delivered, WAIT_S)
    assert transaction.meter_values_delivered == len(transaction.sampled_at)
    await assert_completed(AC_STATION, transaction, "EVDisconnected")


async def test_transaction_started_offline_gets_its_id_when_delivered(
    platform: RunningPlatform, simulate: StartStation
) -> None:
    station = await simulate()
    list_sent = await send_command(
        platform.ctx,
        AC_STATION,
        cmd.SendLocalList(1, "Full", (cmd.LocalListEntry(FLEET_1, "Accepted"),)),
    )
    assert list_sent.status == "Accepted"
    await station.disconnect(stay_offline=True)
    await station.plug_in(2)

    # The local authorization list lets the card charge while the station is offline.
    assert await station.present_card(2, FLEET_1) == "Accepted"

    transaction = station.connector(2).transaction
    assert transaction is not None
    await station.wait_for(lambda: station.queued("MeterValues") >= 3, WAIT_S)
    await station.unplug(2)
    assert transaction.transaction_id is None
    assert [station.queued(action) for action in ("StartTransaction", "StopTransaction")] == [1, 1]
    await station.reconnect()

    await station.wait_for(lambda: transaction.stop_delivered, WAIT_S)
    assert transaction.transaction_id is not None
    session = await assert_completed(AC_STATION, transaction, "EVDisconnected")
    assert session["id_tag"] == FLEET_1
    assert session["ocpp_connector_id"] == 2
    unlinked = await MeterSample.count().where(
        (MeterSample.ocpp_transaction_id == str(transaction.transaction_id))
        & MeterSample.session.is_null()
    )
    assert unlinked == 0


async def test_offline_queue_survives_a_platform_restart(
    platform: RunningPlatform, simulate: StartStation
) -> None:
    station = await simulate()
    transaction = await charging(station, 1, BEN)
    await station.wait_for(lambda: transaction.meter_values_delivered >= 2, WAIT_S)
    connections, boot_count = station.connection_count, station.boot_count

    restarted = await platform.restart()
    try:
        await station.wait_for(
            lambda: station.connection_count > connections and station.booted, WAIT_S
        )
        assert station.boot_count == boot_count  # a reconnect is no reboot
        await station.wait_for(lambda: station.queued("MeterValues") == 0, WAIT_S)
        await station.unplug(1)
        await station.wait_for(lambda: transaction.stop_delivered, WAIT_S)
        await assert_completed(AC_STATION, transaction, "EVDisconnected")
    finally:
        await restarted.stop()


async def test_stop_queued_while_the_platform_is_down(
    platform: RunningPlatform, simulate: StartStation
) -> None:
    station = await simulate()
    transaction = await charging(station, 1, FLEET_2)
    await station.wait_for(lambda: transaction.meter_values_delivered >= 2, WAIT_S)

    await platform.stop()
    await station.wait_for(
        lambda: not station.connected and station.queued("MeterValues") >= 5, WAIT_S
    )
    await station.unplug(1)
    restarted = await start_platform(platform.ctx, port=platform.port)
    try:
        await station.wait_for(lambda: transaction.stop_delivered, WAIT_S)
        await assert_completed(AC_STATION, transaction, "EVDisconnected")
    finally:
        await restarted.stop()
