from enum import StrEnum


class SessionState(StrEnum):
    ACTIVE = "active"  # the charger reported a start; energy may flow
    COMPLETED = "completed"  # the charger reported the stop


class ReconciliationReason(StrEnum):
    """Why a session needs a human (or a later message) before it can be billed."""

    STOP_WITHOUT_START = "stop_without_start"
    METER_WENT_BACKWARDS = "meter_went_backwards"
