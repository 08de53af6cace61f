from enum import StrEnum


class ProblemKind(StrEnum):
    WONT_START = "wont_start"
    CABLE_STUCK = "cable_stuck"
    DAMAGED = "damaged"
    PRICE_WRONG = "price_wrong"
    OTHER = "other"


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


class Author(StrEnum):
    DRIVER = "driver"
    STAFF = "staff"
    SYSTEM = "system"  # what the platform did for the ticket (a cable released, say)
