from enum import StrEnum


class NetworkEvent(StrEnum):
    """What operators can be told about."""

    OFFLINE = "station.offline"
    FAULT = "station.fault"


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class DeliveryState(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    SENT = "sent"
    FAILED = "failed"  # gave up: refused for good, or out of attempts
    DROPPED = "dropped"  # no longer true when due (the station came back in its grace time)
