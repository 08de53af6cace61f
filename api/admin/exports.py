"""CSV exports next to the charge detail records (api/admin/cdrs.py) and the audit log
(api/admin/audit.py): the operator's charging sessions."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get
from litestar.params import FromQuery
from litestar.response import Stream

from api.admin.cdrs import CSV_MEDIA_TYPE, period_filename
from api.auth import CallingOperator
from cpo.cdrs.export import period
from cpo.sessions import export


class SessionExportController(Controller):
    path = "/api/admin"
    tags = ["admin: exports"]

    @get(
        "/sessions.csv",
        summary="CSV export of the operator's charging sessions for a period",
        description=(
            "Streamed. Sessions that started in [date_from, date_to) (ISO 8601 with an "
            "offset; write `+` as `%2B` in a URL), running or finished, oldest first, with "
            "the number and gross amount of their charge detail record. Comma, decimal "
            "point, times in UTC, UTF-8; texts from chargers and cards are defused for "
            "spreadsheets. Columns: " + ", ".join(export.COLUMNS) + "."
        ),
        media_type=CSV_MEDIA_TYPE,
    )
    async def export_sessions(
        self,
        operator: CallingOperator,
        date_from: FromQuery[datetime],
        date_to: FromQuery[datetime],
    ) -> Stream:
        chosen = period(date_from, date_to)  # checked before the first byte
        name = period_filename("sessions", operator.slug, date_from, date_to)
        return Stream(
            export.csv_chunks(operator.operator_id, chosen),
            media_type=CSV_MEDIA_TYPE,
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )
