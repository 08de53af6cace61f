"""OCPI 2.2.1 objects, field by field, as msgspec Structs.

Field names, optionality and lengths follow the specification (ocpi/ocpi, tag 2.2.1):
`CiString(n)` and `string(n)` become `Annotated[str, Meta(max_length=n)]`; what the spec
marks `?` or `*` may be absent (`None` or empty list, left out when encoding); enums list
the spec's values. Units are the spec's (kWh, hours, prices as decimal numbers): these
objects are the edge; our own code works in Wh, seconds and minor units.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Generic, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

T = TypeVar("T")


CiString2 = Annotated[str, msgspec.Meta(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")]
CiString3 = Annotated[str, msgspec.Meta(min_length=3, max_length=3, pattern=r"^[A-Za-z0-9]{3}$")]
CiString36 = Annotated[str, msgspec.Meta(min_length=1, max_length=36, pattern=r"^[\x20-\x7e]*$")]
CiString39 = Annotated[str, msgspec.Meta(min_length=1, max_length=39, pattern=r"^[\x20-\x7e]*$")]
CiString48 = Annotated[str, msgspec.Meta(max_length=48, pattern=r"^[\x20-\x7e]*$")]
CiString64 = Annotated[str, msgspec.Meta(max_length=64, pattern=r"^[\x20-\x7e]*$")]
Url = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
Latitude = Annotated[str, msgspec.Meta(max_length=10, pattern=r"^-?[0-9]{1,2}\.[0-9]{5,7}$")]
Longitude = Annotated[str, msgspec.Meta(max_length=11, pattern=r"^-?[0-9]{1,3}\.[0-9]{5,7}$")]


class Struct(msgspec.Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=False):
    """OCPI objects: optional fields are left out rather than sent as null."""


# -- envelope ----------------------------------------------------------------------------


class Response(Struct, Generic[T]):
    """Every OCPI response body (transport and format, 4.1.7)."""

    status_code: int
    timestamp: datetime
    data: T | None = None
    status_message: str | None = None


class RawResponse(Struct):
    status_code: int
    timestamp: datetime | None = None
    data: msgspec.Raw = msgspec.Raw(b"null")
    status_message: str | None = None


# -- versions ----------------------------------------------------------------------------


class VersionNumber(StrEnum):
    V2_0 = "2.0"
    V2_1 = "2.1"
    V2_1_1 = "2.1.1"
    V2_2 = "2.2"
    V2_2_1 = "2.2.1"


class Version(Struct):
    version: str
    url: Url


class InterfaceRole(StrEnum):
    SENDER = "SENDER"
    RECEIVER = "RECEIVER"


class ModuleId(StrEnum):
    CDRS = "cdrs"
    CHARGING_PROFILES = "chargingprofiles"
    COMMANDS = "commands"
    CREDENTIALS = "credentials"
    HUB_CLIENT_INFO = "hubclientinfo"
    LOCATIONS = "locations"
    SESSIONS = "sessions"
    TARIFFS = "tariffs"
    TOKENS = "tokens"


class Endpoint(Struct):
    # Partners may list modules this platform does not know: kept as strings.
    identifier: str
    role: InterfaceRole
    url: Url


class VersionDetails(Struct):
    version: str
    endpoints: Annotated[list[Endpoint], msgspec.Meta(max_length=100)]


# -- credentials -------------------------------------------------------------------------


class Role(StrEnum):
    CPO = "CPO"
    EMSP = "EMSP"
    HUB = "HUB"
    NAP = "NAP"
    NSP = "NSP"
    OTHER = "OTHER"
    SCSP = "SCSP"


class ImageCategory(StrEnum):
    CHARGER = "CHARGER"
    ENTRANCE = "ENTRANCE"
    LOCATION = "LOCATION"
    NETWORK = "NETWORK"
    OPERATOR = "OPERATOR"
    OTHER = "OTHER"
    OWNER = "OWNER"


class Image(Struct):
    url: Url
    category: ImageCategory
    type: Annotated[str, msgspec.Meta(max_length=4)]
    thumbnail: Url | None = None
    width: Annotated[int, msgspec.Meta(ge=0, le=99_999)] | None = None
    height: Annotated[int, msgspec.Meta(ge=0, le=99_999)] | None = None


class BusinessDetails(Struct):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    website: Url | None = None
    logo: Image | None = None


class CredentialsRole(Struct):
    role: Role
    business_details: BusinessDetails
    party_id: CiString3
    country_code: CiString2


class Credentials(Struct):
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")]
    url: Url
    # A hub speaks for many parties, but not for thousands in one registration.
    roles: Annotated[list[CredentialsRole], msgspec.Meta(min_length=1, max_length=100)]


# -- shared types ------------------------------------------------------------------------


class DisplayText(Struct):
    language: Annotated[str, msgspec.Meta(min_length=2, max_length=2)]
    text: Annotated[str, msgspec.Meta(max_length=512)]


class TokenType(StrEnum):
    AD_HOC_USER = "AD_HOC_USER"
    APP_USER = "APP_USER"
    OTHER = "OTHER"
    RFID = "RFID"


class WhitelistType(StrEnum):
    ALWAYS = "ALWAYS"
    ALLOWED = "ALLOWED"
    ALLOWED_OFFLINE = "ALLOWED_OFFLINE"
    NEVER = "NEVER"


class ProfileType(StrEnum):
    CHEAP = "CHEAP"
    FAST = "FAST"
    GREEN = "GREEN"
    REGULAR = "REGULAR"


class AllowedType(StrEnum):
    ALLOWED = "ALLOWED"
    BLOCKED = "BLOCKED"
    EXPIRED = "EXPIRED"
    NO_CREDIT = "NO_CREDIT"
    NOT_ALLOWED = "NOT_ALLOWED"


class AuthMethod(StrEnum):
    AUTH_REQUEST = "AUTH_REQUEST"
    COMMAND = "COMMAND"
    WHITELIST = "WHITELIST"


# -- tokens ------------------------------------------------------------------------------


class EnergyContract(Struct):
    supplier_name: Annotated[str, msgspec.Meta(max_length=64)]
    contract_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class Token(Struct):
    country_code: CiString2
    party_id: CiString3
    uid: CiString36
    type: TokenType
    contract_id: CiString36
    issuer: Annotated[str, msgspec.Meta(max_length=64)]
    valid: bool
    whitelist: WhitelistType
    last_updated: datetime
    visual_number: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    group_id: CiString36 | None = None
    language: Annotated[str, msgspec.Meta(min_length=2, max_length=2)] | None = None
    default_profile_type: ProfileType | None = None
    energy_contract: EnergyContract | None = None


class TokenPatch(Struct):
    """PATCH body: any Token fields, `last_updated` required (mod_tokens, PATCH). Fields the
    partner left out are UNSET; optional fields it sets to null are None (removed)."""

    last_updated: datetime
    country_code: CiString2 | UnsetType = UNSET
    party_id: CiString3 | UnsetType = UNSET
    uid: CiString36 | UnsetType = UNSET
    type: TokenType | UnsetType = UNSET
    contract_id: CiString36 | UnsetType = UNSET
    issuer: Annotated[str, msgspec.Meta(max_length=64)] | UnsetType = UNSET
    valid: bool | UnsetType = UNSET
    whitelist: WhitelistType | UnsetType = UNSET
    visual_number: Annotated[str, msgspec.Meta(max_length=64)] | UnsetType | None = UNSET
    group_id: CiString36 | UnsetType | None = UNSET
    language: Annotated[str, msgspec.Meta(min_length=2, max_length=2)] | UnsetType | None = UNSET
    default_profile_type: ProfileType | UnsetType | None = UNSET
    energy_contract: EnergyContract | UnsetType | None = UNSET


class LocationReferences(Struct):
    location_id: CiString36
    evse_uids: Annotated[list[CiString36], msgspec.Meta(max_length=1000)] = msgspec.field(
        default_factory=list
    )
    connector_ids: Annotated[list[CiString36], msgspec.Meta(max_length=1000)] = msgspec.field(
        default_factory=list
    )


class AuthorizationInfo(Struct):
    allowed: AllowedType
    token: Token
    location: LocationReferences | None = None
    authorization_reference: CiString36 | None = None
    info: DisplayText | None = None


# -- locations ---------------------------------------------------------------------------


class GeoLocation(Struct):
    latitude: Latitude
    longitude: Longitude


class EvseStatus(StrEnum):
    AVAILABLE = "AVAILABLE"
    BLOCKED = "BLOCKED"
    CHARGING = "CHARGING"
    INOPERATIVE = "INOPERATIVE"
    OUTOFORDER = "OUTOFORDER"
    PLANNED = "PLANNED"
    REMOVED = "REMOVED"
    RESERVED = "RESERVED"
    UNKNOWN = "UNKNOWN"


class Capability(StrEnum):
    CHARGING_PROFILE_CAPABLE = "CHARGING_PROFILE_CAPABLE"
    CHARGING_PREFERENCES_CAPABLE = "CHARGING_PREFERENCES_CAPABLE"
    CHIP_CARD_SUPPORT = "CHIP_CARD_SUPPORT"
    CONTACTLESS_CARD_SUPPORT = "CONTACTLESS_CARD_SUPPORT"
    CREDIT_CARD_PAYABLE = "CREDIT_CARD_PAYABLE"
    DEBIT_CARD_PAYABLE = "DEBIT_CARD_PAYABLE"
    PED_TERMINAL = "PED_TERMINAL"
    REMOTE_START_STOP_CAPABLE = "REMOTE_START_STOP_CAPABLE"
    RESERVABLE = "RESERVABLE"
    RFID_READER = "RFID_READER"
    START_SESSION_CONNECTOR_REQUIRED = "START_SESSION_CONNECTOR_REQUIRED"
    TOKEN_GROUP_CAPABLE = "TOKEN_GROUP_CAPABLE"  # noqa: S105 (a capability, not a secret)
    UNLOCK_CAPABLE = "UNLOCK_CAPABLE"


class PowerType(StrEnum):
    AC_1_PHASE = "AC_1_PHASE"
    AC_2_PHASE = "AC_2_PHASE"
    AC_2_PHASE_SPLIT = "AC_2_PHASE_SPLIT"
    AC_3_PHASE = "AC_3_PHASE"
    DC = "DC"


class Connector(Struct):
    id: CiString36
    standard: str  # ConnectorType; ours are a subset (cpo.stations.enums.ConnectorStandard)
    format: str  # ConnectorFormat: SOCKET or CABLE
    power_type: PowerType
    max_voltage: int
    max_amperage: int
    last_updated: datetime
    max_electric_power: int | None = None
    tariff_ids: list[CiString36] = msgspec.field(default_factory=list)
    terms_and_conditions: Url | None = None


class Evse(Struct):
    uid: CiString36
    status: EvseStatus
    connectors: Annotated[list[Connector], msgspec.Meta(min_length=1)]
    last_updated: datetime
    evse_id: CiString48 | None = None
    capabilities: list[Capability] = msgspec.field(default_factory=list)
    floor_level: Annotated[str, msgspec.Meta(max_length=4)] | None = None
    coordinates: GeoLocation | None = None
    physical_reference: Annotated[str, msgspec.Meta(max_length=16)] | None = None


class Location(Struct):
    country_code: CiString2
    party_id: CiString3
    id: CiString36
    publish: bool
    address: Annotated[str, msgspec.Meta(max_length=45)]
    city: Annotated[str, msgspec.Meta(max_length=45)]
    country: Annotated[str, msgspec.Meta(min_length=3, max_length=3)]
    coordinates: GeoLocation
    time_zone: Annotated[str, msgspec.Meta(max_length=255)]
    last_updated: datetime
    name: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    postal_code: Annotated[str, msgspec.Meta(max_length=10)] | None = None
    evses: list[Evse] = msgspec.field(default_factory=list)
    operator: BusinessDetails | None = None
    charging_when_closed: bool | None = None


# -- tariffs -----------------------------------------------------------------------------


class Price(Struct):
    excl_vat: float
    incl_vat: float | None = None


class TariffDimensionType(StrEnum):
    ENERGY = "ENERGY"
    FLAT = "FLAT"
    PARKING_TIME = "PARKING_TIME"
    TIME = "TIME"


class PriceComponent(Struct):
    type: TariffDimensionType
    price: float  # excl. VAT: per kWh, per hour, or per session
    step_size: int
    vat: float | None = None


class DayOfWeek(StrEnum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


class TariffRestrictions(Struct):
    start_time: Annotated[str, msgspec.Meta(max_length=5)] | None = None
    end_time: Annotated[str, msgspec.Meta(max_length=5)] | None = None
    start_date: Annotated[str, msgspec.Meta(max_length=10)] | None = None
    end_date: Annotated[str, msgspec.Meta(max_length=10)] | None = None
    min_kwh: float | None = None
    max_kwh: float | None = None
    min_current: float | None = None
    max_current: float | None = None
    min_power: float | None = None
    max_power: float | None = None
    min_duration: int | None = None
    max_duration: int | None = None
    day_of_week: list[DayOfWeek] | None = None


class TariffElement(Struct):
    price_components: Annotated[list[PriceComponent], msgspec.Meta(min_length=1)]
    restrictions: TariffRestrictions | None = None


class TariffType(StrEnum):
    AD_HOC_PAYMENT = "AD_HOC_PAYMENT"
    PROFILE_CHEAP = "PROFILE_CHEAP"
    PROFILE_FAST = "PROFILE_FAST"
    PROFILE_GREEN = "PROFILE_GREEN"
    REGULAR = "REGULAR"


class Tariff(Struct):
    country_code: CiString2
    party_id: CiString3
    id: CiString36
    currency: Currency
    elements: Annotated[list[TariffElement], msgspec.Meta(min_length=1)]
    last_updated: datetime
    type: TariffType | None = None
    tariff_alt_text: list[DisplayText] = msgspec.field(default_factory=list)
    tariff_alt_url: Url | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    start_date_time: datetime | None = None
    end_date_time: datetime | None = None


# -- sessions and CDRs -------------------------------------------------------------------


class CdrToken(Struct):
    country_code: CiString2
    party_id: CiString3
    uid: CiString36
    type: TokenType
    contract_id: CiString36


class CdrDimensionType(StrEnum):
    CURRENT = "CURRENT"
    ENERGY = "ENERGY"
    ENERGY_EXPORT = "ENERGY_EXPORT"
    ENERGY_IMPORT = "ENERGY_IMPORT"
    MAX_CURRENT = "MAX_CURRENT"
    MIN_CURRENT = "MIN_CURRENT"
    MAX_POWER = "MAX_POWER"
    MIN_POWER = "MIN_POWER"
    PARKING_TIME = "PARKING_TIME"
    POWER = "POWER"
    RESERVATION_TIME = "RESERVATION_TIME"
    STATE_OF_CHARGE = "STATE_OF_CHARGE"
    TIME = "TIME"


class CdrDimension(Struct):
    type: CdrDimensionType
    volume: float


class ChargingPeriod(Struct):
    start_date_time: datetime
    dimensions: Annotated[list[CdrDimension], msgspec.Meta(min_length=1)]
    tariff_id: CiString36 | None = None


class SessionStatus(StrEnum):
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    INVALID = "INVALID"
    PENDING = "PENDING"
    RESERVATION = "RESERVATION"


class Session(Struct):
    country_code: CiString2
    party_id: CiString3
    id: CiString36
    start_date_time: datetime
    kwh: float
    cdr_token: CdrToken
    auth_method: AuthMethod
    location_id: CiString36
    evse_uid: CiString36
    connector_id: CiString36
    currency: Currency
    status: SessionStatus
    last_updated: datetime
    end_date_time: datetime | None = None
    authorization_reference: CiString36 | None = None
    meter_id: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    charging_periods: list[ChargingPeriod] = msgspec.field(default_factory=list)
    total_cost: Price | None = None


class CdrLocation(Struct):
    id: CiString36
    address: Annotated[str, msgspec.Meta(max_length=45)]
    city: Annotated[str, msgspec.Meta(max_length=45)]
    country: Annotated[str, msgspec.Meta(min_length=3, max_length=3)]
    coordinates: GeoLocation
    evse_uid: CiString36
    evse_id: CiString48
    connector_id: CiString36
    connector_standard: str
    connector_format: str
    connector_power_type: PowerType
    name: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    postal_code: Annotated[str, msgspec.Meta(max_length=10)] | None = None


class SignedValue(Struct):
    nature: Annotated[str, msgspec.Meta(max_length=32)]
    plain_data: Annotated[str, msgspec.Meta(max_length=512)]
    signed_data: Annotated[str, msgspec.Meta(max_length=5000)]


class SignedData(Struct):
    encoding_method: Annotated[str, msgspec.Meta(max_length=36)]
    signed_values: Annotated[list[SignedValue], msgspec.Meta(min_length=1)]
    encoding_method_version: int | None = None
    public_key: Annotated[str, msgspec.Meta(max_length=512)] | None = None
    url: Annotated[str, msgspec.Meta(max_length=512)] | None = None


class Cdr(Struct):
    country_code: CiString2
    party_id: CiString3
    id: CiString39
    start_date_time: datetime
    end_date_time: datetime
    cdr_token: CdrToken
    auth_method: AuthMethod
    cdr_location: CdrLocation
    currency: Currency
    charging_periods: Annotated[list[ChargingPeriod], msgspec.Meta(min_length=1)]
    total_cost: Price
    total_energy: float
    total_time: float
    last_updated: datetime
    session_id: CiString36 | None = None
    authorization_reference: CiString36 | None = None
    meter_id: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    tariffs: list[Tariff] = msgspec.field(default_factory=list)
    signed_data: SignedData | None = None
    total_fixed_cost: Price | None = None
    total_energy_cost: Price | None = None
    total_time_cost: Price | None = None
    total_parking_time: float | None = None
    total_parking_cost: Price | None = None
    remark: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    credit: bool | None = None
    credit_reference_id: CiString39 | None = None


# -- commands ----------------------------------------------------------------------------


class CommandType(StrEnum):
    CANCEL_RESERVATION = "CANCEL_RESERVATION"
    RESERVE_NOW = "RESERVE_NOW"
    START_SESSION = "START_SESSION"
    STOP_SESSION = "STOP_SESSION"
    UNLOCK_CONNECTOR = "UNLOCK_CONNECTOR"


class CommandResponseType(StrEnum):
    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    ACCEPTED = "ACCEPTED"
    UNKNOWN_SESSION = "UNKNOWN_SESSION"


class CommandResultType(StrEnum):
    ACCEPTED = "ACCEPTED"
    CANCELED_RESERVATION = "CANCELED_RESERVATION"
    EVSE_OCCUPIED = "EVSE_OCCUPIED"
    EVSE_INOPERATIVE = "EVSE_INOPERATIVE"
    FAILED = "FAILED"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    TIMEOUT = "TIMEOUT"
    UNKNOWN_RESERVATION = "UNKNOWN_RESERVATION"


class CommandResponse(Struct):
    result: CommandResponseType
    timeout: int
    message: list[DisplayText] = msgspec.field(default_factory=list)


class CommandResult(Struct):
    result: CommandResultType
    message: list[DisplayText] = msgspec.field(default_factory=list)


class StartSession(Struct):
    response_url: Url
    token: Token
    location_id: CiString36
    evse_uid: CiString36 | None = None
    connector_id: CiString36 | None = None
    authorization_reference: CiString36 | None = None


class StopSession(Struct):
    response_url: Url
    session_id: CiString36


class UnlockConnector(Struct):
    response_url: Url
    location_id: CiString36
    evse_uid: CiString36
    connector_id: CiString36


class ReserveNow(Struct):
    response_url: Url
    token: Token
    expiry_date: datetime
    reservation_id: CiString36
    location_id: CiString36
    evse_uid: CiString36 | None = None
    authorization_reference: CiString36 | None = None


class CancelReservation(Struct):
    response_url: Url
    reservation_id: CiString36
