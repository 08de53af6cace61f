"""The sessions CSV: every session of the period with its record's number and amount,
safe to open in a spreadsheet, streamed, and only ever the calling operator's."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from cpo.cdrs.tables import Cdr
from cpo.context import Context
from cpo.reports.rules import month_span
from cpo.sessions import service as sessions
from cpo.sessions.schemas import StartReport
from cpo.stations.schemas import StationRef
from cpo.stations.tables import ChargeStation
from tests.support.accounts import AccountsPlatform, accounts_platform
from tests.support.admin import logged_in_staff, script
from tests.support.charging_month import charge_through_a_month, next_month
from tests.support.rival import rival_operator


@pytest.fixture
async def site(demo: Context) -> AsyncIterator[AccountsPlatform]:
    async with accounts_platform(demo) as running:
        yield running


def month_params(month: str) -> dict[str, str]:
    span = month_span(month, "Europe/Berlin")
    return {"date_from": span.start.isoformat(), "date_to": span.end.isoformat()}


async def test_a_month_of_sessions_as_csv(site: AccountsPlatform) -> None:
    charged = await charge_through_a_month(site.ctx, next_month(site.clock.now()))
    span = month_span(charged.month, "Europe/Berlin")
    # A card nobody knows, named like a formula: the session is kept (never refused).
    station = (
        await ChargeStation.select(ChargeStation.id, ChargeStation.operator)
        .where(ChargeStation.identity == "DEMO-AC-2")
        .first()
    )
    assert station is not None
    await sessions.start_transaction(
        site.ctx,
        StationRef(station["id"], station["operator"], "DEMO-AC-2"),
        StartReport(
            connector_id=1,
            id_tag="=HYPERLINK(1)",
            meter_start_wh=0,
            timestamp=span.end - timedelta(hours=1),
        ),
    )
    async with script(site) as http:
        response = await http.get("/api/admin/sessions.csv", params=month_params(charged.month))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == charged.sessions + 1
    first = rows[0]
    record = (
        await Cdr.select(Cdr.number, Cdr.gross_minor)
        .where(Cdr.session == int(first["session_id"]))
        .first()
    )
    assert record is not None
    assert first["state"] == "completed"
    assert first["station"] == "DEMO-AC-1"
    assert first["evse_id"] == "DE*DEM*E0001*1"
    assert first["duration_s"] == "3600"
    assert first["energy_kwh"] == "5.100"
    assert first["payment_kind"] == "contract"
    assert first["cdr_number"] == record["number"]
    assert first["gross_amount"] == f"{record['gross_minor'] / 100:.2f}"
    assert [row["payment_kind"] for row in rows[:3]] == ["contract", "ad_hoc", "roaming"]
    running = rows[-1]
    assert (running["state"], running["stopped_at"], running["cdr_number"]) == ("active", "", "")
    assert running["id_tag"] == "'=HYPERLINK(1)"
    assert running["authorization"] == "Invalid"


async def test_periods_are_checked_and_staff_may_export(
    site: AccountsPlatform, demo: Context
) -> None:
    async with script(site) as http:
        backwards = await http.get(
            "/api/admin/sessions.csv",
            params={"date_from": "2026-02-01T00:00:00Z", "date_to": "2026-01-01T00:00:00Z"},
        )
        assert backwards.status_code == 400
        assert backwards.json()["code"] == "invalid_period"
        naive = await http.get(
            "/api/admin/sessions.csv",
            params={"date_from": "2026-01-01T00:00:00", "date_to": "2026-02-01T00:00:00"},
        )
        assert naive.status_code == 400
        missing = await http.get("/api/admin/sessions.csv")
        assert missing.status_code == 400
        assert missing.json()["code"] == "invalid_request"
    staff = await logged_in_staff(site)
    allowed = await staff.get("/api/admin/sessions.csv", params=month_params("2026-01"))
    assert allowed.status_code == 200
    anonymous = await site.browser().get("/api/admin/sessions.csv", params=month_params("2026-01"))
    assert anonymous.status_code == 401


async def test_no_operator_exports_anothers_sessions(site: AccountsPlatform, demo: Context) -> None:
    rival = await rival_operator(demo)
    charged = await charge_through_a_month(site.ctx, next_month(site.clock.now()))
    async with script(site, rival.token) as other:
        exported = await other.get("/api/admin/sessions.csv", params=month_params(charged.month))
    assert exported.status_code == 200
    assert len(list(csv.reader(io.StringIO(exported.text)))) == 1  # the header only
