"""Charge detail records for the operator's accounting and billing systems.

Every route acts for the calling operator only: another operator's record is "not found",
never "forbidden", so that its existence is not given away either.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Stream

from api.auth import CallingOperator
from cpo import database
from cpo.audit import service as audit
from cpo.cdrs import export
from cpo.cdrs import service as cdrs
from cpo.cdrs.export import CdrPage, CdrRecord, CsvVariant
from cpo.operators.service import require_admin

# Litestar adds "; charset=utf-8" to text types itself.
CSV_MEDIA_TYPE = "text/csv"
PERIOD_HELP = (
    "ISO 8601 with an offset (`2026-11-01T00:00:00+01:00`, `…Z`; write `+` as `%2B` in a "
    "URL). Records whose session stopped in [date_from, date_to)."
)


class CorrectionRequest(msgspec.Struct, frozen=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    # The energy the session really delivered; without it the record is only cancelled.
    energy_wh: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] | None = None


class Correction(msgspec.Struct, frozen=True, kw_only=True):
    credit: CdrRecord
    rebill: CdrRecord | None


class CdrController(Controller):
    # `/api/admin` rather than `/api/admin/cdrs`: the export lives at `/api/admin/cdrs.csv`,
    # a sibling of the collection, not a path below it.
    path = "/api/admin"
    tags = ["admin: charge detail records"]

    @get(
        "/cdrs",
        summary="The operator's charge detail records, a page at a time",
        description=(
            "In number order. Follow `next_cursor` until it is null; store `resume_cursor` "
            "and ask with it later to get only the records written since (corrections of "
            "old sessions included). " + PERIOD_HELP
        ),
    )
    async def list_cdrs(
        self,
        operator: CallingOperator,
        state: State,
        date_from: FromQuery[datetime | None] = None,
        date_to: FromQuery[datetime | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[
            int, QueryParameter(ge=1, le=export.MAX_PAGE_SIZE)
        ] = export.DEFAULT_PAGE_SIZE,
    ) -> CdrPage:
        return await export.cdr_page(
            operator.operator_id,
            export.period(date_from, date_to),
            base_url=state.ctx.settings.base_url,
            cursor=cursor,
            limit=limit,
        )

    @get(
        "/cdrs.csv",
        summary="CSV export of the operator's charge detail records for a period",
        description=(
            "Streamed. `variant=standard`: comma, decimal point, ISO 8601, UTF-8 (RFC 4180). "
            "`variant=de`: semicolon, decimal comma, DD.MM.YYYY HH:MM local time, UTF-8 with "
            "BOM, for German Excel. Columns: docs/cdr-export.md. " + PERIOD_HELP
        ),
        media_type=CSV_MEDIA_TYPE,
    )
    async def export_csv(
        self,
        operator: CallingOperator,
        date_from: FromQuery[datetime],
        date_to: FromQuery[datetime],
        variant: FromQuery[CsvVariant] = CsvVariant.STANDARD,
    ) -> Stream:
        # Checked here, before the first byte: once streaming, an error can only cut the
        # download short.
        chosen = export.period(date_from, date_to)
        filename = period_filename("cdrs", operator.slug, date_from, date_to)
        return Stream(
            export.csv_chunks(operator.operator_id, chosen, variant),
            media_type=CSV_MEDIA_TYPE,
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                # Personal data (card numbers) and amounts: no shared cache keeps a copy.
                "Cache-Control": "no-store",
            },
        )

    @get("/cdrs/{cdr_id:int}", summary="One charge detail record")
    async def get_cdr(
        self, operator: CallingOperator, state: State, cdr_id: FromPath[int]
    ) -> CdrRecord:
        found = await cdrs.get_cdr(operator.operator_id, cdr_id)
        return export.record(found, state.ctx.settings.base_url)

    @post(
        "/cdrs/{cdr_id:int}/corrections",
        summary="Correct a charge detail record",
        description=(
            "Writes a credit record that cancels it and, with `energy_wh`, a rebill priced "
            "under the same tariff. The record itself never changes."
        ),
    )
    async def correct_cdr(
        self,
        operator: CallingOperator,
        state: State,
        cdr_id: FromPath[int],
        data: JSONBody[CorrectionRequest],
    ) -> Correction:
        require_admin(operator)
        async with database.transaction():
            credit, rebill = await cdrs.correct_cdr(
                state.ctx,
                operator.operator_id,
                cdr_id,
                reason=data.reason,
                energy_wh=data.energy_wh,
            )
            await audit.record(
                operator,
                "cdr.correct",
                "cdr",
                cdr_id,
                at=state.ctx.clock.now(),
                after={
                    "reason": data.reason,
                    "energy_wh": data.energy_wh,
                    "credit": credit.number,
                    "rebill": None if rebill is None else rebill.number,
                },
            )
        base_url = state.ctx.settings.base_url
        return Correction(
            credit=export.record(credit, base_url),
            rebill=None if rebill is None else export.record(rebill, base_url),
        )


def period_filename(kind: str, slug: str, date_from: datetime, date_to: datetime) -> str:
    """The download name of an export of one operator and period."""
    return f"{kind}-{_safe(slug)}-{_stamp(date_from)}-{_stamp(date_to)}.csv"


def _safe(text: str) -> str:
    """Only characters that need no quoting in a Content-Disposition filename."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text) or "operator"


def _stamp(moment: datetime) -> str:
    """The date as the caller wrote it (a month export reads 2026-11-01-2026-12-01), with
    the time of day only when it is not midnight."""
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%dT%H%M%S")
