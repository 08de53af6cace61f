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


class BlockedBy(StrEnum):
    """Who blocked a token: the operator's staff, or the customer whose token it is."""

    OPERATOR = "operator"
    CUSTOMER = "customer"


class AuthorizationStatus(StrEnum):
    """The answer a charger gets for a token; OCPP 1.6 IdTagInfo.status spelling."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"


class PushState(StrEnum):
    """Where a card's block or unblock stands at one station."""

    PENDING = "pending"  # waiting to be sent, or retried (station offline, no answer)
    ACCEPTED = "accepted"  # the station took the update
    FAILED = "failed"  # the station refused it, or never answered after every attempt
    NOT_SUPPORTED = "not_supported"  # the station holds neither a local list nor a cache


class PushMethod(StrEnum):
    """How a station learns of a changed card."""

    SEND_LOCAL_LIST = "send_local_list"  # differential update of its local authorization list
    CLEAR_CACHE = "clear_cache"  # it forgets what it cached and asks again at the next card
