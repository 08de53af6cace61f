"""The operator's audit log: every admin action, who did it, the state before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get
from litestar.params import FromQuery, QueryParameter
from litestar.response import Stream

from api.auth import CallingOperator
from cpo.audit import service as audit

FILTER_HELP = (
    "Filters: `action` (`tariff` for every tariff action, `tariff.update` for one), "
    "`target_type` and `target_id`, `date_from` (inclusive) and `date_to` (exclusive)."
)


class AuditController(Controller):
    path = "/api/admin/audit"
    tags = ["admin: audit log"]

    @get(
        summary="The audit log, newest first",
        description="Page with `before` (the `next_before` of the previous page). " + FILTER_HELP,
        cache_control=None,
    )
    async def list_entries(
        self,
        operator: CallingOperator,
        action: FromQuery[str | None] = None,
        target_type: FromQuery[str | None] = None,
        target_id: FromQuery[str | None] = None,
        date_from: FromQuery[datetime | None] = None,
        date_to: FromQuery[datetime | None] = None,
        before: FromQuery[int | None] = None,
        limit: Annotated[
            int, QueryParameter(ge=1, le=audit.MAX_PAGE_SIZE)
        ] = audit.DEFAULT_PAGE_SIZE,
    ) -> audit.AuditPage:
        criteria = audit.AuditFilter(
            action=action,
            target_type=target_type,
            target_id=target_id,
            date_from=date_from,
            date_to=date_to,
        )
        return await audit.entries(operator.operator_id, criteria, limit=limit, before=before)

    @get(
        "/export.csv",
        summary="The audit log as CSV, oldest first",
        description="Streamed; before and after as JSON texts. " + FILTER_HELP,
        media_type="text/csv; charset=utf-8",
    )
    async def export_csv(
        self,
        operator: CallingOperator,
        action: FromQuery[str | None] = None,
        target_type: FromQuery[str | None] = None,
        target_id: FromQuery[str | None] = None,
        date_from: FromQuery[datetime | None] = None,
        date_to: FromQuery[datetime | None] = None,
    ) -> Stream:
        criteria = audit.AuditFilter(
            action=action,
            target_type=target_type,
            target_id=target_id,
            date_from=date_from,
            date_to=date_to,
        )
        # Checked before the first byte: once streaming, an error can only cut it short.
        await audit.entries(operator.operator_id, criteria, limit=1)
        return Stream(
            audit.export_csv(operator.operator_id, criteria),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="audit-{operator.slug}.csv"',
            },
        )
