"""Typed OCPP 1.6J payloads: one msgspec Struct per action request and response.

Decoding a frame's payload with ``msgspec.json.decode(raw, type=REQUEST_TYPES[action])``
validates it as the action's JSON schema in the ``ocpp`` package would, at a fraction of the
cost, so the hot path can skip the package's per-message JSON-schema validation. The structs
follow the schemas field by field (core 1.6 plus the security extension), with these
deliberate differences:

* unknown properties are ignored instead of rejected (chargers add vendor fields);
* an optional property sent as ``null`` is read as absent;
* ``date-time`` properties must be RFC 3339 timestamps (the schemas' ``format`` is not
  enforced by the package), though a missing UTC offset is accepted: some chargers omit it.

Schedule limits (``multipleOf: 0.1``) are checked on decimal values, as the ``ocpp`` package
does, and also when a struct is built in code, so a schedule we send is schema-valid.
"""

import math
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

CiString20 = Annotated[str, msgspec.Meta(max_length=20)]
CiString25 = Annotated[str, msgspec.Meta(max_length=25)]
CiString50 = Annotated[str, msgspec.Meta(max_length=50)]
CiString255 = Annotated[str, msgspec.Meta(max_length=255)]
CiString500 = Annotated[str, msgspec.Meta(max_length=500)]

String40 = Annotated[str, msgspec.Meta(max_length=40)]
String50 = Annotated[str, msgspec.Meta(max_length=50)]
String128 = Annotated[str, msgspec.Meta(max_length=128)]
String255 = Annotated[str, msgspec.Meta(max_length=255)]
String512 = Annotated[str, msgspec.Meta(max_length=512)]
String800 = Annotated[str, msgspec.Meta(max_length=800)]
String5500 = Annotated[str, msgspec.Meta(max_length=5500)]
String10000 = Annotated[str, msgspec.Meta(max_length=10000)]

IdToken = CiString20

AuthorizationStatus = Literal["Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"]
AvailabilityStatus = Literal["Accepted", "Rejected", "Scheduled"]
AvailabilityType = Literal["Inoperative", "Operative"]
CancelReservationStatus = Literal["Accepted", "Rejected"]
ChargePointErrorCode = Literal[
    "ConnectorLockFailure",
    "EVCommunicationError",
    "GroundFailure",
    "HighTemperature",
    "InternalError",
    "LocalListConflict",
    "NoError",
    "OtherError",
    "OverCurrentFailure",
    "PowerMeterFailure",
    "PowerSwitchFailure",
    "ReaderFailure",
    "ResetFailure",
    "UnderVoltage",
    "OverVoltage",
    "WeakSignal",
]
ChargePointStatus = Literal[
    "Available",
    "Preparing",
    "Charging",
    "SuspendedEVSE",
    "SuspendedEV",
    "Finishing",
    "Reserved",
    "Unavailable",
    "Faulted",
]
ChargingProfileKindType = Literal["Absolute", "Recurring", "Relative"]
ChargingProfilePurposeType = Literal["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"]
ChargingProfileStatus = Literal["Accepted", "Rejected", "NotSupported"]
ChargingRateUnitType = Literal["A", "W"]
ClearCacheStatus = Literal["Accepted", "Rejected"]
ClearChargingProfileStatus = Literal["Accepted", "Unknown"]
ConfigurationStatus = Literal["Accepted", "Rejected", "RebootRequired", "NotSupported"]
DataTransferStatus = Literal["Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId"]
DiagnosticsStatus = Literal["Idle", "Uploaded", "UploadFailed", "Uploading"]
FirmwareStatus = Literal[
    "Downloaded",
    "DownloadFailed",
    "Downloading",
    "Idle",
    "InstallationFailed",
    "Installing",
    "Installed",
]
GetCompositeScheduleStatus = Literal["Accepted", "Rejected"]
Location = Literal["Cable", "EV", "Inlet", "Outlet", "Body"]
Measurand = Literal[
    "Energy.Active.Export.Register",
    "Energy.Active.Import.Register",
    "Energy.Reactive.Export.Register",
    "Energy.Reactive.Import.Register",
    "Energy.Active.Export.Interval",
    "Energy.Active.Import.Interval",
    "Energy.Reactive.Export.Interval",
    "Energy.Reactive.Import.Interval",
    "Power.Active.Export",
    "Power.Active.Import",
    "Power.Offered",
    "Power.Reactive.Export",
    "Power.Reactive.Import",
    "Power.Factor",
    "Current.Import",
    "Current.Export",
    "Current.Offered",
    "Voltage",
    "Frequency",
    "Temperature",
    "SoC",
    "RPM",
]
MessageTrigger = Literal[
    "BootNotification",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
]
Phase = Literal["L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1"]
ReadingContext = Literal[
    "Interruption.Begin",
    "Interruption.End",
    "Sample.Clock",
    "Sample.Periodic",
    "Transaction.Begin",
    "Transaction.End",
    "Trigger",
    "Other",
]
Reason = Literal[
    "EmergencyStop",
    "EVDisconnected",
    "HardReset",
    "Local",
    "Other",
    "PowerLoss",
    "Reboot",
    "Remote",
    "SoftReset",
    "UnlockCommand",
    "DeAuthorized",
]
RecurrencyKindType = Literal["Daily", "Weekly"]
RegistrationStatus = Literal["Accepted", "Pending", "Rejected"]
RemoteStartStopStatus = Literal["Accepted", "Rejected"]
ReservationStatus = Literal["Accepted", "Faulted", "Occupied", "Rejected", "Unavailable"]
ResetStatus = Literal["Accepted", "Rejected"]
ResetType = Literal["Hard", "Soft"]
TriggerMessageStatus = Literal["Accepted", "Rejected", "NotImplemented"]
# MeterValues allows "Hertz"; the same list in StopTransaction's transactionData does not.
UnitOfMeasure = Literal[
    "Wh",
    "kWh",
    "varh",
    "kvarh",
    "W",
    "kW",
    "VA",
    "kVA",
    "var",
    "kvar",
    "A",
    "V",
    "K",
    "Celcius",
    "Celsius",
    "Fahrenheit",
    "Percent",
    "Hertz",
]
TransactionDataUnitOfMeasure = Literal[
    "Wh",
    "kWh",
    "varh",
    "kvarh",
    "W",
    "kW",
    "VA",
    "kVA",
    "var",
    "kvar",
    "A",
    "V",
    "K",
    "Celcius",
    "Celsius",
    "Fahrenheit",
    "Percent",
]
UnlockStatus = Literal["Unlocked", "UnlockFailed", "NotSupported"]
UpdateStatus = Literal["Accepted", "Failed", "NotSupported", "VersionMismatch"]
UpdateType = Literal["Differential", "Full"]
ValueFormat = Literal["Raw", "SignedData"]

CertificateSignedStatus = Literal["Accepted", "Rejected"]
CertificateUse = Literal["CentralSystemRootCertificate", "ManufacturerRootCertificate"]
DeleteCertificateStatus = Literal["Accepted", "Failed", "NotFound"]
ExtendedMessageTrigger = Literal[
    "BootNotification",
    "LogStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "SignChargePointCertificate",
    "StatusNotification",
]
GenericStatus = Literal["Accepted", "Rejected"]
GetInstalledCertificateStatus = Literal["Accepted", "NotFound"]
HashAlgorithm = Literal["SHA256", "SHA384", "SHA512"]
InstallCertificateStatus = Literal["Accepted", "Failed", "Rejected"]
LogStatus = Literal["Accepted", "Rejected", "AcceptedCanceled"]
LogType = Literal["DiagnosticsLog", "SecurityLog"]
SignedFirmwareStatus = Literal[
    "Downloaded",
    "DownloadFailed",
    "Downloading",
    "DownloadScheduled",
    "DownloadPaused",
    "Idle",
    "InstallationFailed",
    "Installing",
    "Installed",
    "InstallRebooting",
    "InstallScheduled",
    "InstallVerificationFailed",
    "InvalidSignature",
    "SignatureVerified",
]
UpdateFirmwareStatus = Literal[
    "Accepted", "Rejected", "AcceptedCanceled", "InvalidCertificate", "RevokedCertificate"
]
UploadLogStatus = Literal[
    "BadMessage",
    "Idle",
    "NotSupportedOperation",
    "PermissionDenied",
    "Uploaded",
    "UploadFailure",
    "Uploading",
]

_TENTH = Decimal("0.1")


def _require_tenths(name: str, value: float | None) -> None:
    """Enforce ``multipleOf: 0.1`` on the decimal value, as the ``ocpp`` package does.

    Binary floats make ``16.3 % 0.1`` non-zero, so the check runs on the shortest decimal
    representation, which is what the charger or central system put on the wire.
    """
    if value is None:
        return
    if not math.isfinite(value):
        raise ValueError(f"`{name}` must be a finite number")
    quotient = Decimal(repr(value)) / _TENTH
    if quotient != quotient.to_integral_value():
        raise ValueError(f"`{name}` must be a multiple of 0.1")


# Unknown properties are ignored (no forbid_unknown_fields): chargers add vendor fields.
class OcppMessage(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    """Base of every OCPP 1.6J payload and nested object."""


class IdTagInfo(OcppMessage):
    status: AuthorizationStatus
    expiry_date: datetime | None = None
    parent_id_tag: IdToken | None = None


class SampledValue(OcppMessage):
    value: str
    context: ReadingContext | None = None
    format: ValueFormat | None = None
    measurand: Measurand | None = None
    phase: Phase | None = None
    location: Location | None = None
    unit: UnitOfMeasure | None = None


class MeterValue(OcppMessage):
    timestamp: datetime
    sampled_value: Annotated[list[SampledValue], msgspec.Meta(min_length=1)]


class TransactionDataSampledValue(OcppMessage):
    """A sampled value in StopTransaction's ``transactionData``: no "Hertz" unit there."""

    value: str
    context: ReadingContext | None = None
    format: ValueFormat | None = None
    measurand: Measurand | None = None
    phase: Phase | None = None
    location: Location | None = None
    unit: TransactionDataUnitOfMeasure | None = None


class TransactionDataMeterValue(OcppMessage):
    """A meter value in StopTransaction's ``transactionData``: may have no sampled values."""

    timestamp: datetime
    sampled_value: list[TransactionDataSampledValue]


class ChargingSchedulePeriod(OcppMessage):
    start_period: int
    limit: float
    number_phases: int | None = None

    def __post_init__(self) -> None:
        _require_tenths("limit", self.limit)


class ChargingSchedule(OcppMessage):
    charging_rate_unit: ChargingRateUnitType
    charging_schedule_period: list[ChargingSchedulePeriod]
    duration: int | None = None
    start_schedule: datetime | None = None
    min_charging_rate: float | None = None

    def __post_init__(self) -> None:
        _require_tenths("minChargingRate", self.min_charging_rate)


class ChargingProfile(OcppMessage):
    charging_profile_id: int
    stack_level: int
    charging_profile_purpose: ChargingProfilePurposeType
    charging_profile_kind: ChargingProfileKindType
    charging_schedule: ChargingSchedule
    transaction_id: int | None = None
    recurrency_kind: RecurrencyKindType | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None


class AuthorizationData(OcppMessage):
    id_tag: IdToken
    id_tag_info: IdTagInfo | None = None


class KeyValue(OcppMessage):
    key: CiString50
    readonly: bool
    value: CiString500 | None = None


class CertificateHashData(OcppMessage):
    hash_algorithm: HashAlgorithm
    issuer_name_hash: String128
    issuer_key_hash: String128
    serial_number: String40


class LogParameters(OcppMessage):
    remote_location: String512
    oldest_timestamp: datetime | None = None
    latest_timestamp: datetime | None = None


class Firmware(OcppMessage):
    location: String512
    retrieve_date_time: datetime
    signing_certificate: String5500
    signature: String800
    install_date_time: datetime | None = None


class AuthorizeRequest(OcppMessage):
    id_tag: IdToken


class AuthorizeResponse(OcppMessage):
    id_tag_info: IdTagInfo


class BootNotificationRequest(OcppMessage):
    charge_point_vendor: CiString20
    charge_point_model: CiString20
    charge_point_serial_number: CiString25 | None = None
    charge_box_serial_number: CiString25 | None = None
    firmware_version: CiString50 | None = None
    iccid: CiString20 | None = None
    imsi: CiString20 | None = None
    meter_type: CiString25 | None = None
    meter_serial_number: CiString25 | None = None


class BootNotificationResponse(OcppMessage):
    status: RegistrationStatus
    current_time: datetime
    interval: int


class CancelReservationRequest(OcppMessage):
    reservation_id: int


class CancelReservationResponse(OcppMessage):
    status: CancelReservationStatus


class ChangeAvailabilityRequest(OcppMessage):
    connector_id: int
    type: AvailabilityType


class ChangeAvailabilityResponse(OcppMessage):
    status: AvailabilityStatus


class ChangeConfigurationRequest(OcppMessage):
    key: CiString50
    value: CiString500


class ChangeConfigurationResponse(OcppMessage):
    status: ConfigurationStatus


class ClearCacheRequest(OcppMessage):
    pass


class ClearCacheResponse(OcppMessage):
    status: ClearCacheStatus


class ClearChargingProfileRequest(OcppMessage):
    id: int | None = None
    connector_id: int | None = None
    charging_profile_purpose: ChargingProfilePurposeType | None = None
    stack_level: int | None = None


class ClearChargingProfileResponse(OcppMessage):
    status: ClearChargingProfileStatus


class DataTransferRequest(OcppMessage):
    vendor_id: CiString255
    message_id: CiString50 | None = None
    data: str | None = None


class DataTransferResponse(OcppMessage):
    status: DataTransferStatus
    data: str | None = None


class DiagnosticsStatusNotificationRequest(OcppMessage):
    status: DiagnosticsStatus


class DiagnosticsStatusNotificationResponse(OcppMessage):
    pass


class FirmwareStatusNotificationRequest(OcppMessage):
    status: FirmwareStatus


class FirmwareStatusNotificationResponse(OcppMessage):
    pass


class GetCompositeScheduleRequest(OcppMessage):
    connector_id: int
    duration: int
    charging_rate_unit: ChargingRateUnitType | None = None


class GetCompositeScheduleResponse(OcppMessage):
    status: GetCompositeScheduleStatus
    connector_id: int | None = None
    schedule_start: datetime | None = None
    charging_schedule: ChargingSchedule | None = None


class GetConfigurationRequest(OcppMessage):
    key: list[CiString50] | None = None


class GetConfigurationResponse(OcppMessage):
    configuration_key: list[KeyValue] | None = None
    unknown_key: list[CiString50] | None = None


class GetDiagnosticsRequest(OcppMessage):
    location: str
    retries: int | None = None
    retry_interval: int | None = None
    start_time: datetime | None = None
    stop_time: datetime | None = None


class GetDiagnosticsResponse(OcppMessage):
    file_name: CiString255 | None = None


class GetLocalListVersionRequest(OcppMessage):
    pass


class GetLocalListVersionResponse(OcppMessage):
    list_version: int


class HeartbeatRequest(OcppMessage):
    pass


class HeartbeatResponse(OcppMessage):
    current_time: datetime


class MeterValuesRequest(OcppMessage):
    connector_id: int
    meter_value: Annotated[list[MeterValue], msgspec.Meta(min_length=1)]
    transaction_id: int | None = None


class MeterValuesResponse(OcppMessage):
    pass


class RemoteStartTransactionRequest(OcppMessage):
    id_tag: IdToken
    connector_id: int | None = None
    charging_profile: ChargingProfile | None = None


class RemoteStartTransactionResponse(OcppMessage):
    status: RemoteStartStopStatus


class RemoteStopTransactionRequest(OcppMessage):
    transaction_id: int


class RemoteStopTransactionResponse(OcppMessage):
    status: RemoteStartStopStatus


class ReserveNowRequest(OcppMessage):
    connector_id: int
    expiry_date: datetime
    id_tag: IdToken
    reservation_id: int
    parent_id_tag: IdToken | None = None


class ReserveNowResponse(OcppMessage):
    status: ReservationStatus


class ResetRequest(OcppMessage):
    type: ResetType


class ResetResponse(OcppMessage):
    status: ResetStatus


class SendLocalListRequest(OcppMessage):
    list_version: int
    update_type: UpdateType
    local_authorization_list: list[AuthorizationData] | None = None


class SendLocalListResponse(OcppMessage):
    status: UpdateStatus


class SetChargingProfileRequest(OcppMessage):
    connector_id: int
    cs_charging_profiles: ChargingProfile


class SetChargingProfileResponse(OcppMessage):
    status: ChargingProfileStatus


class StartTransactionRequest(OcppMessage):
    connector_id: int
    id_tag: IdToken
    meter_start: int
    timestamp: datetime
    reservation_id: int | None = None


class StartTransactionResponse(OcppMessage):
    id_tag_info: IdTagInfo
    transaction_id: int


class StatusNotificationRequest(OcppMessage):
    connector_id: int
    error_code: ChargePointErrorCode
    status: ChargePointStatus
    info: CiString50 | None = None
    timestamp: datetime | None = None
    vendor_id: CiString255 | None = None
    vendor_error_code: CiString50 | None = None


class StatusNotificationResponse(OcppMessage):
    pass


class StopTransactionRequest(OcppMessage):
    transaction_id: int
    meter_stop: int
    timestamp: datetime
    id_tag: IdToken | None = None
    reason: Reason | None = None
    transaction_data: list[TransactionDataMeterValue] | None = None


class StopTransactionResponse(OcppMessage):
    id_tag_info: IdTagInfo | None = None


class TriggerMessageRequest(OcppMessage):
    requested_message: MessageTrigger
    connector_id: int | None = None


class TriggerMessageResponse(OcppMessage):
    status: TriggerMessageStatus


class UnlockConnectorRequest(OcppMessage):
    connector_id: int


class UnlockConnectorResponse(OcppMessage):
    status: UnlockStatus


class UpdateFirmwareRequest(OcppMessage):
    location: str
    retrieve_date: datetime
    retries: int | None = None
    retry_interval: int | None = None


class UpdateFirmwareResponse(OcppMessage):
    pass


class CertificateSignedRequest(OcppMessage):
    certificate_chain: String10000


class CertificateSignedResponse(OcppMessage):
    status: CertificateSignedStatus


class DeleteCertificateRequest(OcppMessage):
    certificate_hash_data: CertificateHashData


class DeleteCertificateResponse(OcppMessage):
    status: DeleteCertificateStatus


class ExtendedTriggerMessageRequest(OcppMessage):
    requested_message: ExtendedMessageTrigger
    connector_id: int | None = None


class ExtendedTriggerMessageResponse(OcppMessage):
    status: TriggerMessageStatus


class GetInstalledCertificateIdsRequest(OcppMessage):
    certificate_type: CertificateUse


class GetInstalledCertificateIdsResponse(OcppMessage):
    status: GetInstalledCertificateStatus
    certificate_hash_data: (
        Annotated[list[CertificateHashData], msgspec.Meta(min_length=1)] | None
    ) = None


class GetLogRequest(OcppMessage):
    log: LogParameters
    log_type: LogType
    request_id: int
    retries: int | None = None
    retry_interval: int | None = None


class GetLogResponse(OcppMessage):
    status: LogStatus
    filename: String255 | None = None


class InstallCertificateRequest(OcppMessage):
    certificate_type: CertificateUse
    certificate: String5500


class InstallCertificateResponse(OcppMessage):
    status: InstallCertificateStatus


class LogStatusNotificationRequest(OcppMessage):
    status: UploadLogStatus
    request_id: int | None = None


class LogStatusNotificationResponse(OcppMessage):
    pass


class SecurityEventNotificationRequest(OcppMessage):
    type: String50
    timestamp: datetime
    tech_info: String255 | None = None


class SecurityEventNotificationResponse(OcppMessage):
    pass


class SignCertificateRequest(OcppMessage):
    csr: String5500


class SignCertificateResponse(OcppMessage):
    status: GenericStatus


class SignedFirmwareStatusNotificationRequest(OcppMessage):
    status: SignedFirmwareStatus
    request_id: int | None = None


class SignedFirmwareStatusNotificationResponse(OcppMessage):
    pass


class SignedUpdateFirmwareRequest(OcppMessage):
    request_id: int
    firmware: Firmware
    retries: int | None = None
    retry_interval: int | None = None


class SignedUpdateFirmwareResponse(OcppMessage):
    status: UpdateFirmwareStatus


REQUEST_TYPES: dict[str, type[OcppMessage]] = {
    "Authorize": AuthorizeRequest,
    "BootNotification": BootNotificationRequest,
    "CancelReservation": CancelReservationRequest,
    "ChangeAvailability": ChangeAvailabilityRequest,
    "ChangeConfiguration": ChangeConfigurationRequest,
    "ClearCache": ClearCacheRequest,
    "ClearChargingProfile": ClearChargingProfileRequest,
    "DataTransfer": DataTransferRequest,
    "DiagnosticsStatusNotification": DiagnosticsStatusNotificationRequest,
    "FirmwareStatusNotification": FirmwareStatusNotificationRequest,
    "GetCompositeSchedule": GetCompositeScheduleRequest,
    "GetConfiguration": GetConfigurationRequest,
    "GetDiagnostics": GetDiagnosticsRequest,
    "GetLocalListVersion": GetLocalListVersionRequest,
    "Heartbeat": HeartbeatRequest,
    "MeterValues": MeterValuesRequest,
    "RemoteStartTransaction": RemoteStartTransactionRequest,
    "RemoteStopTransaction": RemoteStopTransactionRequest,
    "ReserveNow": ReserveNowRequest,
    "Reset": ResetRequest,
    "SendLocalList": SendLocalListRequest,
    "SetChargingProfile": SetChargingProfileRequest,
    "StartTransaction": StartTransactionRequest,
    "StatusNotification": StatusNotificationRequest,
    "StopTransaction": StopTransactionRequest,
    "TriggerMessage": TriggerMessageRequest,
    "UnlockConnector": UnlockConnectorRequest,
    "UpdateFirmware": UpdateFirmwareRequest,
    "CertificateSigned": CertificateSignedRequest,
    "DeleteCertificate": DeleteCertificateRequest,
    "ExtendedTriggerMessage": ExtendedTriggerMessageRequest,
    "GetInstalledCertificateIds": GetInstalledCertificateIdsRequest,
    "GetLog": GetLogRequest,
    "InstallCertificate": InstallCertificateRequest,
    "LogStatusNotification": LogStatusNotificationRequest,
    "SecurityEventNotification": SecurityEventNotificationRequest,
    "SignCertificate": SignCertificateRequest,
    "SignedFirmwareStatusNotification": SignedFirmwareStatusNotificationRequest,
    "SignedUpdateFirmware": SignedUpdateFirmwareRequest,
}

RESPONSE_TYPES: dict[str, type[OcppMessage]] = {
    "Authorize": AuthorizeResponse,
    "BootNotification": BootNotificationResponse,
    "CancelReservation": CancelReservationResponse,
    "ChangeAvailability": ChangeAvailabilityResponse,
    "ChangeConfiguration": ChangeConfigurationResponse,
    "ClearCache": ClearCacheResponse,
    "ClearChargingProfile": ClearChargingProfileResponse,
    "DataTransfer": DataTransferResponse,
    "DiagnosticsStatusNotification": DiagnosticsStatusNotificationResponse,
    "FirmwareStatusNotification": FirmwareStatusNotificationResponse,
    "GetCompositeSchedule": GetCompositeScheduleResponse,
    "GetConfiguration": GetConfigurationResponse,
    "GetDiagnostics": GetDiagnosticsResponse,
    "GetLocalListVersion": GetLocalListVersionResponse,
    "Heartbeat": HeartbeatResponse,
    "MeterValues": MeterValuesResponse,
    "RemoteStartTransaction": RemoteStartTransactionResponse,
    "RemoteStopTransaction": RemoteStopTransactionResponse,
    "ReserveNow": ReserveNowResponse,
    "Reset": ResetResponse,
    "SendLocalList": SendLocalListResponse,
    "SetChargingProfile": SetChargingProfileResponse,
    "StartTransaction": StartTransactionResponse,
    "StatusNotification": StatusNotificationResponse,
    "StopTransaction": StopTransactionResponse,
    "TriggerMessage": TriggerMessageResponse,
    "UnlockConnector": UnlockConnectorResponse,
    "UpdateFirmware": UpdateFirmwareResponse,
    "CertificateSigned": CertificateSignedResponse,
    "DeleteCertificate": DeleteCertificateResponse,
    "ExtendedTriggerMessage": ExtendedTriggerMessageResponse,
    "GetInstalledCertificateIds": GetInstalledCertificateIdsResponse,
    "GetLog": GetLogResponse,
    "InstallCertificate": InstallCertificateResponse,
    "LogStatusNotification": LogStatusNotificationResponse,
    "SecurityEventNotification": SecurityEventNotificationResponse,
    "SignCertificate": SignCertificateResponse,
    "SignedFirmwareStatusNotification": SignedFirmwareStatusNotificationResponse,
    "SignedUpdateFirmware": SignedUpdateFirmwareResponse,
}

CHARGE_POINT_INITIATED: frozenset[str] = frozenset(
    {
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
    }
)
