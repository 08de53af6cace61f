from enum import StrEnum


class RegistrationStatus(StrEnum):
    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


class ConnectorStatus(StrEnum):
    """Connector states as OCPP 1.6 names them (2.0.1's smaller set maps into these)."""

    AVAILABLE = "Available"
    PREPARING = "Preparing"
    CHARGING = "Charging"
    SUSPENDED_EVSE = "SuspendedEVSE"
    SUSPENDED_EV = "SuspendedEV"
    FINISHING = "Finishing"
    RESERVED = "Reserved"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"
    UNKNOWN = "Unknown"


class CurrentType(StrEnum):
    AC = "AC"
    DC = "DC"


class ConnectorStandard(StrEnum):
    """Connector standards, spelled as OCPI 2.2.1 ConnectorType spells them."""

    IEC_62196_T2 = "IEC_62196_T2"
    IEC_62196_T2_COMBO = "IEC_62196_T2_COMBO"
    CHADEMO = "CHADEMO"
    DOMESTIC_F = "DOMESTIC_F"
    IEC_62196_T1 = "IEC_62196_T1"
    IEC_62196_T1_COMBO = "IEC_62196_T1_COMBO"


class ConnectorFormat(StrEnum):
    SOCKET = "SOCKET"
    CABLE = "CABLE"


class FaultStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class StationEventKind(StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    BOOT = "boot"
    FIRMWARE_STATUS = "firmware_status"
    DIAGNOSTICS_STATUS = "diagnostics_status"
    DATA_TRANSFER = "data_transfer"
    SECURITY_EVENT = "security_event"
    LOG_STATUS = "log_status"
    SIGN_CERTIFICATE = "sign_certificate"
    REJECTED_STOP_FIELDS = "rejected_stop_fields"
