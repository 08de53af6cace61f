"""The monthly report's rules, checked against figures worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from cpo.reports.rules import (
    CdrFacts,
    EvseFacts,
    FaultFacts,
    PaymentKind,
    Span,
    StationFacts,
    connected_spans,
    month_span,
    monthly_report,
    parse_month,
    payment_kind,
    previous_month,
    without,
)

H = timedelta(hours=1)
BERLIN = "Europe/Berlin"


def at(day: int, hour: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def test_the_month_is_the_local_calendar_month() -> None:
    october = month_span("2026-10", BERLIN)
    # Summer time until 25 October: the month starts at 22:00 UTC and ends at 23:00 UTC,
    # 31 days and the hour given back.
    assert october == Span(datetime(2026, 9, 30, 22, tzinfo=UTC), at(31, 23))
    assert october.seconds == (31 * 24 + 1) * 3600
    assert month_span("2026-12", "UTC") == Span(at(1, 0, 12), datetime(2027, 1, 1, tzinfo=UTC))
    assert previous_month(datetime(2027, 1, 1, 0, 30, tzinfo=UTC), BERLIN) == "2026-12"
    # 31 December 23:30 UTC is already January in Berlin.
    assert previous_month(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), BERLIN) == "2026-12"
    assert previous_month(datetime(2026, 12, 31, 22, 30, tzinfo=UTC), BERLIN) == "2026-11"
    for wrong in ("2026-13", "2026-1", "26-10", "2026-10-01", ""):
        with pytest.raises(ValueError, match="YYYY-MM"):
            parse_month(wrong)


def test_connection_state_at_the_edges() -> None:
    period = Span(at(1), at(11))
    # Connected before the period, a gap inside, still connected at its end.
    assert connected_spans(period, None, [(at(1) - H, True), (at(3), False), (at(4), True)]) == [
        Span(at(1), at(3)),
        Span(at(4), at(11)),
    ]
    # No event before the period: disconnected until the first one.
    assert connected_spans(period, None, [(at(2), True)]) == [Span(at(2), at(11))]
    # Nothing at all: never connected.
    assert connected_spans(period, None, []) == []
    # The state the last event before the period left, and events after it ignored.
    assert connected_spans(period, True, [(at(12), False)]) == [period]
    # Two connects in a row (a node died without recording the disconnect): connected.
    assert connected_spans(period, False, [(at(2), True), (at(5), True), (at(6), False)]) == [
        Span(at(2), at(6))
    ]


def test_holes_are_cut_out_once() -> None:
    spans = [Span(at(1), at(5)), Span(at(6), at(9))]
    holes = [Span(at(2), at(3)), Span(at(2, 12), at(6, 12))]
    assert without(spans, holes) == [Span(at(1), at(2)), Span(at(6, 12), at(9))]


def test_payment_kinds() -> None:
    assert payment_kind("AD_HOC_USER", "") is PaymentKind.AD_HOC
    assert payment_kind("RFID", "") is PaymentKind.CONTRACT
    assert payment_kind("APP_USER", "") is PaymentKind.CONTRACT
    assert payment_kind("", "") is PaymentKind.CONTRACT  # an unknown card the charger let in
    assert payment_kind("RFID", "ABC") is PaymentKind.ROAMING


STATION_A = StationFacts(
    identity="A",
    name="Station A",
    site="Depot",
    evses=(EvseFacts(evse_id="DE*X*E1*1", ocpp_connector_id=1, created_at=at(1, 0, 9)),),
    connected_at_start=True,
    connection_changes=((at(10), False), (at(10, 12), True)),
    faults=(
        # The whole station, from before the month into its first hour.
        FaultFacts(
            ocpp_connector_id=0,
            opened_at=datetime(2026, 9, 30, 20, tzinfo=UTC),
            resolved_at=datetime(2026, 9, 30, 23, tzinfo=UTC),
        ),
        FaultFacts(ocpp_connector_id=1, opened_at=at(20), resolved_at=at(20, 6)),
        # Half of it while disconnected anyway.
        FaultFacts(ocpp_connector_id=1, opened_at=at(10, 6), resolved_at=at(10, 18)),
    ),
)
STATION_B = StationFacts(
    identity="B",
    name="Station B",
    site="Depot",
    evses=(
        EvseFacts(evse_id="DE*X*E2*1", ocpp_connector_id=1, created_at=at(21)),
        EvseFacts(evse_id="DE*X*E2*2", ocpp_connector_id=2, created_at=at(21)),
    ),
    connected_at_start=None,
    connection_changes=((at(21, 1), True),),
    faults=(),
)


def cdr(station: str, stopped_at: datetime, energy_wh: int, gross: int, **kwargs: str) -> CdrFacts:
    return CdrFacts(
        station_identity=station,
        kind=kwargs.get("kind", "session"),
        stopped_at=stopped_at,
        energy_wh=energy_wh,
        gross_minor=gross,
        currency=kwargs.get("currency", "EUR"),
        token_type=kwargs.get("token_type", "RFID"),
        issuer_party_id=kwargs.get("issuer", ""),
    )


CDRS = [
    cdr("A", at(5, 10), 20_000, 980, token_type="AD_HOC_USER"),
    cdr("A", datetime(2026, 10, 31, 22, 30, tzinfo=UTC), 10_000, 490),  # 23:30 in Berlin
    cdr("A", at(31, 23), 9_000, 441, issuer="ABC"),  # 1 November, 00:00 in Berlin
    cdr("A", datetime(2026, 9, 30, 21, 59, tzinfo=UTC), 1_000, 49),  # 30 September, 23:59
    cdr("B", at(22, 8), 5_000, 245),
    cdr("B", at(22, 8), 5_000, -245, kind="credit"),
    cdr("B", at(22, 8), 3_000, 147, kind="rebill"),
    cdr("B", at(23), 7_000, 343, issuer="ABC", currency="CHF"),
    cdr("B", at(24), 8_000, 392, issuer="ABC"),
]


def test_a_month_worked_out_by_hand() -> None:
    report = monthly_report(
        operator="Demo",
        month="2026-10",
        time_zone=BERLIN,
        currency="EUR",
        made_at=at(1, 3, 11),
        stations=[STATION_B, STATION_A],
        cdrs=CDRS,
    )
    assert report.complete
    assert (report.period_start, report.period_end) == month_span("2026-10", BERLIN)
    a, b = report.stations
    # A: 745 h observed; down 12 h (disconnected), 1 h (station fault), 6 h (fault on
    # the 20th) and 6 h (the part of the fault on the 10th after it reconnected).
    assert (a.figures.observed_s, a.figures.available_s) == (745 * 3600, 720 * 3600)
    assert a.figures.availability_percent == 96.64
    assert a.figures.faults == 2  # the one opened in September is not this month's
    assert a.figures.fault_s == (1 + 6 + 12) * 3600
    assert (a.figures.sessions, a.figures.energy_wh) == (2, 30_000)
    assert (a.figures.revenue.ad_hoc_minor, a.figures.revenue.contract_minor) == (980, 490)
    assert a.figures.revenue_total_minor == 1_470
    # B: two EVSEs from 21 October 00:00 UTC (263 h each), connected from 01:00.
    assert (b.figures.observed_s, b.figures.available_s) == (2 * 263 * 3600, 2 * 262 * 3600)
    assert b.figures.availability_percent == 99.62
    assert (b.figures.faults, b.figures.fault_s) == (0, 0)
    # The corrected session counts once, with the corrected energy and amount; CHF is left out.
    assert (b.figures.sessions, b.figures.energy_wh) == (2, 11_000)
    assert b.figures.revenue.contract_minor == 147
    assert b.figures.revenue.roaming_minor == 392
    assert report.excluded_records == 1

    totals = report.totals
    assert (totals.observed_s, totals.available_s) == (1271 * 3600, 1244 * 3600)
    assert totals.availability_percent == 97.88
    assert (totals.sessions, totals.energy_wh, totals.faults) == (4, 41_000, 2)
    assert (
        totals.revenue.ad_hoc_minor,
        totals.revenue.contract_minor,
        totals.revenue.roaming_minor,
    ) == (980, 637, 392)
    assert totals.revenue_total_minor == 2_009

    assert len(report.days) == 31
    assert report.days[0].day == date(2026, 10, 1)
    by_day = {day.day: day for day in report.days}
    assert (by_day[date(2026, 10, 5)].sessions, by_day[date(2026, 10, 5)].energy_wh) == (1, 20_000)
    assert by_day[date(2026, 10, 22)].revenue_minor == 147
    assert by_day[date(2026, 10, 31)].revenue_minor == 490
    assert sum(day.revenue_minor for day in report.days) == totals.revenue_total_minor


def test_a_month_not_over_yet_ends_when_the_report_is_made() -> None:
    report = monthly_report(
        operator="Demo",
        month="2026-10",
        time_zone=BERLIN,
        currency="EUR",
        made_at=at(10),
        stations=[STATION_A],
        cdrs=CDRS,
    )
    assert not report.complete
    assert report.period_end == at(10)
    # 218 hours from 30 September 22:00 to 10 October 00:00, one of them faulted.
    assert report.totals.observed_s == 218 * 3600
    assert report.totals.available_s == 217 * 3600
    assert report.totals.sessions == 1  # only the one of the 5th so far
    # A station nobody could observe has no figure, not 0 % nor 100 %.
    empty = monthly_report(
        operator="Demo",
        month="2026-10",
        time_zone=BERLIN,
        currency="EUR",
        made_at=at(10),
        stations=[STATION_B],
        cdrs=[],
    )
    assert empty.totals.availability_percent is None
    assert empty.stations[0].figures.observed_s == 0
