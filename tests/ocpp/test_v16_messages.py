"""The OCPP 1.6J payload structs accept and reject what the ocpp package's JSON schemas do."""

import json
from collections.abc import Iterator
from copy import deepcopy
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import msgspec.inspect as mi
import ocpp
import pytest
from ocpp.messages import get_validator

from ocpp_bridge.v16.messages import (
    CHARGE_POINT_INITIATED,
    REQUEST_TYPES,
    RESPONSE_TYPES,
    ChargingSchedule,
    ChargingSchedulePeriod,
    MeterValuesRequest,
    OcppMessage,
    SetChargingProfileRequest,
    StatusNotificationRequest,
    StopTransactionRequest,
)

SCHEMA_DIR = Path(ocpp.__file__).parent / "v16" / "schemas"
CALL = 2
CALL_RESULT = 3
ACTIONS = sorted(
    path.stem for path in SCHEMA_DIR.glob("*.json") if not path.stem.endswith("Response")
)
CASES = [(CALL, action) for action in ACTIONS] + [(CALL_RESULT, action) for action in ACTIONS]
CASE_IDS = [f"{action}.{'req' if kind == CALL else 'conf'}" for kind, action in CASES]

# The ocpp package validates these with decimal floats, or `multipleOf: 0.1` fails on 16.3.
DECIMAL_SCHEMAS = {
    (CALL, "SetChargingProfile"),
    (CALL, "RemoteStartTransaction"),
    (CALL_RESULT, "GetCompositeSchedule"),
}
KNOWN_SCHEMA_KEYWORDS = {
    "$schema",
    "$id",
    "$ref",
    "title",
    "javaType",
    "definitions",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "additionalItems",
    "minItems",
    "enum",
    "maxLength",
    "format",
    "multipleOf",
}
MOMENT = datetime(2024, 5, 1, 12, 30, 15, tzinfo=UTC)


def _struct(message_type_id: int, action: str) -> type[OcppMessage]:
    return (REQUEST_TYPES if message_type_id == CALL else RESPONSE_TYPES)[action]


def _validator(message_type_id: int, action: str) -> Any:
    """The ocpp package's (cached) Draft4Validator, parsing floats as the package does."""
    if (message_type_id, action) in DECIMAL_SCHEMAS:
        return get_validator(message_type_id, action, "1.6", parse_float=Decimal)
    return get_validator(message_type_id, action, "1.6")


def _schema_errors(message_type_id: int, action: str, raw: bytes) -> list[str]:
    parse_float = Decimal if (message_type_id, action) in DECIMAL_SCHEMAS else float
    instance = json.loads(raw, parse_float=parse_float)
    return [error.message for error in _validator(message_type_id, action).iter_errors(instance)]


def _decode(message_type_id: int, action: str, raw: bytes) -> OcppMessage:
    return msgspec.json.decode(raw, type=_struct(message_type_id, action))


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        prefix = "#/definitions/"
        assert node["$ref"].startswith(prefix)
        node = root["definitions"][node["$ref"].removeprefix(prefix)]
    return node


def _without_none(field: mi.Field) -> mi.Type:
    if field.required:
        return field.type
    assert field.default is None, field.name
    assert isinstance(field.type, mi.UnionType), field.name
    others = [t for t in field.type.types if not isinstance(t, mi.NoneType)]
    assert len(others) == 1, field.name
    return others[0]


def _build(info: mi.Type, *, full: bool) -> Any:
    """A valid value for `info`: every optional field set if `full`, only required ones if not."""
    if isinstance(info, mi.StructType):
        return info.cls(
            **{
                field.name: _build(_without_none(field), full=full)
                for field in info.fields
                if full or field.required
            }
        )
    if isinstance(info, mi.ListType):
        count = max(info.min_length or 0, 2 if full else 0)
        return [_build(info.item_type, full=full) for _ in range(count)]
    if isinstance(info, mi.LiteralType):
        return info.values[0]
    if isinstance(info, mi.StrType):
        return "x" * (info.max_length or 16)
    if isinstance(info, mi.IntType):
        return 42
    if isinstance(info, mi.FloatType):
        return 12.3
    if isinstance(info, mi.BoolType):
        return True
    if isinstance(info, mi.DateTimeType):
        return MOMENT
    raise TypeError(f"no builder for {info!r}")


def _schema(message_type_id: int, action: str) -> dict[str, Any]:
    schema: dict[str, Any] = _validator(message_type_id, action).schema
    return schema


def _assert_keys(
    instance: Any, node: dict[str, Any], root: dict[str, Any], path: str, *, full: bool
) -> None:
    node = _resolve(node, root)
    if node.get("type") == "object":
        expected = node.get("properties", {}).keys() if full else set(node.get("required", []))
        assert set(instance) == set(expected), path
        for key, value in instance.items():
            _assert_keys(value, node["properties"][key], root, f"{path}.{key}", full=full)
    elif node.get("type") == "array":
        assert instance or not full, path
        for index, item in enumerate(instance):
            _assert_keys(item, node["items"], root, f"{path}[{index}]", full=full)


def _assert_agrees(node: dict[str, Any], info: mi.Type, root: dict[str, Any], path: str) -> None:
    """The struct type `info` mirrors schema `node`: keys, required, enums, lengths, types."""
    node = _resolve(node, root)
    assert set(node) <= KNOWN_SCHEMA_KEYWORDS, (
        f"{path}: unhandled {set(node) - KNOWN_SCHEMA_KEYWORDS}"
    )
    if "enum" in node:
        assert isinstance(info, mi.LiteralType), path
        assert set(info.values) == set(node["enum"]), path
        assert len(info.values) == len(node["enum"]), path
        return
    kind = node["type"]
    if kind == "object":
        assert isinstance(info, mi.StructType), path
        fields = {field.encode_name: field for field in info.fields}
        properties = node.get("properties", {})
        assert fields.keys() == properties.keys(), path
        required = {name for name, field in fields.items() if field.required}
        assert required == set(node.get("required", [])), path
        for name, field in fields.items():
            _assert_agrees(properties[name], _without_none(field), root, f"{path}.{name}")
    elif kind == "array":
        assert isinstance(info, mi.ListType), path
        assert info.min_length == node.get("minItems"), path
        assert info.max_length is None, path
        _assert_agrees(node["items"], info.item_type, root, f"{path}[]")
    elif kind == "string" and node.get("format") == "date-time":
        assert isinstance(info, mi.DateTimeType), path
    elif kind == "string":
        assert node.get("format") in (None, "uri"), path
        assert isinstance(info, mi.StrType), path
        assert info.max_length == node.get("maxLength"), path
        assert (info.min_length, info.pattern) == (None, None), path
    elif kind == "integer":
        assert isinstance(info, mi.IntType), path
        assert (info.ge, info.gt, info.le, info.lt, info.multiple_of) == (None,) * 5, path
    elif kind == "number":
        assert isinstance(info, mi.FloatType), path
        assert node.get("multipleOf") in (None, Decimal("0.1")), path
    elif kind == "boolean":
        assert isinstance(info, mi.BoolType), path
    else:
        pytest.fail(f"{path}: unhandled schema type {kind}")


# --- 1. nothing is forgotten --------------------------------------------------------------


def test_every_schema_file_has_a_struct_and_every_struct_a_schema() -> None:
    files = {path.stem for path in SCHEMA_DIR.glob("*.json")}
    structs = {*REQUEST_TYPES, *(f"{action}Response" for action in RESPONSE_TYPES)}

    assert structs == files
    assert REQUEST_TYPES.keys() == RESPONSE_TYPES.keys()
    assert len(REQUEST_TYPES) == 39


def test_struct_names_follow_the_action() -> None:
    for action, request in REQUEST_TYPES.items():
        assert request.__name__ == f"{action}Request"
        assert issubclass(request, OcppMessage)
    for action, response in RESPONSE_TYPES.items():
        assert response.__name__ == f"{action}Response"
        assert issubclass(response, OcppMessage)


def test_charge_point_initiated_actions() -> None:
    assert {
        "Authorize",
        "BootNotification",
        "DataTransfer",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "StartTransaction",
        "StatusNotification",
        "StopTransaction",
        "LogStatusNotification",
        "SecurityEventNotification",
        "SignCertificate",
        "SignedFirmwareStatusNotification",
    } == CHARGE_POINT_INITIATED
    assert REQUEST_TYPES.keys() >= CHARGE_POINT_INITIATED


@pytest.mark.parametrize(("message_type_id", "action"), CASES, ids=CASE_IDS)
def test_struct_mirrors_schema(message_type_id: int, action: str) -> None:
    schema = _schema(message_type_id, action)
    info = mi.type_info(_struct(message_type_id, action))

    _assert_agrees(schema, info, schema, action)


# --- 2. encoding --------------------------------------------------------------------------


@pytest.mark.parametrize("full", [True, False], ids=["full", "minimal"])
@pytest.mark.parametrize(("message_type_id", "action"), CASES, ids=CASE_IDS)
def test_encoded_struct_is_schema_valid(message_type_id: int, action: str, full: bool) -> None:
    struct = _struct(message_type_id, action)
    message = _build(mi.type_info(struct), full=full)

    raw = msgspec.json.encode(message)

    assert _schema_errors(message_type_id, action, raw) == []
    schema = _schema(message_type_id, action)
    _assert_keys(json.loads(raw), schema, schema, action, full=full)
    assert msgspec.json.decode(raw, type=struct) == message


# --- 3. decoding real frames --------------------------------------------------------------

SIGNED_OCMF = (
    "OCMF|{&quot;FV&quot;:&quot;1.0&quot;,&quot;GI&quot;:&quot;KEBA_KCP30&quot;,"
    "&quot;RD&quot;:[{&quot;TM&quot;:&quot;2024-05-01T12:15:00,000+0000 S&quot;,"
    "&quot;RV&quot;:12.3456,&quot;RU&quot;:&quot;kWh&quot;}]}|{&quot;SA&quot;:&quot;"
    "ECDSA-secp256r1-SHA256&quot;,&quot;SD&quot;:&quot;3045022100E1A2B3C4&quot;}"
)

METER_VALUES_FRAME: dict[str, Any] = {
    "connectorId": 1,
    "transactionId": 4711,
    "meterValue": [
        {
            "timestamp": "2024-05-01T12:15:00Z",
            "sampledValue": [
                {
                    "value": "12345.6",
                    "context": "Sample.Periodic",
                    "format": "Raw",
                    "measurand": "Energy.Active.Import.Register",
                    "location": "Outlet",
                    "unit": "Wh",
                },
                {"value": "7360", "measurand": "Power.Active.Import", "unit": "W"},
                {"value": "32.1", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
                {"value": "230.4", "measurand": "Voltage", "phase": "L1-N", "unit": "V"},
                {"value": "50.0", "measurand": "Frequency", "unit": "Hertz"},
                {"value": "55", "measurand": "SoC", "location": "EV", "unit": "Percent"},
                {
                    "value": SIGNED_OCMF,
                    "context": "Sample.Periodic",
                    "format": "SignedData",
                    "measurand": "Energy.Active.Import.Register",
                },
            ],
        },
    ],
}

STOP_TRANSACTION_FRAME: dict[str, Any] = {
    "transactionId": 4711,
    "idTag": "04A2B3C4D5E6F7",
    "meterStop": 135802,
    "timestamp": "2024-05-01T13:10:00Z",
    "reason": "EVDisconnected",
    "transactionData": [
        {
            "timestamp": "2024-05-01T12:00:05Z",
            "sampledValue": [
                {
                    "value": "123456",
                    "context": "Transaction.Begin",
                    "measurand": "Energy.Active.Import.Register",
                    "unit": "Wh",
                },
                {"value": SIGNED_OCMF, "context": "Transaction.Begin", "format": "SignedData"},
            ],
        },
        {
            "timestamp": "2024-05-01T13:10:00Z",
            "sampledValue": [
                {"value": "135.802", "context": "Transaction.End", "unit": "kWh"},
            ],
        },
    ],
}

SET_CHARGING_PROFILE_FRAME: dict[str, Any] = {
    "connectorId": 1,
    "csChargingProfiles": {
        "chargingProfileId": 8,
        "transactionId": 4711,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 16.3, "numberPhases": 3},
                {"startPeriod": 900, "limit": 32},
                {"startPeriod": 1800, "limit": 7.7},
            ],
            "minChargingRate": 6.0,
        },
    },
}

VALID_FRAMES: list[tuple[int, str, dict[str, Any]]] = [
    (
        CALL,
        "BootNotification",
        {
            "chargePointVendor": "Alfen BV",
            "chargePointModel": "NG920-61023",
            "chargePointSerialNumber": "ACE0123456",
            "chargeBoxSerialNumber": "ACE0123456",
            "firmwareVersion": "5.8.1-4123",
            "iccid": "8931087119061234567",
            "imsi": "204080123456789",
            "meterType": "Carlo Gavazzi EM340",
            "meterSerialNumber": "KY1230045",
        },
    ),
    (
        CALL_RESULT,
        "BootNotification",
        {"status": "Accepted", "currentTime": "2024-05-01T12:00:00.123Z", "interval": 300},
    ),
    (
        CALL,
        "StatusNotification",
        {
            "connectorId": 1,
            "errorCode": "NoError",
            "status": "Charging",
            "timestamp": "2024-05-01T12:00:00+02:00",
            "info": "",
            "vendorId": "com.alfen",
            "vendorErrorCode": "0",
        },
    ),
    (CALL, "StatusNotification", {"connectorId": 0, "errorCode": "NoError", "status": "Available"}),
    (CALL, "MeterValues", METER_VALUES_FRAME),
    (
        CALL,
        "StartTransaction",
        {
            "connectorId": 1,
            "idTag": "04A2B3C4D5E6F7",
            "meterStart": 123456,
            "reservationId": 17,
            "timestamp": "2024-05-01T12:00:05Z",
        },
    ),
    (
        CALL_RESULT,
        "StartTransaction",
        {
            "idTagInfo": {
                "status": "Accepted",
                "expiryDate": "2024-06-01T00:00:00Z",
                "parentIdTag": "FLEET-42",
            },
            "transactionId": 4711,
        },
    ),
    (CALL, "StopTransaction", STOP_TRANSACTION_FRAME),
    (CALL_RESULT, "StopTransaction", {}),
    (CALL, "Authorize", {"idTag": "04A2B3C4D5E6F7"}),
    (CALL_RESULT, "Authorize", {"idTagInfo": {"status": "Blocked"}}),
    (CALL, "Heartbeat", {}),
    (CALL_RESULT, "Heartbeat", {"currentTime": "2024-05-01T12:00:00Z"}),
    (
        CALL,
        "DataTransfer",
        {"vendorId": "com.example.pricing", "messageId": "SetPrice", "data": '{"kWh": 0.39}'},
    ),
    (CALL_RESULT, "DataTransfer", {"status": "UnknownMessageId"}),
    (CALL, "SetChargingProfile", SET_CHARGING_PROFILE_FRAME),
]


@pytest.mark.parametrize(
    ("message_type_id", "action", "payload"),
    VALID_FRAMES,
    ids=[f"{action}.{kind}" for kind, action, _ in VALID_FRAMES],
)
def test_real_frames_decode(message_type_id: int, action: str, payload: dict[str, Any]) -> None:
    raw = json.dumps(payload).encode()

    assert _schema_errors(message_type_id, action, raw) == []
    message = _decode(message_type_id, action, raw)
    encoded = msgspec.json.encode(message)
    assert msgspec.json.decode(encoded).keys() == payload.keys()
    assert _decode(message_type_id, action, encoded) == message


def test_decoded_meter_values_keep_every_sampled_value() -> None:
    raw = json.dumps(METER_VALUES_FRAME).encode()

    message = msgspec.json.decode(raw, type=MeterValuesRequest)

    assert message.transaction_id == 4711
    assert message.meter_value[0].timestamp == datetime(2024, 5, 1, 12, 15, tzinfo=UTC)
    sampled = message.meter_value[0].sampled_value
    assert [value.measurand for value in sampled] == [
        "Energy.Active.Import.Register",
        "Power.Active.Import",
        "Current.Import",
        "Voltage",
        "Frequency",
        "SoC",
        "Energy.Active.Import.Register",
    ]
    assert sampled[-1].format == "SignedData"
    assert sampled[-1].value == SIGNED_OCMF
    assert sampled[1].context is None


def test_decoded_stop_transaction_carries_transaction_data() -> None:
    raw = json.dumps(STOP_TRANSACTION_FRAME).encode()

    message = msgspec.json.decode(raw, type=StopTransactionRequest)

    assert (message.transaction_id, message.meter_stop, message.reason) == (
        4711,
        135802,
        "EVDisconnected",
    )
    assert message.transaction_data is not None
    assert [len(data.sampled_value) for data in message.transaction_data] == [2, 1]


def test_naive_timestamp_is_accepted() -> None:
    raw = b'{"connectorId": 1, "errorCode": "NoError", "status": "Available",'
    raw += b' "timestamp": "2024-05-01T12:00:00"}'

    message = msgspec.json.decode(raw, type=StatusNotificationRequest)

    assert message.timestamp == datetime(2024, 5, 1, 12)


def test_unknown_fields_are_ignored_at_every_level() -> None:
    payload = deepcopy(STOP_TRANSACTION_FRAME)
    payload["vendorSpecific"] = {"sessionId": "abc"}
    payload["transactionData"][0]["sampledValue"][0]["signedMeterValueVersion"] = 2

    message = _decode(CALL, "StopTransaction", json.dumps(payload).encode())

    assert message == _decode(CALL, "StopTransaction", json.dumps(STOP_TRANSACTION_FRAME).encode())


def test_schedule_limits_are_checked_when_built_in_code() -> None:
    assert ChargingSchedulePeriod(start_period=0, limit=16.3).limit == 16.3
    with pytest.raises(ValueError, match=r"multiple of 0\.1"):
        ChargingSchedulePeriod(start_period=0, limit=16.35)
    with pytest.raises(ValueError, match=r"multiple of 0\.1"):
        ChargingSchedule(
            charging_rate_unit="A", charging_schedule_period=[], min_charging_rate=0.05
        )


def test_decoded_schedule_limits_keep_their_value() -> None:
    raw = json.dumps(SET_CHARGING_PROFILE_FRAME).encode()

    message = msgspec.json.decode(raw, type=SetChargingProfileRequest)

    periods = message.cs_charging_profiles.charging_schedule.charging_schedule_period
    assert [period.limit for period in periods] == [16.3, 32.0, 7.7]


# --- 3 + 4. invalid frames: the schema and the struct both reject them ------------------------

BOOT = {"chargePointVendor": "Alfen BV", "chargePointModel": "NG920"}
STATUS = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
START = {
    "connectorId": 1,
    "idTag": "04A2B3C4",
    "meterStart": 0,
    "timestamp": "2024-05-01T12:00:00Z",
}
STOP = {"transactionId": 4711, "meterStop": 1000, "timestamp": "2024-05-01T13:00:00Z"}
SAMPLE = {"value": "1000", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
METER_VALUE = {"timestamp": "2024-05-01T12:15:00Z", "sampledValue": [SAMPLE]}
PERIOD = {"startPeriod": 0, "limit": 16.0}
PROFILE = {
    "chargingProfileId": 1,
    "stackLevel": 0,
    "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Absolute",
    "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [PERIOD]},
}

INVALID_FRAMES: list[tuple[str, int, str, Any]] = [
    ("missing vendor", CALL, "BootNotification", {"chargePointModel": "NG920"}),
    ("vendor too long", CALL, "BootNotification", {**BOOT, "chargePointVendor": "V" * 21}),
    ("iccid too long", CALL, "BootNotification", {**BOOT, "iccid": "8" * 21}),
    (
        "interval as string",
        CALL_RESULT,
        "BootNotification",
        {"status": "Accepted", "currentTime": "2024-05-01T12:00:00Z", "interval": "300"},
    ),
    (
        "status not in enum",
        CALL_RESULT,
        "BootNotification",
        {"status": "OK", "currentTime": "2024-05-01T12:00:00Z", "interval": 300},
    ),
    ("connectorId as string", CALL, "StatusNotification", {**STATUS, "connectorId": "1"}),
    ("connectorId as float", CALL, "StatusNotification", {**STATUS, "connectorId": 1.0}),
    ("connectorId as bool", CALL, "StatusNotification", {**STATUS, "connectorId": True}),
    ("OCPP 2.0 status", CALL, "StatusNotification", {**STATUS, "status": "Occupied"}),
    ("errorCode not in enum", CALL, "StatusNotification", {**STATUS, "errorCode": "Fault"}),
    ("info too long", CALL, "StatusNotification", {**STATUS, "info": "i" * 51}),
    ("missing status", CALL, "StatusNotification", {"connectorId": 1, "errorCode": "NoError"}),
    ("no meter values", CALL, "MeterValues", {"connectorId": 1, "meterValue": []}),
    (
        "no sampled values",
        CALL,
        "MeterValues",
        {"connectorId": 1, "meterValue": [{**METER_VALUE, "sampledValue": []}]},
    ),
    (
        "value as number",
        CALL,
        "MeterValues",
        {
            "connectorId": 1,
            "meterValue": [{**METER_VALUE, "sampledValue": [{**SAMPLE, "value": 1000}]}],
        },
    ),
    (
        "measurand not in enum",
        CALL,
        "MeterValues",
        {
            "connectorId": 1,
            "meterValue": [
                {**METER_VALUE, "sampledValue": [{**SAMPLE, "measurand": "Energy.Active.Import"}]}
            ],
        },
    ),
    (
        "unit in wrong case",
        CALL,
        "MeterValues",
        {
            "connectorId": 1,
            "meterValue": [{**METER_VALUE, "sampledValue": [{**SAMPLE, "unit": "kwh"}]}],
        },
    ),
    (
        "missing timestamp",
        CALL,
        "MeterValues",
        {"connectorId": 1, "meterValue": [{"sampledValue": [SAMPLE]}]},
    ),
    ("meterStart as float", CALL, "StartTransaction", {**START, "meterStart": 1234.5}),
    ("idTag too long", CALL, "StartTransaction", {**START, "idTag": "0" * 21}),
    (
        "missing meterStart",
        CALL,
        "StartTransaction",
        {k: v for k, v in START.items() if k != "meterStart"},
    ),
    (
        "missing transactionId",
        CALL,
        "StopTransaction",
        {k: v for k, v in STOP.items() if k != "transactionId"},
    ),
    ("reason not in enum", CALL, "StopTransaction", {**STOP, "reason": "Unknown"}),
    (
        "Hertz in transactionData",
        CALL,
        "StopTransaction",
        {
            **STOP,
            "transactionData": [{**METER_VALUE, "sampledValue": [{**SAMPLE, "unit": "Hertz"}]}],
        },
    ),
    (
        "transactionData as object",
        CALL,
        "StopTransaction",
        {**STOP, "transactionData": METER_VALUE},
    ),
    (
        "idTagInfo status not in enum",
        CALL_RESULT,
        "StopTransaction",
        {"idTagInfo": {"status": "Unknown"}},
    ),
    ("idTag too long", CALL, "Authorize", {"idTag": "0" * 21}),
    ("missing idTag", CALL, "Authorize", {}),
    ("idTag as number", CALL, "Authorize", {"idTag": 4711}),
    ("missing idTagInfo", CALL_RESULT, "Authorize", {}),
    ("payload is a list", CALL, "Heartbeat", []),
    ("missing currentTime", CALL_RESULT, "Heartbeat", {}),
    ("data as object", CALL, "DataTransfer", {"vendorId": "com.example", "data": {"kWh": 0.39}}),
    ("vendorId too long", CALL, "DataTransfer", {"vendorId": "v" * 256}),
    ("status not in enum", CALL_RESULT, "DataTransfer", {"status": "Unknown"}),
    (
        "limit with two decimals",
        CALL,
        "SetChargingProfile",
        {
            "connectorId": 1,
            "csChargingProfiles": {
                **PROFILE,
                "chargingSchedule": {
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": [{**PERIOD, "limit": 16.35}],
                },
            },
        },
    ),
    (
        "minChargingRate with two decimals",
        CALL_RESULT,
        "GetCompositeSchedule",
        {
            "status": "Accepted",
            "chargingSchedule": {
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": [],
                "minChargingRate": 0.05,
            },
        },
    ),
    (
        "limit as string",
        CALL,
        "RemoteStartTransaction",
        {
            "idTag": "A",
            "chargingProfile": {
                **PROFILE,
                "chargingSchedule": {
                    "chargingRateUnit": "A",
                    "chargingSchedulePeriod": [{**PERIOD, "limit": "16"}],
                },
            },
        },
    ),
    (
        "readonly as string",
        CALL_RESULT,
        "GetConfiguration",
        {"configurationKey": [{"key": "HeartbeatInterval", "readonly": "false"}]},
    ),
    (
        "empty certificate list",
        CALL_RESULT,
        "GetInstalledCertificateIds",
        {"status": "NotFound", "certificateHashData": []},
    ),
]


@pytest.mark.parametrize(
    ("case", "message_type_id", "action", "payload"),
    INVALID_FRAMES,
    ids=[f"{action}-{case}" for case, _, action, _ in INVALID_FRAMES],
)
def test_invalid_frame_is_rejected_by_schema_and_struct(
    case: str, message_type_id: int, action: str, payload: Any
) -> None:
    raw = json.dumps(payload).encode()

    assert _schema_errors(message_type_id, action, raw), f"schema accepts {case}"
    with pytest.raises(msgspec.ValidationError):
        _decode(message_type_id, action, raw)


def _replaced(payload: Any, path: tuple[str | int, ...], value: Any) -> Any:
    copy = deepcopy(payload)
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


def _dropped(payload: Any, path: tuple[str | int, ...], key: str) -> Any:
    copy = deepcopy(payload)
    target = copy
    for step in path:
        target = target[step]
    del target[key]
    return copy


def _mutations(
    payload: Any,
    value: Any,
    node: dict[str, Any],
    root: dict[str, Any],
    path: tuple[str | int, ...],
    *,
    optional: bool = False,
) -> Iterator[tuple[str, Any]]:
    """Invalid variants of `payload`, each breaking one constraint of the schema at `path`.

    ``null`` for an optional property is left out: the structs read it as absent on purpose.
    """
    node = _resolve(node, root)
    where = "/".join(map(str, path)) or "payload"
    kind: str = node["type"]
    if kind == "object":
        for key in node.get("required", []):
            yield f"{where}: without {key}", _dropped(payload, path, key)
        if path:
            yield f"{where}: string for object", _replaced(payload, path, "object")
        required = node.get("required", [])
        for key, item in value.items():
            yield from _mutations(
                payload,
                item,
                node["properties"][key],
                root,
                (*path, key),
                optional=key not in required,
            )
        return
    wrong_types: dict[str, list[Any]] = {
        "array": [{}, "list"],
        "string": [7, None, ["text"]],
        "integer": ["42", 4.0, 4.2, True, None],
        "number": ["12.3", True, None],
        "boolean": ["true", 1, None],
    }
    for wrong in wrong_types[kind]:
        if wrong is None and optional:
            continue
        yield f"{where}: {wrong!r} for {kind}", _replaced(payload, path, wrong)
    if "enum" in node:
        yield f"{where}: value not in enum", _replaced(payload, path, "NotInTheSchema")
    if "maxLength" in node:
        too_long = "x" * (node["maxLength"] + 1)
        yield f"{where}: {node['maxLength'] + 1} characters", _replaced(payload, path, too_long)
    if "multipleOf" in node:
        yield f"{where}: not a multiple of 0.1", _replaced(payload, path, 12.34)
    if kind == "array":
        if node.get("minItems"):
            yield f"{where}: empty list", _replaced(payload, path, [])
        for index, item in enumerate(value):
            yield from _mutations(payload, item, node["items"], root, (*path, index))


@pytest.mark.parametrize(("message_type_id", "action"), CASES, ids=CASE_IDS)
def test_mutations_are_rejected_by_schema_and_struct(message_type_id: int, action: str) -> None:
    struct = _struct(message_type_id, action)
    schema = _schema(message_type_id, action)
    valid = json.loads(msgspec.json.encode(_build(mi.type_info(struct), full=True)))

    mutations = list(_mutations(valid, valid, schema, schema, ()))
    disagreements = []
    for label, mutated in mutations:
        raw = json.dumps(mutated).encode()
        if not _schema_errors(message_type_id, action, raw):
            disagreements.append(f"schema accepts {label}")
        try:
            _decode(message_type_id, action, raw)
        except msgspec.ValidationError:
            pass
        else:
            disagreements.append(f"struct accepts {label}")

    assert disagreements == []
    assert len(mutations) >= len(schema.get("required", []))


# --- deliberate differences from the schema ---------------------------------------------------


@pytest.mark.parametrize(
    ("case", "payload"),
    [
        ("vendor field", {**START, "vendorSessionId": "abc"}),
        ("null for an optional field", {**START, "reservationId": None}),
    ],
)
def test_struct_is_more_lenient_than_schema(case: str, payload: dict[str, Any]) -> None:
    raw = json.dumps(payload).encode()

    assert _schema_errors(CALL, "StartTransaction", raw), case
    assert _decode(CALL, "StartTransaction", raw) == _decode(
        CALL, "StartTransaction", json.dumps(START).encode()
    )


def test_struct_is_stricter_than_schema_on_timestamps() -> None:
    raw = json.dumps({**START, "timestamp": "yesterday"}).encode()

    assert _schema_errors(CALL, "StartTransaction", raw) == []
    with pytest.raises(msgspec.ValidationError, match="datetime"):
        _decode(CALL, "StartTransaction", raw)
