"""Shapes that go in and out of the session use cases, and the events they publish."""

from __future__ import annotations

from datetime import datetime

import msgspec

from cpo.sessions.enums import SessionState
from cpo.tokens.schemas import Authorization


class SampledValue(msgspec.Struct, frozen=True, kw_only=True):
    """One sampled value as the charger sent it; empty strings where it sent nothing."""

    value: str
    measurand: str = ""
    context: str = ""
    format: str = ""
    phase: str = ""
    location: str = ""
    unit: str = ""


class MeterReading(msgspec.Struct, frozen=True):
    timestamp: datetime
    values: tuple[SampledValue, ...]


class MeterReport(msgspec.Struct, frozen=True, kw_only=True):
    connector_id: int
    transaction_id: str | None
    readings: tuple[MeterReading, ...]


class StartReport(msgspec.Struct, frozen=True, kw_only=True):
    connector_id: int
    id_tag: str
    meter_start_wh: int
    timestamp: datetime
    reservation_id: int | None = None


class StartResult(msgspec.Struct, frozen=True):
    session_id: int
    transaction_id: str
    authorization: Authorization


class StopReport(msgspec.Struct, frozen=True, kw_only=True):
    transaction_id: str
    meter_stop_wh: int
    timestamp: datetime
    id_tag: str | None = None
    reason: str | None = None
    transaction_data: tuple[MeterReading, ...] = ()


class StopResult(msgspec.Struct, frozen=True):
    session_id: int
    authorization: Authorization | None


class LiveValues(msgspec.Struct, frozen=True):
    at: datetime
    meter_wh: int | None = None
    power_w: float | None = None
    soc_percent: float | None = None


class SessionUpdated(msgspec.Struct, frozen=True, tag="session_updated"):
    """Published on `session.<id>.updated` whenever a session's state or meter moves."""

    session_id: int
    state: SessionState
    energy_wh: int | None
    power_w: float | None
    soc_percent: float | None
    at: datetime
