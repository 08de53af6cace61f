"""Monthly reports: gather the month's facts, apply the rules (cpo/reports/rules.py), keep
the result. A stored report never changes; making one again stores the next version."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import msgspec

from cpo import database
from cpo.audit import service as audit
from cpo.cdrs.tables import Cdr
from cpo.context import Context
from cpo.errors import Conflict, InvalidInput, NotFound
from cpo.operators.service import OperatorRef
from cpo.operators.tables import Operator
from cpo.reports import rules
from cpo.reports.enums import ReportTrigger
from cpo.reports.rules import CdrFacts, EvseFacts, FaultFacts, MonthlyReport, Span, StationFacts
from cpo.reports.tables import MonthlyReportRecord
from cpo.stations.enums import StationEventKind
from cpo.stations.tables import ChargeStation, Evse, Fault, Site, StationEvent

log = logging.getLogger(__name__)

DEFAULT_TIME_ZONE = "Europe/Berlin"
_CONNECTION_KINDS = (StationEventKind.CONNECTED, StationEventKind.DISCONNECTED)


class ReportSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    month: str
    version: int
    trigger: ReportTrigger
    generated_by: str
    generated_at: datetime
    complete: bool


class StoredReport(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    month: str
    version: int
    trigger: ReportTrigger
    generated_by: str
    generated_at: datetime
    report: MonthlyReport


def checked_month(month: str) -> str:
    try:
        rules.parse_month(month)
    except ValueError as error:
        raise InvalidInput(str(error), code="invalid_month") from None
    return month


async def operator_time_zone(operator_id: int) -> str:
    """The time zone the operator's months are counted in: that of its first site."""
    row = (
        await Site.select(Site.time_zone)
        .where(Site.operator == operator_id)
        .order_by(Site.id)
        .first()
    )
    return str(row["time_zone"]) if row and row["time_zone"] else DEFAULT_TIME_ZONE


async def build_report(ctx: Context, operator_id: int, month: str) -> MonthlyReport:
    """The report of `month` as the data says now (a month not over: up to now)."""
    checked_month(month)
    operator = (
        await Operator.select(Operator.name, Operator.currency)
        .where(Operator.id == operator_id)
        .first()
    )
    if operator is None:
        raise NotFound(f"no operator {operator_id}")
    time_zone = await operator_time_zone(operator_id)
    now = ctx.clock.now()
    whole = rules.month_span(month, time_zone)
    if whole.start > now:
        raise InvalidInput(f"{month} has not begun yet", code="month_in_future")
    period = Span(whole.start, min(whole.end, now))
    return rules.monthly_report(
        operator=operator["name"],
        month=month,
        time_zone=time_zone,
        currency=operator["currency"],
        made_at=now,
        stations=await _station_facts(operator_id, period),
        cdrs=await _cdr_facts(operator_id, period),
    )


async def _station_facts(operator_id: int, period: Span) -> list[StationFacts]:
    stations = await ChargeStation.select(
        ChargeStation.id, ChargeStation.identity, ChargeStation.name, ChargeStation.site.name
    ).where(ChargeStation.operator == operator_id)
    evses = await Evse.select(
        Evse.station, Evse.evse_id, Evse.ocpp_connector_id, Evse.created_at
    ).where(Evse.station.operator == operator_id)
    events = (
        await StationEvent.select(StationEvent.station, StationEvent.kind, StationEvent.received_at)
        .where(
            (StationEvent.station.operator == operator_id)
            & StationEvent.kind.is_in(list(_CONNECTION_KINDS))
            & (StationEvent.received_at >= period.start)
            & (StationEvent.received_at < period.end)
        )
        .order_by(StationEvent.received_at)
        .order_by(StationEvent.id)
    )
    faults = await Fault.select(
        Fault.station, Fault.ocpp_connector_id, Fault.opened_at, Fault.resolved_at
    ).where(
        (Fault.station.operator == operator_id)
        & (Fault.opened_at < period.end)
        & (Fault.resolved_at.is_null() | (Fault.resolved_at > period.start))
    )
    facts = []
    for station in stations:
        station_id = station["id"]
        before = (
            await StationEvent.select(StationEvent.kind)
            .where(
                (StationEvent.station == station_id)
                & StationEvent.kind.is_in(list(_CONNECTION_KINDS))
                & (StationEvent.received_at < period.start)
            )
            .order_by(StationEvent.received_at, ascending=False)
            .order_by(StationEvent.id, ascending=False)
            .first()
        )
        facts.append(
            StationFacts(
                identity=station["identity"],
                name=station["name"],
                site=station["site.name"] or "",
                evses=tuple(
                    EvseFacts(
                        evse_id=evse["evse_id"],
                        ocpp_connector_id=evse["ocpp_connector_id"],
                        created_at=evse["created_at"],
                    )
                    for evse in evses
                    if evse["station"] == station_id
                ),
                connected_at_start=(
                    None if before is None else before["kind"] == StationEventKind.CONNECTED
                ),
                connection_changes=tuple(
                    (event["received_at"], event["kind"] == StationEventKind.CONNECTED)
                    for event in events
                    if event["station"] == station_id
                ),
                faults=tuple(
                    FaultFacts(
                        ocpp_connector_id=fault["ocpp_connector_id"],
                        opened_at=fault["opened_at"],
                        resolved_at=fault["resolved_at"],
                    )
                    for fault in faults
                    if fault["station"] == station_id
                ),
            )
        )
    return facts


async def _cdr_facts(operator_id: int, period: Span) -> list[CdrFacts]:
    rows = await Cdr.select(
        Cdr.station_identity,
        Cdr.kind,
        Cdr.stopped_at,
        Cdr.energy_wh,
        Cdr.gross_minor,
        Cdr.currency,
        Cdr.token_type,
        Cdr.issuer_party_id,
    ).where(
        (Cdr.operator == operator_id)
        & (Cdr.stopped_at >= period.start)
        & (Cdr.stopped_at < period.end)
    )
    return [msgspec.convert(row, CdrFacts) for row in rows]


def _stored(row: dict[str, Any]) -> StoredReport:
    return StoredReport(
        id=row["id"],
        month=row["month"],
        version=row["version"],
        trigger=ReportTrigger(row["trigger"]),
        generated_by=row["generated_by"],
        generated_at=row["generated_at"],
        report=database.from_json_column(row["report"], MonthlyReport),
    )


async def _insert(
    operator_id: int,
    report: MonthlyReport,
    version: int,
    trigger: ReportTrigger,
    generated_by: str,
    at: datetime,
) -> int | None:
    """The new row's id, or None when that version exists already (another node was first)."""
    rows = (
        await MonthlyReportRecord.insert(
            MonthlyReportRecord(
                operator=operator_id,
                month=report.month,
                version=version,
                key=f"{operator_id}:{report.month}:{version}",
                trigger=trigger,
                generated_by=generated_by,
                generated_at=at,
                report=msgspec.json.encode(report).decode(),
            )
        )
        .on_conflict(target=MonthlyReportRecord.key, action="DO NOTHING")
        .returning(MonthlyReportRecord.id)
    )
    return int(rows[0]["id"]) if rows else None


async def _latest_version(operator_id: int, month: str) -> int:
    row = (
        await MonthlyReportRecord.select(MonthlyReportRecord.version)
        .where((MonthlyReportRecord.operator == operator_id) & (MonthlyReportRecord.month == month))
        .order_by(MonthlyReportRecord.version, ascending=False)
        .first()
    )
    return 0 if row is None else int(row["version"])


async def generate_on_demand(
    ctx: Context, operator_id: int, month: str, *, by: OperatorRef
) -> StoredReport:
    """Make the report now and keep it as the month's next version (audited)."""
    report = await build_report(ctx, operator_id, checked_month(month))
    now = ctx.clock.now()
    async with database.transaction():
        # Another node may take the same version at the same moment (the month-end worker,
        # another admin): then this one is the next.
        for _attempt in range(3):
            version = await _latest_version(operator_id, month) + 1
            report_id = await _insert(
                operator_id, report, version, ReportTrigger.ON_DEMAND, by.actor_name, now
            )
            if report_id is not None:
                break
        else:
            raise Conflict("the report is being made right now; try again in a moment")
        stored = await get_report(operator_id, month, version)
        await audit.record(
            by,
            "report.generate",
            "monthly_report",
            f"{month} v{version}",
            at=now,
            after={"month": month, "version": version},
        )
    return stored


async def generate_if_missing(ctx: Context, operator_id: int, month: str) -> bool:
    """The automatic report of a month that is over: True when this call made it; False
    when one exists (another node, an earlier round, or an admin made it)."""
    if await _latest_version(operator_id, month):
        return False
    report = await build_report(ctx, operator_id, month)
    async with database.transaction():
        if await _latest_version(operator_id, month):
            return False
        made = await _insert(operator_id, report, 1, ReportTrigger.AUTOMATIC, "", ctx.clock.now())
    return made is not None


async def generate_due_reports(ctx: Context) -> int:
    """Every operator's report of the month that ended last, where it is missing."""
    made = 0
    for operator in await Operator.select(Operator.id).order_by(Operator.id):
        operator_id = int(operator["id"])
        month = rules.previous_month(ctx.clock.now(), await operator_time_zone(operator_id))
        if await generate_if_missing(ctx, operator_id, month):
            log.info("monthly report %s of operator %s made", month, operator_id)
            made += 1
    return made


async def list_reports(operator_id: int) -> list[ReportSummary]:
    rows = (
        await MonthlyReportRecord.select()
        .where(MonthlyReportRecord.operator == operator_id)
        .order_by(MonthlyReportRecord.month, ascending=False)
        .order_by(MonthlyReportRecord.version, ascending=False)
    )
    summaries = []
    for row in rows:
        stored = _stored(row)
        summaries.append(
            ReportSummary(
                id=stored.id,
                month=stored.month,
                version=stored.version,
                trigger=stored.trigger,
                generated_by=stored.generated_by,
                generated_at=stored.generated_at,
                complete=stored.report.complete,
            )
        )
    return summaries


async def get_report(operator_id: int, month: str, version: int | None = None) -> StoredReport:
    """A stored report: the given version, or the month's latest."""
    checked_month(month)
    query = MonthlyReportRecord.select().where(
        (MonthlyReportRecord.operator == operator_id) & (MonthlyReportRecord.month == month)
    )
    if version is not None:
        query = query.where(MonthlyReportRecord.version == version)
    row = await query.order_by(MonthlyReportRecord.version, ascending=False).first()
    if row is None:
        raise NotFound(f"no report for {month}" + ("" if version is None else f" v{version}"))
    return _stored(row)
