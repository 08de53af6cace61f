"""The OCPP 1.6J central system as a charger sees it: every answer is checked against the
official JSON schemas by the test client, and every effect is checked in the database."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import websockets

from cpo.sessions.tables import ChargingSession, MeterSample
from cpo.settings import AutoRegistration
from cpo.stations.tables import ChargeStation, Connector, ConnectorStatusEvent, Fault, StationEvent
from tests.support.ocpp_client import OcppTestClient, connect
from tests.support.platform import RunningPlatform, start_platform

STATION = "DEMO-AC-1"
PASSWORD = "demo-password-demo-ac-1"
ANNA = "04A2B3C4D5E6F7"
BEN = "04B1C2D3E4F5A6"
BLOCKED = "04C0FFEE000BAD"
EXPIRED = "04E0E0E0E0E0E0"
FLEET_1 = "04FLEET0000001"


def at(minute: int) -> str:
    return (datetime(2026, 11, 25, 8, 0, tzinfo=UTC) + timedelta(minutes=minute)).isoformat()


async def station_row(identity: str = STATION) -> dict[str, Any]:
    row = await ChargeStation.select().where(ChargeStation.identity == identity).first()
    assert row is not None
    return row


async def session_row(transaction_id: int | str) -> dict[str, Any]:
    row = (
        await ChargingSession.select()
        .where(ChargingSession.ocpp_transaction_id == str(transaction_id))
        .first()
    )
    assert row is not None
    return row


async def boot(client: OcppTestClient) -> dict[str, Any]:
    answer: dict[str, Any] = await client.call(
        "BootNotification",
        {
            "chargePointVendor": "ABB",
            "chargePointModel": "Terra AC",
            "chargePointSerialNumber": "TAC-0001",
            "firmwareVersion": "1.8.21",
            "meterType": "EM340",
            "meterSerialNumber": "M-77",
        },
    )
    return answer


async def start(
    client: OcppTestClient,
    id_tag: str = ANNA,
    meter_start: int = 10_000,
    minute: int = 0,
    connector: int = 1,
) -> dict[str, Any]:
    answer: dict[str, Any] = await client.call(
        "StartTransaction",
        {
            "connectorId": connector,
            "idTag": id_tag,
            "meterStart": meter_start,
            "timestamp": at(minute),
        },
    )
    return answer


def energy_sample(transaction_id: int | None, wh: int, minute: int, **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "connectorId": 1,
        "meterValue": [
            {
                "timestamp": at(minute),
                "sampledValue": [
                    {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                    {"value": "11.04", "measurand": "Power.Active.Import", "unit": "kW"},
                ],
            }
        ],
        **extra,
    }
    if transaction_id is not None:
        payload["transactionId"] = transaction_id
    return payload


# --- connecting ----------------------------------------------------------------------------


async def test_station_with_right_password_connects_and_boots(platform: RunningPlatform) -> None:
    async with connect(platform.ocpp_url, STATION, PASSWORD) as client:
        assert client.websocket.subprotocol == "ocpp1.6"
        answer = await boot(client)
        assert answer["status"] == "Accepted"
        assert answer["interval"] == 300
        row = await station_row()
        assert (row["vendor"], row["model"], row["serial_number"]) == (
            "ABB",
            "Terra AC",
            "TAC-0001",
        )
        assert (row["firmware_version"], row["meter_type"]) == ("1.8.21", "EM340")
        assert row["last_boot_at"] is not None
        assert row["connected_node"] == "test-node"
    boots = await StationEvent.count().where(StationEvent.kind == "boot")
    assert boots == 1


@pytest.mark.parametrize(
    ("identity", "password"),
    [
        (STATION, "wrong-password-0123456"),
        (STATION, None),
        ("NOBODY-KNOWS-ME", "some-password-0123456"),
    ],
    ids=["wrong password", "no password", "unknown identity"],
)
async def test_refused_before_the_upgrade_with_401(
    demo: Any, identity: str, password: str | None
) -> None:
    settings = demo.settings.replace(auto_registration=AutoRegistration.OFF)
    running = await start_platform(demo.__class__(settings, demo.bus, demo.clock))
    try:
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with connect(running.ocpp_url, identity, password):
                pass
        assert refused.value.response.status_code == 401
        assert refused.value.response.headers["WWW-Authenticate"].startswith("Basic")
    finally:
        await running.stop()


async def test_basic_auth_user_must_be_the_station(platform: RunningPlatform) -> None:
    other = "DEMO-AC-2"
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with connect(platform.ocpp_url, other, PASSWORD, subprotocols=["ocpp1.6"]) as _:
            pass
    assert refused.value.response.status_code == 401


async def test_unsupported_subprotocol_is_refused(platform: RunningPlatform) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with connect(platform.ocpp_url, STATION, PASSWORD, subprotocols=["ocpp2.0.1"]):
            pass
    assert refused.value.response.status_code == 400


@pytest.mark.parametrize(
    ("mode", "expected"),
    [(AutoRegistration.ACCEPTED, "Accepted"), (AutoRegistration.PENDING, "Pending")],
)
async def test_auto_registration(demo: Any, mode: AutoRegistration, expected: str) -> None:
    settings = demo.settings.replace(auto_registration=mode)
    running = await start_platform(demo.__class__(settings, demo.bus, demo.clock))
    try:
        async with connect(running.ocpp_url, "NEW-CHARGER-7", "first-password-0123456") as client:
            answer = await boot(client)
            assert answer["status"] == expected
            if expected == "Pending":
                assert answer["interval"] == 60
                authorization = await client.call("Authorize", {"idTag": ANNA})
                assert authorization["idTagInfo"]["status"] == "Invalid"
            await client.call(
                "StatusNotification",
                {"connectorId": 1, "errorCode": "NoError", "status": "Available"},
            )
        row = await station_row("NEW-CHARGER-7")
        assert row["auto_registered"] is True
        assert row["registration_status"] == expected
        connector = await Connector.select(Connector.evse.evse_id, Connector.status).first()
        assert connector is not None
        # The password it first presented is now the station's password.
        with pytest.raises(websockets.InvalidStatus):
            async with connect(running.ocpp_url, "NEW-CHARGER-7", "another-password-0123"):
                pass
    finally:
        await running.stop()


async def test_new_connection_of_a_station_replaces_the_old_one(platform: RunningPlatform) -> None:
    async with connect(platform.ocpp_url, STATION, PASSWORD) as first:
        await boot(first)
        async with connect(platform.ocpp_url, STATION, PASSWORD) as second:
            await asyncio.wait_for(first.websocket.wait_closed(), timeout=5)
            assert (await second.call("Heartbeat", {}))["currentTime"]
            row = await station_row()
            assert row["connected_node"] == "test-node"
    for _ in range(100):
        if (await station_row())["connected_node"] is None:
            break
        await asyncio.sleep(0.02)
    assert (await station_row())["connected_node"] is None


# --- status, heartbeat, faults -----------------------------------------------------------


async def test_status_notifications_are_history_and_open_and_close_faults(
    platform: RunningPlatform,
) -> None:
    async with connect(platform.ocpp_url, STATION, PASSWORD) as client:
        await boot(client)
        heartbeat = await client.call("Heartbeat", {})
        assert datetime.fromisoformat(heartbeat["currentTime"]).tzinfo is not None
        await client.call(
            "StatusNotification",
            {"connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": at(0)},
        )
        await client.call(
            "StatusNotification",
            {
                "connectorId": 1,
                "errorCode": "GroundFailure",
                "status": "Faulted",
                "info": "RCD tripped",
                "vendorId": "com.abb",
                "vendorErrorCode": "E042",
                "timestamp": at(1),
            },
        )
        # A queued, older notification must not overwrite the newer status.
        await client.call(
            "StatusNotification",
            {"connectorId": 1, "errorCode": "NoError", "status": "Preparing", "timestamp": at(0)},
        )
        connector = (
            await Connector.select(Connector.status, Connector.error_code)
            .where(Connector.evse.evse_id == "DE*DEM*E0001*1")
            .first()
        )
        assert connector == {"status": "Faulted", "error_code": "GroundFailure"}
        fault = await Fault.select().first()
        assert fault is not None
        assert (fault["error_code"], fault["vendor_error_code"], fault["status"]) == (
            "GroundFailure",
            "E042",
            "open",
        )
        await client.call(
            "StatusNotification",
            {"connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": at(5)},
        )
        await client.call(
            "StatusNotification", {"connectorId": 0, "errorCode": "NoError", "status": "Available"}
        )
    fault = await Fault.select().first()
    assert fault is not None
    assert fault["status"] == "resolved"
    assert fault["resolved_at"] == datetime.fromisoformat(at(5))
    history = await ConnectorStatusEvent.select().order_by(ConnectorStatusEvent.id)
    assert [event["status"] for event in history] == [
        "Available",
        "Faulted",
        "Preparing",
        "Available",
        "Available",
    ]
    # The charger's clock is kept next to ours.
    assert history[1]["charger_timestamp"] == datetime.fromisoformat(at(1))
    assert history[1]["received_at"] > history[1]["charger_timestamp"]
    assert (await station_row())["status"] == "Available"


# --- authorization -------------------------------------------------------------------------


async def test_authorize_answers_per_token(platform: RunningPlatform) -> None:
    async with connect(platform.ocpp_url, STATION, PASSWORD) as client:
        await boot(client)

        async def status_of(id_tag: str) -> dict[str, Any]:
            answer: dict[str, Any] = (await client.call("Authorize", {"idTag": id_tag}))[
                "idTagInfo"
            ]
            return answer

        assert (await status_of(ANNA))["status"] == "Accepted"
        assert (await status_of(ANNA.lower()))["status"] == "Accepted"
        assert (await status_of(BLOCKED))["status"] == "Blocked"
        assert (await status_of(EXPIRED))["status"] == "Expired"
        assert (await status_of("UNKNOWN-CARD"))["status"] == "Invalid"
        fleet = await status_of(FLEET_1)
        assert fleet == {"status": "Accepted", "parentIdTag": "FLEET-STADTWERKE"}
        # Only a recent session counts as running for ConcurrentTx: this one starts now.
        await client.call(
            "StartTransaction",
            {
                "connectorId": 1,
                "idTag": ANNA,
                "meterStart": 10_000,
                "timestamp": datetime.now(UTC).isoformat(),
            },
        )
        async with connect(platform.ocpp_url, "DEMO-AC-2", "demo-password-demo-ac-2") as other:
            await boot(other)
            concurrent = await other.call("Authorize", {"idTag": ANNA})
            assert concurrent["idTagInfo"]["status"] == "ConcurrentTx"


# --- transactions --------------------------------------------------------------------------


async def test_a_whole_rfid_session(platform: RunningPlatform) -> None:
    async with connect(platform.ocpp_url, STATION, PASSWORD) as client:
        await boot(client)
        started = await start(client, ANNA, meter_start=10_000)
        transaction_id = started["transactionId"]
        assert started["idTagInfo"]["status"] == "Accepted"
        await client.call("MeterValues", energy_sample(transaction_id, 12_500, 10))
        live = await session_row(transaction_id)
        assert (live["state"], live["last_meter_wh"], live["last_power_w"]) == (
            "active",
            12_500,
            11_040.0,
        )
        stopped = await client.call(
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "idTag": ANNA,
                "meterStop": 15_432,
                "timestamp": at(30),
                "reason": "Local",
                "transactionData": [
                    {
                        "timestamp": at(0),
                        "sampledValue": [{"value": "10000", "context": "Transaction.Begin"}],
                    },
                    {
                        "timestamp": at(30),
                        "sampledValue": [
                            {"value": "15.432", "unit": "kWh", "context": "Transaction.End"}
                        ],
                    },
                ],
            },
        )
        assert stopped == {"idTagInfo": {"status": "Accepted"}}
    session = await session_row(transaction_id)
    assert session["state"] == "completed"
    assert session["energy_wh"] == 5_432
    assert (session["meter_start_wh"], session["meter_stop_wh"]) == (10_000, 15_432)
    assert session["started_at"] == datetime.fromisoformat(at(0))
    assert session["stopped_at"] == datetime.fromisoformat(at(30))
    assert session["stop_reason"] == "Local"
    assert session["needs_reconciliation"] is False
    samples = (
        await MeterSample.select()
        .where(MeterSample.session == session["id"])
        .order_by(MeterSample.id)
    )
    assert [(s["measurand"], s["value"], s["value_normalized"]) for s in samples] == [
        ("Energy.Active.Import.Register", "12500", 12_500.0),
        ("Power.Active.Import", "11.04", 11_040.0),
        ("Energy.Active.Import.Register", "10000", 10_000.0),
        ("Energy.Active.Import.Register", "15.432", 15_432.0),
    ]


async def test_repeated_start_and_stop_are_answered_identically(platform: RunningPlatform) -> None:
    async with connect(platform.ocpp_url, STATION, PASSWORD) as client:
        await boot(client)
        first = await start(client, ANNA)
        again = await start(client, ANNA)
        assert again == first
        stop = {
            "transactionId": first["transactionId"],
            "meterStop": 11_000,
            "timestamp": at(20),
            "idTag": ANNA,
        }
        assert await client.call("StopTransaction", stop) == await client.call(
            "StopTransaction", stop
        )
        # A retry that differs (charger bug) changes nothing either.
        await client.call("StopTransaction", {**stop, "meterStop": 99_999})
    assert await ChargingSession.count() == 1
    session = await session_row(first["transactionId"])
    assert (session["meter_stop_wh"], session["energy_wh"]) == (11_000, 1_000)


async def test_start_with_refused_token_still_gets_a_transaction(platform: RunningPlatform) -> None:
    async with connect(platform.ocpp_url, STATION, PASSWORD) as client:
        await boot(client)
        blocked = await start(client, BLOCKED)
        unknown = await start(client, "NEVER-SEEN", minute=1, connector=2)
    assert blocked["idTagInfo"]["status"] == "Blocked"
    assert unknown["idTagInfo"]["status"] == "Invalid"
    assert blocked["transactionId"] != unknown["transactionId"]
    session = await session_row(blocked["transactionId"])
    assert session["authorization_status"] == "Blocked"
    assert session["id_token"] is not None


async def test_stop_for_an_unknown_transaction_is_kept_for_reconciliation(
    platform: RunningPlatform,
) -> None:
    async with connect(platform.ocpp_url, STATION, PASSWORD) as client:
        await boot(client)
        # Meter values of the transaction arrive before we know it (offline charger).
        await client.call("MeterValues", energy_sample(4711, 20_500, 5))
        answer = await client.call(
            "StopTransaction",
            {
                "transactionId": 4711,
                "meterStop": 21_000,
                "timestamp": at(9),
                "reason": "PowerLoss",
                "transactionData": [
                    {
                        "timestamp": at(1),
                        "sampledValue": [{"value": "20000", "context": "Transaction.Begin"}],
                    }
                ],
            },
        )
        assert answer == {}
        # Meter values after the stop are kept too.
        await client.call("MeterValues", energy_sample(4711, 21_000, 10))
    session = await session_row(4711)
    assert session["state"] == "completed"
    assert session["needs_reconciliation"] is True
    assert session["reconciliation_reason"] == "stop_without_start"
    assert (session["meter_start_wh"], session["energy_wh"]) == (20_000, 1_000)
    linked = await MeterSample.count().where(MeterSample.session == session["id"])
    assert linked == 2 + 1 + 2


async def test_stop_without_begin_reading_has_unknown_energy(platform: RunningPlatform) -> None:
    async with connect(platform.ocpp_url, STATION, PASSWORD) as client:
        await boot(client)
        await client.call(
            "StopTransaction", {"transactionId": 77, "meterStop": 5000, "timestamp": at(3)}
        )
    session = await session_row(77)
    assert session["energy_wh"] is None
    assert session["needs_reconciliation"] is True


async def test_meter_going_backwards_is_flagged_not_billed_negative(
    platform: RunningPlatform,
) -> None:
    async with connect(platform.ocpp_url, STATION, PASSWORD) as client:
        await boot(client)
        started = await start(client, ANNA, meter_start=50_000)
        await client.call(
            "StopTransaction",
            {"transactionId": started["transactionId"], "meterStop": 1_000, "timestamp": at(3)},
        )
    session = await session_row(started["transactionId"])
    assert session["energy_wh"] is None
    assert session["reconciliation_reason"] == "meter_went_backwards"


async def test_stop_with_vendor_specific_fields_is_never_refused(platform: RunningPlatform) -> None:
    async with connect(platform.ocpp_url, STATION, PASSWORD) as client:
        await boot(client)
        started = await start(client, ANNA, meter_start=100)
        answer = await client.call(
            "StopTransaction",
            {
                "transactionId": started["transactionId"],
                "meterStop": 600,
                "timestamp": at(4),
                "reason": "VendorSpecificEmergency",
                "transactionData": [{"timestamp": "not a time", "sampledValue": []}],
            },
        )
        assert answer == {}
    session = await session_row(started["transactionId"])
    assert (session["state"], session["energy_wh"]) == ("completed", 500)
    kept = (
        await StationEvent.select(StationEvent.payload)
        .where(StationEvent.kind == "rejected_stop_fields")
        .first()
    )
    assert kept is not None
    assert "VendorSpecificEmergency" in kept["payload"]


async def test_all_measurands_and_signed_data_are_kept_verbatim(platform: RunningPlatform) -> None:
    ocmf = 'OCMF|{"FV":"1.0","GI":"ABL","RD":[{"TM":"2026-11-25T08:10:00,000+0000 S","RV":12.5,"RI":"1-b:1.8.0","RU":"kWh"}]}|{"SD":"3045022100"}'
    async with connect(platform.ocpp_url, STATION, PASSWORD) as client:
        await boot(client)
        started = await start(client, ANNA, meter_start=12_000)
        await client.call(
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": started["transactionId"],
                "meterValue": [
                    {
                        "timestamp": at(10),
                        "sampledValue": [
                            {"value": "12500"},
                            {"value": "7360", "measurand": "Power.Active.Import", "unit": "W"},
                            {
                                "value": "16.1",
                                "measurand": "Current.Import",
                                "phase": "L1",
                                "unit": "A",
                            },
                            {
                                "value": "230.4",
                                "measurand": "Voltage",
                                "phase": "L1-N",
                                "unit": "V",
                            },
                            {
                                "value": "64",
                                "measurand": "SoC",
                                "unit": "Percent",
                                "location": "EV",
                            },
                            {
                                "value": "41",
                                "measurand": "Temperature",
                                "unit": "Celsius",
                                "location": "Body",
                            },
                            {"value": ocmf, "format": "SignedData", "context": "Sample.Clock"},
                        ],
                    }
                ],
            },
        )
    session = await session_row(started["transactionId"])
    assert (session["last_meter_wh"], session["last_power_w"], session["last_soc_percent"]) == (
        12_500,
        7_360.0,
        64.0,
    )
    samples = (
        await MeterSample.select()
        .where(MeterSample.session == session["id"])
        .order_by(MeterSample.id)
    )
    assert len(samples) == 7
    signed = samples[-1]
    assert (signed["format"], signed["value"], signed["value_normalized"]) == (
        "SignedData",
        ocmf,
        None,
    )
    assert signed["context"] == "Sample.Clock"
    assert (
        samples[0]["unit"] == "Wh"
    )  # defaults of OCPP 1.6 applied where the charger left them out
    assert samples[0]["context"] == "Sample.Periodic"
    assert samples[2]["phase"] == "L1"
    assert all(sample["measured_at"] == datetime.fromisoformat(at(10)) for sample in samples)


# --- malformed input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "message_id", "code"),
    [
        ("this is not json", None, "FormationViolation"),
        ('{"an": "object"}', None, "FormationViolation"),
        ('[2, "m1", "Heartbeat"]', "m1", "FormationViolation"),
        ('[9, "m2", "Heartbeat", {}]', "m2", "FormationViolation"),
        ('[2, "m3", "Heartbeat", []]', "m3", "FormationViolation"),
        (
            '[2, "m4", "StatusNotification", {"connectorId": "one", "errorCode": "NoError", "status": "Available"}]',
            "m4",
            "TypeConstraintViolation",
        ),
        (
            '[2, "m5", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Sleeping"}]',
            "m5",
            "PropertyConstraintViolation",
        ),
        (
            '[2, "m6", "Authorize", {"idTag": "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}]',
            "m6",
            "TypeConstraintViolation",
        ),
        (
            '[2, "m7", "StatusNotification", {"errorCode": "NoError", "status": "Available"}]',
            "m7",
            "ProtocolError",
        ),
        (
            '[2, "m8", "MeterValues", {"connectorId": 1, "meterValue": []}]',
            "m8",
            "OccurenceConstraintViolation",
        ),
        (
            '[2, "m9", "StartTransaction", {"connectorId": 1, "idTag": "X", "meterStart": 1, "timestamp": "yesterday"}]',
            "m9",
            "TypeConstraintViolation",
        ),
        ('[2, "m10", "Reset", {"type": "Hard"}]', "m10", "NotImplemented"),
        ('[2, "m11", "MakeCoffee", {}]', "m11", "NotSupported"),
    ],
)
async def test_malformed_frames_get_the_right_call_error_and_the_connection_stays(
    platform: RunningPlatform, frame: str, message_id: str | None, code: str
) -> None:
    async with connect(platform.ocpp_url, STATION, PASSWORD) as client:
        await boot(client)
        answer = await client.send_frame(frame, message_id)
        assert answer[0] == 4
        assert answer[1] == (message_id or "-1")
        assert answer[2] == code
        assert isinstance(answer[3], str)
        assert isinstance(answer[4], dict)
        assert (await client.call("Heartbeat", {}))["currentTime"]


async def test_unknown_fields_from_chargers_are_ignored(platform: RunningPlatform) -> None:
    async with connect(platform.ocpp_url, STATION, PASSWORD) as client:
        answer = await client.call(
            "BootNotification",
            {"chargePointVendor": "V", "chargePointModel": "M", "vendorExtension": {"x": 1}},
        )
        assert answer["status"] == "Accepted"


# --- every answer against the schema ---------------------------------------------------------


async def test_every_charger_initiated_action_is_answered_schema_valid(
    platform: RunningPlatform,
) -> None:
    async with connect(platform.ocpp_url, STATION, PASSWORD) as client:
        await boot(client)
        started = await start(client, ANNA)
        payloads: dict[str, dict[str, Any]] = {
            "Heartbeat": {},
            "Authorize": {"idTag": ANNA},
            "StatusNotification": {"connectorId": 0, "errorCode": "NoError", "status": "Available"},
            "MeterValues": energy_sample(started["transactionId"], 10_100, 1),
            "DataTransfer": {
                "vendorId": "com.example",
                "messageId": "Hello",
                "data": json.dumps({"a": 1}),
            },
            "DiagnosticsStatusNotification": {"status": "Uploaded"},
            "FirmwareStatusNotification": {"status": "Installed"},
            "SecurityEventNotification": {"type": "FirmwareUpdated", "timestamp": at(2)},
            "LogStatusNotification": {"status": "Uploaded", "requestId": 1},
            "SignedFirmwareStatusNotification": {"status": "SignatureVerified", "requestId": 1},
            "SignCertificate": {"csr": "-----BEGIN CERTIFICATE REQUEST-----"},
            "StopTransaction": {
                "transactionId": started["transactionId"],
                "meterStop": 10_200,
                "timestamp": at(3),
            },
        }
        for action, payload in payloads.items():
            await client.call(action, payload)  # the client validates each answer
    kinds = {row["kind"] for row in await StationEvent.select(StationEvent.kind)}
    assert {
        "data_transfer",
        "diagnostics_status",
        "firmware_status",
        "security_event",
        "log_status",
    } <= kinds
    row = await station_row()
    assert (row["firmware_status"], row["diagnostics_status"]) == ("SignatureVerified", "Uploaded")
