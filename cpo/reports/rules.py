"""The rules of the monthly report, as pure functions over plain facts (no database).

**The month** is the calendar month in the operator's time zone (that of its first site;
Europe/Berlin without one): October 2026 in Berlin is [2026-09-30T22:00Z, 2026-10-31T23:00Z).
A report made before the month is over covers it up to the moment it was made
(`complete` is false) — the next version, or the automatic one after the month, covers it all.

**Availability** of an EVSE is the share of its *observed time* during which its station was
connected and neither the EVSE's connector nor the whole station (OCPP connector 0) had an
open fault:

- observed time runs from the later of the month's start and the EVSE's creation to the
  earlier of the month's end and the moment the report is made (a station added on the 20th
  is judged on its last eleven days, not marked down for the days before it existed);
- connected: from each `connected` station event to the next `disconnected` one (the
  connection log in cpo/stations/tables.py). At the month's start the state is the one the
  last event *before* it left; a station that had no event before is taken as disconnected
  until its first one (no data is no proof of service). A node that dies records no
  disconnect: its stations count as connected until they reconnect elsewhere (the CONNECTED
  event there) — the usual reconnect after seconds makes the error small;
- faulted: from a fault's `opened_at` to its `resolved_at` (open faults: to the period's
  end), the fault table that StatusNotifications keep; faults that began before the month
  count from its start.

A station's availability is the sum of its EVSEs' available time over the sum of their
observed time; the operator's likewise over all EVSEs. Nothing observed: no figure (null),
never 0 % or 100 %.

**Sessions, energy and revenue** come from charge detail records, in the month in which
the session *stopped* (as in the CDR export): sessions count the original records; energy
and revenue add originals and rebills and take credits off, so a corrected session counts
once with its corrected figures (a correction made in a later month lands in the month of
the session's stop only in reports made after it — stored reports never change). Revenue is
gross (VAT included), in the operator's currency; records in another currency are counted
in `excluded_records` and left out of the sums.

**Payment kind** of a record: `ad_hoc` for ad hoc tokens (paid at the charger), `roaming`
for tokens an e-mobility provider issued (issuer party id set), `contract` for everything
else (the operator's own cards and app tokens, and unknown cards the charger let charge).

**Faults** of a month are those *opened* in it; `fault_s` adds the faulted time inside the
month (overlapping faults of one connector counted once).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

import msgspec

from cpo.tokens.enums import TokenType

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


class Span(NamedTuple):
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return max(0.0, (self.end - self.start).total_seconds())


class PaymentKind(StrEnum):
    AD_HOC = "ad_hoc"
    CONTRACT = "contract"
    ROAMING = "roaming"


# Facts the database gives ------------------------------------------------------------------


class EvseFacts(msgspec.Struct, frozen=True, kw_only=True):
    evse_id: str
    ocpp_connector_id: int
    created_at: datetime


class FaultFacts(msgspec.Struct, frozen=True, kw_only=True):
    ocpp_connector_id: int  # 0: the whole station
    opened_at: datetime
    resolved_at: datetime | None


class StationFacts(msgspec.Struct, frozen=True, kw_only=True):
    identity: str
    name: str
    site: str
    evses: tuple[EvseFacts, ...]
    # Connection state when the period starts (None: no event before it), then every change.
    connected_at_start: bool | None
    connection_changes: tuple[tuple[datetime, bool], ...]
    faults: tuple[FaultFacts, ...]


class CdrFacts(msgspec.Struct, frozen=True, kw_only=True):
    station_identity: str
    kind: str  # session, credit, rebill (cpo.cdrs.enums.CdrKind)
    stopped_at: datetime
    energy_wh: int
    gross_minor: int
    currency: str
    token_type: str
    issuer_party_id: str


# What the report says ----------------------------------------------------------------------


class Revenue(msgspec.Struct, frozen=True, kw_only=True):
    ad_hoc_minor: int = 0
    contract_minor: int = 0
    roaming_minor: int = 0

    @property
    def total_minor(self) -> int:
        return self.ad_hoc_minor + self.contract_minor + self.roaming_minor


class Figures(msgspec.Struct, frozen=True, kw_only=True):
    availability_percent: float | None
    observed_s: int
    available_s: int
    sessions: int
    energy_wh: int
    revenue: Revenue
    revenue_total_minor: int
    faults: int
    fault_s: int


class StationReport(msgspec.Struct, frozen=True, kw_only=True):
    identity: str
    name: str
    site: str
    figures: Figures


class DayFigures(msgspec.Struct, frozen=True, kw_only=True):
    day: date
    sessions: int
    energy_wh: int
    revenue_minor: int


class MonthlyReport(msgspec.Struct, frozen=True, kw_only=True):
    operator: str
    month: str
    time_zone: str
    period_start: datetime
    period_end: datetime  # the month's end, or when the report was made if earlier
    complete: bool
    currency: str
    totals: Figures
    stations: tuple[StationReport, ...]
    days: tuple[DayFigures, ...]
    excluded_records: int


# The month -----------------------------------------------------------------------------------


def parse_month(month: str) -> tuple[int, int]:
    """(year, month) of "2026-10"; ValueError otherwise."""
    if not re.fullmatch(MONTH_PATTERN, month):
        raise ValueError(f"a month is written YYYY-MM, e.g. 2026-10, not {month!r}")
    return int(month[:4]), int(month[5:])


def month_span(month: str, time_zone: str) -> Span:
    """[first midnight, next month's first midnight) in `time_zone`, as UTC."""
    year, number = parse_month(month)
    zone = ZoneInfo(time_zone)
    following = (year + 1, 1) if number == 12 else (year, number + 1)
    start = datetime(year, number, 1, tzinfo=zone)
    end = datetime(*following, 1, tzinfo=zone)
    return Span(start.astimezone(UTC), end.astimezone(UTC))


def month_of(moment: datetime, time_zone: str) -> str:
    local = moment.astimezone(ZoneInfo(time_zone))
    return f"{local.year:04d}-{local.month:02d}"


def previous_month(moment: datetime, time_zone: str) -> str:
    """The last month that is over at `moment` in `time_zone`."""
    local = moment.astimezone(ZoneInfo(time_zone))
    first = local.replace(day=1) - timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


# Availability --------------------------------------------------------------------------------


def connected_spans(
    period: Span, at_start: bool | None, changes: Iterable[tuple[datetime, bool]]
) -> list[Span]:
    """When the station was connected inside `period` (see the module's rule)."""
    spans = []
    since = period.start if at_start else None
    for at, connected in sorted(changes, key=lambda change: change[0]):
        if at < period.start:
            since = period.start if connected else None
            continue
        if at >= period.end:
            break
        if connected and since is None:
            since = at
        elif not connected and since is not None:
            spans.append(Span(since, at))
            since = None
    if since is not None:
        spans.append(Span(since, period.end))
    return [span for span in spans if span.seconds > 0]


def merged(spans: Iterable[Span]) -> list[Span]:
    """The union of `spans`, sorted, without overlaps."""
    result: list[Span] = []
    for span in sorted(spans):
        if result and span.start <= result[-1].end:
            if span.end > result[-1].end:
                result[-1] = Span(result[-1].start, span.end)
        else:
            result.append(span)
    return result


def clipped(spans: Iterable[Span], period: Span) -> list[Span]:
    inside = (Span(max(span.start, period.start), min(span.end, period.end)) for span in spans)
    return [span for span in inside if span.seconds > 0]


def without(spans: Sequence[Span], holes: Sequence[Span]) -> list[Span]:
    """`spans` with every moment of `holes` taken out."""
    result = []
    for span in spans:
        pieces = [span]
        for hole in holes:
            next_pieces = []
            for piece in pieces:
                if hole.end <= piece.start or hole.start >= piece.end:
                    next_pieces.append(piece)
                    continue
                if hole.start > piece.start:
                    next_pieces.append(Span(piece.start, hole.start))
                if hole.end < piece.end:
                    next_pieces.append(Span(hole.end, piece.end))
            pieces = next_pieces
        result.extend(pieces)
    return result


def seconds(spans: Iterable[Span]) -> int:
    return round(sum(span.seconds for span in spans))


def fault_spans(faults: Iterable[FaultFacts], connector_ids: set[int], period: Span) -> list[Span]:
    return merged(
        clipped(
            (
                Span(fault.opened_at, fault.resolved_at or period.end)
                for fault in faults
                if fault.ocpp_connector_id in connector_ids
            ),
            period,
        )
    )


def evse_availability(period: Span, station: StationFacts, evse: EvseFacts) -> tuple[int, int]:
    """(observed seconds, available seconds) of one EVSE."""
    observed = Span(max(period.start, evse.created_at), period.end)
    if observed.seconds <= 0:
        return 0, 0
    # Changes before the observed start only set the state it starts in.
    connected = connected_spans(observed, station.connected_at_start, station.connection_changes)
    faulted = fault_spans(station.faults, {0, evse.ocpp_connector_id}, observed)
    return seconds([observed]), seconds(without(connected, faulted))


def percent(available_s: int, observed_s: int) -> float | None:
    return None if observed_s == 0 else round(100 * available_s / observed_s, 2)


# Money and energy ----------------------------------------------------------------------------


def payment_kind(token_type: str, issuer_party_id: str) -> PaymentKind:
    if token_type == TokenType.AD_HOC_USER:
        return PaymentKind.AD_HOC
    if issuer_party_id:
        return PaymentKind.ROAMING
    return PaymentKind.CONTRACT


class _Tally:
    def __init__(self) -> None:
        self.sessions = 0
        self.energy_wh = 0
        self.revenue = {kind: 0 for kind in PaymentKind}

    def add(self, cdr: CdrFacts) -> None:
        if cdr.kind == "session":
            self.sessions += 1
        self.energy_wh += -cdr.energy_wh if cdr.kind == "credit" else cdr.energy_wh
        self.revenue[payment_kind(cdr.token_type, cdr.issuer_party_id)] += cdr.gross_minor

    def revenue_struct(self) -> Revenue:
        return Revenue(
            ad_hoc_minor=self.revenue[PaymentKind.AD_HOC],
            contract_minor=self.revenue[PaymentKind.CONTRACT],
            roaming_minor=self.revenue[PaymentKind.ROAMING],
        )


def _figures(
    tally: _Tally, observed_s: int, available_s: int, faults: int, fault_s: int
) -> Figures:
    revenue = tally.revenue_struct()
    return Figures(
        availability_percent=percent(available_s, observed_s),
        observed_s=observed_s,
        available_s=available_s,
        sessions=tally.sessions,
        energy_wh=tally.energy_wh,
        revenue=revenue,
        revenue_total_minor=revenue.total_minor,
        faults=faults,
        fault_s=fault_s,
    )


def monthly_report(
    *,
    operator: str,
    month: str,
    time_zone: str,
    currency: str,
    made_at: datetime,
    stations: Sequence[StationFacts],
    cdrs: Sequence[CdrFacts],
) -> MonthlyReport:
    """The report of `month` from the facts; `made_at` cuts a month that is not over."""
    whole = month_span(month, time_zone)
    period = Span(whole.start, min(whole.end, max(made_at, whole.start)))
    zone = ZoneInfo(time_zone)
    in_currency = [
        cdr
        for cdr in cdrs
        if cdr.currency == currency and period.start <= cdr.stopped_at < period.end
    ]
    excluded = sum(
        1
        for cdr in cdrs
        if cdr.currency != currency and period.start <= cdr.stopped_at < period.end
    )
    per_station: dict[str, _Tally] = {}
    total = _Tally()
    per_day: dict[date, _Tally] = {}
    for cdr in in_currency:
        per_station.setdefault(cdr.station_identity, _Tally()).add(cdr)
        total.add(cdr)
        per_day.setdefault(cdr.stopped_at.astimezone(zone).date(), _Tally()).add(cdr)

    station_reports = []
    sums = [0, 0, 0, 0]  # observed, available, faults, fault seconds
    for station in sorted(stations, key=lambda facts: facts.identity):
        observed_s = available_s = fault_s = 0
        for evse in station.evses:
            observed, available = evse_availability(period, station, evse)
            observed_s += observed
            available_s += available
        connectors = {0} | {evse.ocpp_connector_id for evse in station.evses}
        for connector in sorted(connectors):
            fault_s += seconds(fault_spans(station.faults, {connector}, period))
        opened = sum(1 for fault in station.faults if period.start <= fault.opened_at < period.end)
        figures = _figures(
            per_station.get(station.identity, _Tally()), observed_s, available_s, opened, fault_s
        )
        station_reports.append(
            StationReport(
                identity=station.identity, name=station.name, site=station.site, figures=figures
            )
        )
        for index, value in enumerate((observed_s, available_s, opened, fault_s)):
            sums[index] += value

    days = []
    day = whole.start.astimezone(zone).date()
    last = (whole.end.astimezone(zone) - timedelta(days=1)).date()
    while day <= last:
        tally = per_day.get(day, _Tally())
        days.append(
            DayFigures(
                day=day,
                sessions=tally.sessions,
                energy_wh=tally.energy_wh,
                revenue_minor=tally.revenue_struct().total_minor,
            )
        )
        day += timedelta(days=1)

    return MonthlyReport(
        operator=operator,
        month=month,
        time_zone=time_zone,
        period_start=period.start,
        period_end=period.end,
        complete=period.end >= whole.end,
        currency=currency,
        totals=_figures(total, sums[0], sums[1], sums[2], sums[3]),
        stations=tuple(station_reports),
        days=tuple(days),
        excluded_records=excluded,
    )
