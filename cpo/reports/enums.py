from enum import StrEnum


class ReportTrigger(StrEnum):
    AUTOMATIC = "automatic"  # at the month's end, by the worker
    ON_DEMAND = "on_demand"  # asked for by an operator admin
