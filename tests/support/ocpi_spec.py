"""OCPI 2.2.1 object definitions as JSON Schemas, written from the specification (ocpi/ocpi,
tag 2.2.1) independently of the platform's own Structs, so that the tests' partner checks
every object the platform sends: required fields, types, enum values, string lengths."""

from __future__ import annotations

from typing import Any

import jsonschema

DATETIME = {
    "type": "string",
    "maxLength": 25,
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]00:00)?$",
}


def ci(length: int, *, min_length: int = 0) -> dict[str, Any]:
    return {
        "type": "string",
        "maxLength": length,
        "minLength": min_length,
        "pattern": r"^[\x20-\x7e]*$",
    }


def text(length: int) -> dict[str, Any]:
    return {"type": "string", "maxLength": length}


def enum(*values: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    optional = optional or {}
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **optional},
    }


def array(items: dict[str, Any], *, min_items: int = 0) -> dict[str, Any]:
    return {"type": "array", "items": items, "minItems": min_items}


NUMBER = {"type": "number"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
URL = text(255)
COUNTRY_CODE = {"type": "string", "pattern": r"^[A-Z]{2}$"}
PARTY_ID = {"type": "string", "pattern": r"^[A-Z0-9]{3}$"}
CURRENCY = {"type": "string", "pattern": r"^[A-Z]{3}$"}

DISPLAY_TEXT = obj({"language": text(2), "text": text(512)})
PRICE = obj({"excl_vat": NUMBER}, {"incl_vat": NUMBER})
GEO = obj(
    {
        "latitude": {"type": "string", "pattern": r"^-?[0-9]{1,2}\.[0-9]{5,7}$"},
        "longitude": {"type": "string", "pattern": r"^-?[0-9]{1,3}\.[0-9]{5,7}$"},
    }
)
IMAGE = obj(
    {
        "url": URL,
        "category": enum(
            "CHARGER", "ENTRANCE", "LOCATION", "NETWORK", "OPERATOR", "OTHER", "OWNER"
        ),
        "type": text(4),
    },
    {"thumbnail": URL, "width": INTEGER, "height": INTEGER},
)
BUSINESS_DETAILS = obj({"name": text(100)}, {"website": URL, "logo": IMAGE})
TOKEN_TYPE = enum("AD_HOC_USER", "APP_USER", "OTHER", "RFID")
AUTH_METHOD = enum("AUTH_REQUEST", "COMMAND", "WHITELIST")
CONNECTOR_TYPE = enum(
    "CHADEMO", "CHAOJI", "DOMESTIC_A", "DOMESTIC_B", "DOMESTIC_C", "DOMESTIC_D", "DOMESTIC_E",
    "DOMESTIC_F", "DOMESTIC_G", "DOMESTIC_H", "DOMESTIC_I", "DOMESTIC_J", "DOMESTIC_K",
    "DOMESTIC_L", "DOMESTIC_M", "DOMESTIC_N", "DOMESTIC_O", "GBT_AC", "GBT_DC",
    "IEC_60309_2_single_16", "IEC_60309_2_three_16", "IEC_60309_2_three_32",
    "IEC_60309_2_three_64", "IEC_62196_T1", "IEC_62196_T1_COMBO", "IEC_62196_T2",
    "IEC_62196_T2_COMBO", "IEC_62196_T3A", "IEC_62196_T3C", "NEMA_5_20", "NEMA_6_30",
    "NEMA_6_50", "NEMA_10_30", "NEMA_10_50", "NEMA_14_30", "NEMA_14_50", "PANTOGRAPH_BOTTOM_UP",
    "PANTOGRAPH_TOP_DOWN", "TESLA_R", "TESLA_S",
)  # fmt: skip
CONNECTOR_FORMAT = enum("SOCKET", "CABLE")
POWER_TYPE = enum("AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE", "DC")
EVSE_STATUS = enum(
    "AVAILABLE", "BLOCKED", "CHARGING", "INOPERATIVE", "OUTOFORDER", "PLANNED", "REMOVED",
    "RESERVED", "UNKNOWN",
)  # fmt: skip
CAPABILITY = enum(
    "CHARGING_PROFILE_CAPABLE", "CHARGING_PREFERENCES_CAPABLE", "CHIP_CARD_SUPPORT",
    "CONTACTLESS_CARD_SUPPORT", "CREDIT_CARD_PAYABLE", "DEBIT_CARD_PAYABLE", "PED_TERMINAL",
    "REMOTE_START_STOP_CAPABLE", "RESERVABLE", "RFID_READER", "START_SESSION_CONNECTOR_REQUIRED",
    "TOKEN_GROUP_CAPABLE", "UNLOCK_CAPABLE",
)  # fmt: skip

VERSION = obj({"version": enum("2.0", "2.1", "2.1.1", "2.2", "2.2.1"), "url": URL})
ENDPOINT = obj(
    {
        "identifier": enum(
            "cdrs", "chargingprofiles", "commands", "credentials", "hubclientinfo",
            "locations", "sessions", "tariffs", "tokens",
        ),
        "role": enum("SENDER", "RECEIVER"),
        "url": URL,
    }
)  # fmt: skip
VERSION_DETAILS = obj({"version": enum("2.2.1"), "endpoints": array(ENDPOINT, min_items=1)})
CREDENTIALS_ROLE = obj(
    {
        "role": enum("CPO", "EMSP", "HUB", "NAP", "NSP", "OTHER", "SCSP"),
        "business_details": BUSINESS_DETAILS,
        "party_id": PARTY_ID,
        "country_code": COUNTRY_CODE,
    }
)
CREDENTIALS = obj(
    {
        "token": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[!-~]+$"},
        "url": URL,
        "roles": array(CREDENTIALS_ROLE, min_items=1),
    }
)
TOKEN = obj(
    {
        "country_code": COUNTRY_CODE,
        "party_id": PARTY_ID,
        "uid": ci(36, min_length=1),
        "type": TOKEN_TYPE,
        "contract_id": ci(36),
        "issuer": text(64),
        "valid": BOOLEAN,
        "whitelist": enum("ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER"),
        "last_updated": DATETIME,
    },
    {
        "visual_number": text(64),
        "group_id": ci(36),
        "language": text(2),
        "default_profile_type": enum("CHEAP", "FAST", "GREEN", "REGULAR"),
        "energy_contract": obj({"supplier_name": text(64)}, {"contract_id": text(64)}),
    },
)
LOCATION_REFERENCES = obj(
    {"location_id": ci(36, min_length=1)},
    {"evse_uids": array(ci(36)), "connector_ids": array(ci(36))},
)
CONNECTOR = obj(
    {
        "id": ci(36, min_length=1),
        "standard": CONNECTOR_TYPE,
        "format": CONNECTOR_FORMAT,
        "power_type": POWER_TYPE,
        "max_voltage": INTEGER,
        "max_amperage": INTEGER,
        "last_updated": DATETIME,
    },
    {"max_electric_power": INTEGER, "tariff_ids": array(ci(36)), "terms_and_conditions": URL},
)
EVSE = obj(
    {
        "uid": ci(36, min_length=1),
        "status": EVSE_STATUS,
        "connectors": array(CONNECTOR, min_items=1),
        "last_updated": DATETIME,
    },
    {
        "evse_id": ci(48),
        "capabilities": array(CAPABILITY),
        "floor_level": text(4),
        "coordinates": GEO,
        "physical_reference": text(16),
        "directions": array(DISPLAY_TEXT),
    },
)
LOCATION = obj(
    {
        "country_code": COUNTRY_CODE,
        "party_id": PARTY_ID,
        "id": ci(36, min_length=1),
        "publish": BOOLEAN,
        "address": text(45),
        "city": text(45),
        "country": {"type": "string", "pattern": r"^[A-Z]{3}$"},
        "coordinates": GEO,
        "time_zone": text(255),
        "last_updated": DATETIME,
    },
    {
        "name": text(255),
        "postal_code": text(10),
        "state": text(20),
        "evses": array(EVSE),
        "operator": BUSINESS_DETAILS,
        "suboperator": BUSINESS_DETAILS,
        "owner": BUSINESS_DETAILS,
        "charging_when_closed": BOOLEAN,
    },
)
PRICE_COMPONENT = obj(
    {
        "type": enum("ENERGY", "FLAT", "PARKING_TIME", "TIME"),
        "price": NUMBER,
        "step_size": INTEGER,
    },
    {"vat": NUMBER},
)
TARIFF_RESTRICTIONS = obj(
    {},
    {
        "start_time": {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$"},
        "end_time": {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$"},
        "start_date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "end_date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "min_kwh": NUMBER,
        "max_kwh": NUMBER,
        "min_current": NUMBER,
        "max_current": NUMBER,
        "min_power": NUMBER,
        "max_power": NUMBER,
        "min_duration": INTEGER,
        "max_duration": INTEGER,
        "day_of_week": array(
            enum("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
        ),
        "reservation": enum("RESERVATION", "RESERVATION_EXPIRES"),
    },
)
TARIFF = obj(
    {
        "country_code": COUNTRY_CODE,
        "party_id": PARTY_ID,
        "id": ci(36, min_length=1),
        "currency": CURRENCY,
        "elements": array(
            obj(
                {"price_components": array(PRICE_COMPONENT, min_items=1)},
                {"restrictions": TARIFF_RESTRICTIONS},
            ),
            min_items=1,
        ),
        "last_updated": DATETIME,
    },
    {
        "type": enum("AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST", "PROFILE_GREEN", "REGULAR"),
        "tariff_alt_text": array(DISPLAY_TEXT),
        "tariff_alt_url": URL,
        "min_price": PRICE,
        "max_price": PRICE,
        "start_date_time": DATETIME,
        "end_date_time": DATETIME,
    },
)
CDR_TOKEN = obj(
    {
        "country_code": COUNTRY_CODE,
        "party_id": PARTY_ID,
        "uid": ci(36, min_length=1),
        "type": TOKEN_TYPE,
        "contract_id": ci(36),
    }
)
CDR_DIMENSION = obj(
    {
        "type": enum(
            "CURRENT", "ENERGY", "ENERGY_EXPORT", "ENERGY_IMPORT", "MAX_CURRENT", "MIN_CURRENT",
            "MAX_POWER", "MIN_POWER", "PARKING_TIME", "POWER", "RESERVATION_TIME",
            "STATE_OF_CHARGE", "TIME",
        ),
        "volume": NUMBER,
    }
)  # fmt: skip
CHARGING_PERIOD = obj(
    {"start_date_time": DATETIME, "dimensions": array(CDR_DIMENSION, min_items=1)},
    {"tariff_id": ci(36)},
)
SESSION = obj(
    {
        "country_code": COUNTRY_CODE,
        "party_id": PARTY_ID,
        "id": ci(36, min_length=1),
        "start_date_time": DATETIME,
        "kwh": NUMBER,
        "cdr_token": CDR_TOKEN,
        "auth_method": AUTH_METHOD,
        "location_id": ci(36, min_length=1),
        "evse_uid": ci(36, min_length=1),
        "connector_id": ci(36, min_length=1),
        "currency": CURRENCY,
        "status": enum("ACTIVE", "COMPLETED", "INVALID", "PENDING", "RESERVATION"),
        "last_updated": DATETIME,
    },
    {
        "end_date_time": DATETIME,
        "authorization_reference": ci(36),
        "meter_id": text(255),
        "charging_periods": array(CHARGING_PERIOD),
        "total_cost": PRICE,
    },
)
CDR_LOCATION = obj(
    {
        "id": ci(36, min_length=1),
        "address": text(45),
        "city": text(45),
        "country": {"type": "string", "pattern": r"^[A-Z]{3}$"},
        "coordinates": GEO,
        "evse_uid": ci(36, min_length=1),
        "evse_id": ci(48),
        "connector_id": ci(36, min_length=1),
        "connector_standard": CONNECTOR_TYPE,
        "connector_format": CONNECTOR_FORMAT,
        "connector_power_type": POWER_TYPE,
    },
    {"name": text(255), "postal_code": text(10), "state": text(20)},
)
SIGNED_DATA = obj(
    {
        "encoding_method": ci(36),
        "signed_values": array(
            obj({"nature": ci(32), "plain_data": text(512), "signed_data": text(5000)}),
            min_items=1,
        ),
    },
    {"encoding_method_version": INTEGER, "public_key": text(512), "url": text(512)},
)
CDR = obj(
    {
        "country_code": COUNTRY_CODE,
        "party_id": PARTY_ID,
        "id": ci(39, min_length=1),
        "start_date_time": DATETIME,
        "end_date_time": DATETIME,
        "cdr_token": CDR_TOKEN,
        "auth_method": AUTH_METHOD,
        "cdr_location": CDR_LOCATION,
        "currency": CURRENCY,
        "charging_periods": array(CHARGING_PERIOD, min_items=1),
        "total_cost": PRICE,
        "total_energy": NUMBER,
        "total_time": NUMBER,
        "last_updated": DATETIME,
    },
    {
        "session_id": ci(36),
        "authorization_reference": ci(36),
        "meter_id": text(255),
        "tariffs": array(TARIFF),
        "signed_data": SIGNED_DATA,
        "total_fixed_cost": PRICE,
        "total_energy_cost": PRICE,
        "total_time_cost": PRICE,
        "total_parking_time": NUMBER,
        "total_parking_cost": PRICE,
        "total_reservation_cost": PRICE,
        "remark": text(255),
        "invoice_reference_id": ci(39),
        "credit": BOOLEAN,
        "credit_reference_id": ci(39),
        "home_charging_compensation": BOOLEAN,
    },
)
COMMAND_RESPONSE = obj(
    {
        "result": enum("NOT_SUPPORTED", "REJECTED", "ACCEPTED", "UNKNOWN_SESSION"),
        "timeout": INTEGER,
    },
    {"message": array(DISPLAY_TEXT)},
)
COMMAND_RESULT = obj(
    {
        "result": enum(
            "ACCEPTED", "CANCELED_RESERVATION", "EVSE_OCCUPIED", "EVSE_INOPERATIVE", "FAILED",
            "NOT_SUPPORTED", "REJECTED", "TIMEOUT", "UNKNOWN_RESERVATION",
        )
    },
    {"message": array(DISPLAY_TEXT)},
)  # fmt: skip


def envelope(data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The response envelope; `data` as given when the status says success."""
    schema = obj(
        {"status_code": INTEGER, "timestamp": DATETIME},
        {"status_message": {"type": "string"}},
    )
    if data is not None:
        schema["properties"]["data"] = data
    return schema


def problems(schema: dict[str, Any], instance: Any) -> list[str]:
    """Every way `instance` breaks `schema`, as readable lines (empty when it conforms)."""
    validator = jsonschema.Draft202012Validator(schema)
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in validator.iter_errors(instance)
    ]


def check(schema: dict[str, Any], instance: Any) -> None:
    found = problems(schema, instance)
    assert not found, "not OCPI 2.2.1:\n" + "\n".join(found)
