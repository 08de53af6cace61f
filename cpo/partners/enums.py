from enum import StrEnum


class PartnerStatus(StrEnum):
    # We gave the partner a registration token (OCPI "token A"); it has not registered yet.
    OFFERED = "offered"
    # Credentials were exchanged: both sides can call each other.
    REGISTERED = "registered"
    # Either side unregistered (credentials DELETE); the partner's tokens stop working.
    UNREGISTERED = "unregistered"


class Whitelist(StrEnum):
    """OCPI 2.2.1 WhitelistType: when we may decide for a partner's token ourselves."""

    ALWAYS = "ALWAYS"  # from our copy only; real-time authorization is not allowed
    ALLOWED = "ALLOWED"  # our copy may decide (we do)
    ALLOWED_OFFLINE = "ALLOWED_OFFLINE"  # ask the partner; allow if it cannot be reached
    NEVER = "NEVER"  # always ask the partner; refuse if it cannot be reached


class AuthorizationMethod(StrEnum):
    """OCPI 2.2.1 AuthMethod: how a roaming session was authorized."""

    AUTH_REQUEST = "AUTH_REQUEST"  # real-time authorization at the partner
    COMMAND = "COMMAND"  # the partner started it with a command
    WHITELIST = "WHITELIST"  # from the partner's pushed token


class PushStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    SENT = "sent"  # the partner accepted it
    FAILED = "failed"  # gave up after the last attempt, or the partner refused it for good


class CommandStatus(StrEnum):
    """Where a partner's command is; the final states are OCPI CommandResultType values."""

    PENDING = "PENDING"  # accepted, waiting for the charger
    ACCEPTED = "ACCEPTED"
    CANCELED_RESERVATION = "CANCELED_RESERVATION"
    EVSE_OCCUPIED = "EVSE_OCCUPIED"
    EVSE_INOPERATIVE = "EVSE_INOPERATIVE"
    FAILED = "FAILED"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    TIMEOUT = "TIMEOUT"
    UNKNOWN_RESERVATION = "UNKNOWN_RESERVATION"
