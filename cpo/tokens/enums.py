from enum import StrEnum


class TokenType(StrEnum):
    """As OCPI 2.2.1 TokenType, which our token kinds map onto one to one."""

    RFID = "RFID"
    APP_USER = "APP_USER"
    AD_HOC_USER = "AD_HOC_USER"
    OTHER = "OTHER"


class TokenStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"
    EXPIRED = "expired"


class AuthorizationStatus(StrEnum):
    """The answer a charger gets for a token; OCPP 1.6 IdTagInfo.status spelling."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"
