"""The monthly report as PDF (A4): the operator's totals, revenue by payment kind, energy
per day as a bar chart, and one row per station. Helvetica, as on receipts
(cpo/cdrs/receipt.py says why and where its encoding ends)."""

from __future__ import annotations

import io
from datetime import timedelta
from html import escape
from typing import Any

from cpo.i18n import N_, Translator
from cpo.reports.rules import Figures, MonthlyReport

TITLE = N_("Monthly report {month}")
PERIOD = N_("{start} to {end} ({time_zone})")
NOT_COMPLETE = N_("The month was not over when this report was made.")
VERSION = N_("Version {version}, made {at}")
TOTALS = N_("The whole network")
AVAILABILITY = N_("Availability")
SESSIONS = N_("Sessions")
ENERGY = N_("Energy")
FAULTS = N_("Faults")
FAULT_TIME = N_("Time faulted")
REVENUE = N_("Revenue (incl. VAT)")
AD_HOC = N_("Ad hoc")
CONTRACT = N_("Contract")
ROAMING = N_("Roaming")
TOTAL = N_("Total")
ENERGY_PER_DAY = N_("Energy per day")
STATIONS = N_("Stations")
STATION = N_("Station")
NO_DATA = N_("no data")
EXCLUDED = N_("{count} records in other currencies are not included.")
AVAILABILITY_RULE = N_(
    "Availability: the share of each charge point's time in the month in which its station "
    "was connected and neither it nor the station had a fault."
)


def availability_text(figures: Figures, t: Translator) -> str:
    if figures.availability_percent is None:
        return t.gettext(NO_DATA)
    return f"{t.decimal(figures.availability_percent, 1)}\u00a0%"


def render_pdf(report: MonthlyReport, version: int, made_at_text: str, t: Translator) -> bytes:
    """CPU-bound: call it in a thread."""
    from reportlab.graphics.charts.barcharts import (  # type: ignore[import-untyped]
        VerticalBarChart,
    )
    from reportlab.graphics.shapes import Drawing  # type: ignore[import-untyped]
    from reportlab.lib import colors  # type: ignore[import-untyped]
    from reportlab.lib.enums import TA_RIGHT  # type: ignore[import-untyped]
    from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
    from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
    from reportlab.lib.units import mm  # type: ignore[import-untyped]
    from reportlab.platypus import (  # type: ignore[import-untyped]
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    _ = t.gettext
    grey = colors.HexColor("#4a525c")
    body = ParagraphStyle("body", fontName="Helvetica", fontSize=9, leading=12)
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5, textColor=grey)
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)
    title = ParagraphStyle("title", parent=body, fontName="Helvetica-Bold", fontSize=16, leading=20)
    heading = ParagraphStyle(
        "heading", parent=body, fontName="Helvetica-Bold", fontSize=11, leading=14, spaceBefore=8
    )

    def p(text: str, style: Any = body) -> Any:
        return Paragraph(escape(text), style)

    width = A4[0] - 30 * mm

    def money(minor: int) -> str:
        return t.money(minor, report.currency)

    start = t.date(report.period_start, report.time_zone)
    # A whole month ends on its last day; one not over yet at the moment the report was made.
    end = (
        t.date(report.period_end - timedelta(microseconds=1), report.time_zone)
        if report.complete
        else t.datetime(report.period_end, report.time_zone)
    )
    story: list[Any] = [
        p(report.operator, heading),
        p(_(TITLE).format(month=report.month), title),
        p(_(PERIOD).format(start=start, end=end, time_zone=report.time_zone)),
        p(_(VERSION).format(version=version, at=made_at_text), small),
    ]
    if not report.complete:
        story.append(p(_(NOT_COMPLETE), small))
    totals = report.totals
    story += [p(_(TOTALS), heading)]
    summary = [
        [p(_(AVAILABILITY)), p(availability_text(totals, t), right)],
        [p(_(SESSIONS)), p(t.decimal(totals.sessions, 0), right)],
        [p(_(ENERGY)), p(t.energy_kwh(totals.energy_wh), right)],
        [p(_(FAULTS)), p(t.decimal(totals.faults, 0), right)],
        [p(_(FAULT_TIME)), p(t.duration(totals.fault_s), right)],
        [p(f"{_(REVENUE)}: {_(AD_HOC)}"), p(money(totals.revenue.ad_hoc_minor), right)],
        [p(f"{_(REVENUE)}: {_(CONTRACT)}"), p(money(totals.revenue.contract_minor), right)],
        [p(f"{_(REVENUE)}: {_(ROAMING)}"), p(money(totals.revenue.roaming_minor), right)],
        [p(f"{_(REVENUE)}: {_(TOTAL)}"), p(money(totals.revenue_total_minor), right)],
    ]
    table = Table(summary, colWidths=[width * 0.6, width * 0.4])
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.25, grey)]))
    story.append(table)
    if report.excluded_records:
        story.append(p(_(EXCLUDED).format(count=report.excluded_records), small))

    story.append(p(_(ENERGY_PER_DAY), heading))
    chart = Drawing(width, 45 * mm)
    bars = VerticalBarChart()
    bars.x, bars.y, bars.width, bars.height = 12 * mm, 6 * mm, width - 14 * mm, 36 * mm
    bars.data = [[day.energy_wh / 1000 for day in report.days]]
    bars.categoryAxis.categoryNames = [str(day.day.day) for day in report.days]
    bars.categoryAxis.labels.fontSize = 6
    bars.valueAxis.labels.fontSize = 6
    bars.valueAxis.valueMin = 0
    bars.bars[0].fillColor = colors.HexColor("#0b5fff")
    chart.add(bars)
    story += [chart, p("kWh", small)]

    story.append(p(_(STATIONS), heading))
    head = [_(STATION), _(AVAILABILITY), _(SESSIONS), _(ENERGY), _(FAULTS), _(TOTAL)]
    rows: list[list[Any]] = [[p(text, small) for text in head]]
    for station in report.stations:
        figures = station.figures
        rows.append(
            [
                p(station.identity + (f" – {station.name}" if station.name else "")),
                p(availability_text(figures, t), right),
                p(t.decimal(figures.sessions, 0), right),
                p(t.energy_kwh(figures.energy_wh), right),
                p(t.decimal(figures.faults, 0), right),
                p(money(figures.revenue_total_minor), right),
            ]
        )
    stations = Table(
        rows, colWidths=[width * share for share in (0.32, 0.14, 0.1, 0.16, 0.1, 0.18)]
    )
    stations.setStyle(
        TableStyle(
            [("LINEBELOW", (0, 0), (-1, -1), 0.25, grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        )
    )
    story += [stations, Spacer(1, 4 * mm), p(_(AVAILABILITY_RULE), small)]

    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=_(TITLE).format(month=report.month),
        author=report.operator,
    )
    document.build(story)
    return out.getvalue()
