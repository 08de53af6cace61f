"""The operator's charging sessions as CSV, for spreadsheets and accounting: every session
that started in a period, running or finished, with its charge detail record's number and
amount where it has one.

Streamed a batch at a time with keyset pagination on the session id (never an offset, never
all rows at once). RFC 4180: comma, decimal point, ISO 8601 in UTC, UTF-8. Texts that came
from chargers, staff or cards are defused (cpo/spreadsheets.py), so that a spreadsheet never
runs a card number like `=HYPERLINK(…)` as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Final

from cpo.cdrs.enums import CdrKind
from cpo.cdrs.export import Period
from cpo.cdrs.tables import Cdr
from cpo.money import minor_digits
from cpo.reports.rules import payment_kind
from cpo.sessions.tables import ChargingSession
from cpo.spreadsheets import defused, take

BATCH_SIZE: Final = 1000
COLUMNS: Final = (
    "session_id",
    "state",
    "started_at",
    "stopped_at",
    "duration_s",
    "station",
    "evse_id",
    "connector_id",
    "id_tag",
    "token_type",
    "payment_kind",
    "authorization",
    "energy_kwh",
    "stop_reason",
    "needs_reconciliation",
    "cdr_number",
    "currency",
    "gross_amount",
)


async def csv_chunks(
    operator_id: int, chosen: Period, *, batch_size: int = BATCH_SIZE
) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield take(buffer)
    after = 0
    while True:
        where = (ChargingSession.operator == operator_id) & (ChargingSession.id > after)
        if chosen.starts_at is not None:
            where &= ChargingSession.started_at >= chosen.starts_at
        if chosen.ends_at is not None:
            where &= ChargingSession.started_at < chosen.ends_at
        rows = (
            await ChargingSession.select(
                ChargingSession.id,
                ChargingSession.state,
                ChargingSession.started_at,
                ChargingSession.stopped_at,
                ChargingSession.station.identity,
                ChargingSession.evse.evse_id,
                ChargingSession.ocpp_connector_id,
                ChargingSession.id_tag,
                ChargingSession.id_token.type,
                ChargingSession.id_token.issuer_party_id,
                ChargingSession.authorization_status,
                ChargingSession.energy_wh,
                ChargingSession.stop_reason,
                ChargingSession.needs_reconciliation,
            )
            .where(where)
            .order_by(ChargingSession.id)
            .limit(batch_size)
        )
        if not rows:
            return
        records = await _records_of([row["id"] for row in rows])
        writer.writerows(_row(row, records.get(row["id"])) for row in rows)
        yield take(buffer)
        after = rows[-1]["id"]


async def _records_of(session_ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = await Cdr.select(Cdr.session, Cdr.number, Cdr.currency, Cdr.gross_minor).where(
        Cdr.session.is_in(session_ids) & (Cdr.kind == CdrKind.SESSION)
    )
    return {row["session"]: row for row in rows}


def _row(row: dict[str, Any], record: dict[str, Any] | None) -> list[str]:
    started: datetime | None = row["started_at"]
    stopped: datetime | None = row["stopped_at"]
    duration = (
        "" if started is None or stopped is None else str(int((stopped - started).total_seconds()))
    )
    token_type = row["id_token.type"] or ""
    energy = row["energy_wh"]
    return [
        str(row["id"]),
        row["state"],
        _iso(started),
        _iso(stopped),
        duration,
        defused(row["station.identity"]),
        defused(row["evse.evse_id"] or ""),
        str(row["ocpp_connector_id"]),
        defused(row["id_tag"]),
        token_type,
        payment_kind(token_type, row["id_token.issuer_party_id"] or ""),
        row["authorization_status"],
        "" if energy is None else _decimal(energy, 3),
        defused(row["stop_reason"]),
        "yes" if row["needs_reconciliation"] else "no",
        "" if record is None else record["number"],
        "" if record is None else record["currency"],
        "" if record is None else _decimal(record["gross_minor"], minor_digits(record["currency"])),
    ]


def _decimal(scaled: int, digits: int) -> str:
    """An integer in units of 10^-digits, exactly: 1234 cents → "12.34", Wh → kWh."""
    sign = "-" if scaled < 0 else ""
    whole, fraction = divmod(abs(scaled), 10**digits)
    return f"{sign}{whole}.{fraction:0{digits}d}" if digits else f"{sign}{whole}"


def _iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat(timespec="seconds").replace("+00:00", "Z")
