"""Monthly reports of the operator: made at each month's end by the worker, and on demand
by an operator admin; read as JSON or PDF by staff too. A stored report never changes;
making one again adds the month's next version."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody

from api.auth import CallingOperator, request_language
from cpo.i18n import translator
from cpo.operators.service import require_admin
from cpo.reports import service as reports
from cpo.reports.pdf import render_pdf
from cpo.reports.rules import MONTH_PATTERN

Month = Annotated[str, msgspec.Meta(pattern=MONTH_PATTERN, examples=["2026-10"])]
RULES = (
    "Availability: the share of each EVSE's time in the month in which its station was "
    "connected and it had no open fault (the station's own faults count for every EVSE); "
    "sessions, energy and revenue (gross, by payment kind ad_hoc / contract / roaming) from "
    "the charge detail records of sessions that stopped in the month; faults opened in it. "
    "The month is the calendar month in the time zone of the operator's first site. "
    "The full rules: cpo/reports/rules.py."
)


class GenerateRequest(msgspec.Struct, frozen=True, kw_only=True):
    month: Month


class ReportController(Controller):
    path = "/api/admin/reports"
    tags = ["admin: reports"]

    @get(summary="The stored monthly reports, newest month first", description=RULES)
    async def list_reports(self, operator: CallingOperator) -> list[reports.ReportSummary]:
        return await reports.list_reports(operator.operator_id)

    @post(
        summary="Make a month's report now",
        description=(
            "Stored as the month's next version (the first one when none exists). A month "
            "not over yet is reported up to now (`complete` false). Admins only. " + RULES
        ),
    )
    async def generate(
        self, operator: CallingOperator, state: State, data: JSONBody[GenerateRequest]
    ) -> reports.StoredReport:
        require_admin(operator)
        return await reports.generate_on_demand(
            state.ctx, operator.operator_id, data.month, by=operator
        )

    @get(
        "/{month:str}",
        summary="One month's report",
        description="The latest version, or `version`. Per station under `stations`. " + RULES,
    )
    async def get_report(
        self,
        operator: CallingOperator,
        month: FromPath[str],
        version: FromQuery[int | None] = None,
    ) -> reports.StoredReport:
        return await reports.get_report(operator.operator_id, month, version)

    @get(
        "/{month:str}/report.pdf",
        summary="One month's report as PDF",
        description="The latest version, or `version`; in `lang` (`de`, `en`) or the browser's.",
        media_type="application/pdf",
    )
    async def get_pdf(
        self,
        request: Request[Any, Any, Any],
        operator: CallingOperator,
        month: FromPath[str],
        version: FromQuery[int | None] = None,
    ) -> Response[bytes]:
        stored = await reports.get_report(operator.operator_id, month, version)
        t = translator(request_language(request))
        made_at = t.datetime(stored.generated_at, stored.report.time_zone)
        pdf = await asyncio.to_thread(render_pdf, stored.report, stored.version, made_at, t)
        filename = f"report-{stored.month}-v{stored.version}.pdf"
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
