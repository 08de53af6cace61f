"""Meter samples as table rows: the one place that knows their column order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from cpo import database
from cpo.clock import as_utc
from cpo.sessions import rules
from cpo.sessions.schemas import MeterReading
from cpo.sessions.tables import MeterSample

COLUMNS = (
    "station",
    "session",
    "ocpp_connector_id",
    "ocpp_transaction_id",
    "measured_at",
    "received_at",
    "measurand",
    "phase",
    "location",
    "unit",
    "context",
    "format",
    "value",
    "value_normalized",
)


def sample_rows(
    *,
    station_id: int,
    session_id: int | None,
    connector_id: int,
    transaction_id: str | None,
    readings: Iterable[MeterReading],
    received_at: datetime,
) -> list[tuple[Any, ...]]:
    rows = []
    for reading in readings:
        measured_at = as_utc(reading.timestamp)
        for value in reading.values:
            rows.append(
                (
                    station_id,
                    session_id,
                    connector_id,
                    transaction_id,
                    measured_at,
                    received_at,
                    rules.effective_measurand(value),
                    value.phase,
                    value.location or rules.DEFAULT_LOCATION,
                    rules.effective_unit(value),
                    value.context or rules.DEFAULT_CONTEXT,
                    value.format or rules.DEFAULT_FORMAT,
                    value.value,
                    rules.normalized_value(value),
                )
            )
    return rows


INSERT_SAMPLES = database.insert_statement(MeterSample, COLUMNS)


async def insert_samples(rows: Sequence[tuple[Any, ...]]) -> None:
    """Within the current transaction (the stop of a session and its transaction data)."""
    await database.execute_many(INSERT_SAMPLES, rows)
