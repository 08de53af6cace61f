"""Monthly reports through the admin API, for a month of charging made through the real
session and CDR code (tests/support/charging_month.py): the figures match what happened,
stored reports never change, the month-end worker writes one report however many nodes
run it, staff read but only admins make reports, and no operator sees another's."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import timedelta

import pypdf
import pytest

from cpo.cdrs.tables import Cdr
from cpo.context import Context
from cpo.demo import DEMO_OPERATOR_ADMIN_EMAIL
from cpo.operators.service import OperatorRef
from cpo.operators.tables import Operator
from cpo.reports import service as reports
from cpo.reports.rules import PaymentKind, month_span, payment_kind
from cpo.reports.tables import MonthlyReportRecord
from cpo.reports.tasks import make_monthly_reports_forever
from tests.support.accounts import AccountsPlatform, accounts_platform
from tests.support.admin import logged_in_staff, script
from tests.support.charging_month import (
    ChargedMonth,
    SettableClock,
    charge_through_a_month,
    next_month,
)
from tests.support.rival import rival_operator

H = 3600


@pytest.fixture
async def site(demo: Context) -> AsyncIterator[AccountsPlatform]:
    async with accounts_platform(demo) as running:
        yield running


async def charged_and_over(site: AccountsPlatform) -> ChargedMonth:
    """Next month charged through, and the platform's clock moved past its end."""
    charged = await charge_through_a_month(site.ctx, next_month(site.clock.now()))
    end = month_span(charged.month, "Europe/Berlin").end
    site.clock.advance(end - site.clock.now() + timedelta(hours=2))
    return charged


async def test_a_month_of_charging_in_the_report(site: AccountsPlatform) -> None:
    charged = await charged_and_over(site)
    month = charged.month
    cdrs = await Cdr.select(Cdr.gross_minor, Cdr.token_type, Cdr.issuer_party_id)
    expected = {kind: 0 for kind in PaymentKind}
    for record in cdrs:
        expected[payment_kind(record["token_type"], record["issuer_party_id"])] += record[
            "gross_minor"
        ]
    assert all(expected.values())  # the demo tariff charges every kind of session

    admin = await site.logged_in(DEMO_OPERATOR_ADMIN_EMAIL)
    made = await admin.post("/api/admin/reports", {"month": month})
    assert made.status_code == 201, made.text
    stored = made.json()
    assert (stored["month"], stored["version"], stored["trigger"]) == (month, 1, "on_demand")
    assert stored["generated_by"] == DEMO_OPERATOR_ADMIN_EMAIL
    report = stored["report"]
    assert report["complete"] is True
    totals = report["totals"]
    assert totals["sessions"] == charged.sessions == charged.days
    assert totals["energy_wh"] == charged.energy_wh
    assert totals["revenue"] == {
        "ad_hoc_minor": expected[PaymentKind.AD_HOC],
        "contract_minor": expected[PaymentKind.CONTRACT],
        "roaming_minor": expected[PaymentKind.ROAMING],
    }
    assert totals["revenue_total_minor"] == sum(expected.values())
    hours = round(month_span(month, "Europe/Berlin").seconds / H)
    # Six EVSEs; only DEMO-AC-1's two were ever connected: each lost 6 h to the night
    # offline, connector 1 another 4 h to its fault.
    stations = {station["identity"]: station["figures"] for station in report["stations"]}
    busy = stations["DEMO-AC-1"]
    assert (busy["observed_s"], busy["available_s"]) == (2 * hours * H, (2 * hours - 16) * H)
    assert (busy["faults"], busy["fault_s"]) == (1, 4 * H)
    assert busy["sessions"] == charged.sessions
    assert stations["DEMO-DC-1"]["availability_percent"] == 0.0
    assert (totals["observed_s"], totals["available_s"]) == (6 * hours * H, (2 * hours - 16) * H)
    assert totals["availability_percent"] == round(100 * (2 * hours - 16) / (6 * hours), 2)
    assert len(report["days"]) == charged.days
    assert report["days"][0]["energy_wh"] == 5_100

    # Made again: a new version; the first stays as it was.
    again = await admin.post("/api/admin/reports", {"month": month})
    assert again.json()["version"] == 2
    latest = (await admin.get(f"/api/admin/reports/{month}")).json()
    assert latest["version"] == 2
    first = (await admin.get(f"/api/admin/reports/{month}", params={"version": 1})).json()
    assert first == stored
    listed = [
        (entry["month"], entry["version"])
        for entry in (await admin.get("/api/admin/reports")).json()
        if entry["month"] == month
    ]
    assert listed == [(month, 2), (month, 1)]

    pdf = await admin.get(f"/api/admin/reports/{month}/report.pdf", params={"lang": "de"})
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    text = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert f"Monatsbericht {month}" in text
    assert "DEMO-AC-1" in text

    audit = (await admin.get("/api/admin/audit", params={"action": "report"})).json()
    assert [entry["target_id"] for entry in audit["entries"]] == [f"{month} v2", f"{month} v1"]


async def test_bad_months_are_refused_with_a_code(site: AccountsPlatform) -> None:
    async with script(site) as http:
        malformed = await http.post("/api/admin/reports", json={"month": "2026-13"})
        assert malformed.status_code == 400
        assert malformed.json()["code"] == "invalid_request"
        future = await http.post("/api/admin/reports", json={"month": "2999-01"})
        assert future.status_code == 422
        assert future.json()["code"] == "month_in_future"
        wrong = await http.get("/api/admin/reports/October")
        assert wrong.status_code == 422
        assert wrong.json()["code"] == "invalid_month"
        missing = await http.get("/api/admin/reports/2001-01")
        assert missing.status_code == 404
        assert (await http.get("/api/admin/reports/2001-01/report.pdf")).status_code == 404


async def test_staff_read_reports_but_only_admins_make_them(
    site: AccountsPlatform,
) -> None:
    month = next_month(site.clock.now())
    site.clock.advance(timedelta(days=40))
    async with script(site) as http:
        assert (await http.post("/api/admin/reports", json={"month": month})).status_code == 201
    staff = await logged_in_staff(site)
    refused = await staff.post("/api/admin/reports", {"month": month})
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden_role"
    assert (await staff.get("/api/admin/reports")).status_code == 200
    assert (await staff.get(f"/api/admin/reports/{month}")).status_code == 200
    assert (await staff.get(f"/api/admin/reports/{month}/report.pdf")).status_code == 200
    assert (await site.browser().get("/api/admin/reports")).status_code == 401


async def test_no_operator_sees_anothers_reports(site: AccountsPlatform, demo: Context) -> None:
    rival = await rival_operator(demo)
    charged = await charged_and_over(site)
    month = charged.month
    async with script(site) as http:
        assert (await http.post("/api/admin/reports", json={"month": month})).status_code == 201
    async with script(site, rival.token) as other:
        assert [
            e for e in (await other.get("/api/admin/reports")).json() if e["month"] == month
        ] == []
        assert (await other.get(f"/api/admin/reports/{month}")).status_code == 404
        assert (await other.get(f"/api/admin/reports/{month}?version=1")).status_code == 404
        assert (await other.get(f"/api/admin/reports/{month}/report.pdf")).status_code == 404
        # Its own report of the month holds only its own station, none of the demo's data.
        own = (await other.post("/api/admin/reports", json={"month": month})).json()
        assert own["version"] == 1
        assert [station["identity"] for station in own["report"]["stations"]] == ["RIVAL-1"]
        assert own["report"]["totals"]["sessions"] == 0
        assert own["report"]["totals"]["revenue_total_minor"] == 0
    async with script(site) as http:
        # The rival's version did not become the demo operator's.
        assert (await http.get(f"/api/admin/reports/{month}")).json()["version"] == 1


async def test_the_month_end_worker_makes_one_report_on_any_number_of_nodes(
    demo: Context,
) -> None:
    clock = SettableClock()
    month = next_month(clock.now())
    ctx = Context(demo.settings, demo.bus, clock)
    clock.at = month_span(month, "Europe/Berlin").end - timedelta(minutes=1)
    assert await reports.generate_due_reports(ctx) == 1  # the month before: not this one
    clock.at = month_span(month, "Europe/Berlin").end + timedelta(minutes=5)
    operator = await Operator.select(Operator.id).where(Operator.slug == "demo").first()
    assert operator is not None
    # Two nodes at the same moment: one writes, the other finds it written.
    results = await asyncio.gather(
        reports.generate_if_missing(ctx, operator["id"], month),
        reports.generate_if_missing(ctx, operator["id"], month),
    )
    assert sorted(results) == [False, True]
    assert await reports.generate_due_reports(ctx) == 0
    rows = await MonthlyReportRecord.select(
        MonthlyReportRecord.version, MonthlyReportRecord.trigger
    ).where(MonthlyReportRecord.month == month)
    assert rows == [{"version": 1, "trigger": "automatic"}]


async def test_the_database_refuses_to_change_a_stored_report(demo: Context) -> None:
    clock = SettableClock()
    month = next_month(clock.now())
    clock.at = month_span(month, "Europe/Berlin").end + timedelta(minutes=5)
    operator = await Operator.select(Operator.id).where(Operator.slug == "demo").first()
    assert operator is not None
    assert await reports.generate_if_missing(
        Context(demo.settings, demo.bus, clock), operator["id"], month
    )
    with pytest.raises(Exception, match="immutable"):
        await MonthlyReportRecord.update({MonthlyReportRecord.generated_by: "someone"}).where(
            MonthlyReportRecord.month == month
        )
    stored = await reports.get_report(operator["id"], month)
    assert stored.generated_by == ""


async def test_the_worker_and_an_admin_at_the_same_moment_both_succeed(demo: Context) -> None:
    clock = SettableClock()
    month = next_month(clock.now())
    clock.at = month_span(month, "Europe/Berlin").end + timedelta(minutes=5)
    ctx = Context(demo.settings, demo.bus, clock)
    operator = await Operator.select(Operator.id).where(Operator.slug == "demo").first()
    assert operator is not None
    admin = OperatorRef(operator_id=operator["id"], slug="demo", actor_name="admin@example.org")
    made, stored = await asyncio.gather(
        reports.generate_if_missing(ctx, operator["id"], month),
        reports.generate_on_demand(ctx, operator["id"], month, by=admin),
    )
    versions = (
        await MonthlyReportRecord.select(MonthlyReportRecord.version, MonthlyReportRecord.trigger)
        .where(MonthlyReportRecord.month == month)
        .order_by(MonthlyReportRecord.version)
    )
    if made:
        assert versions == [
            {"version": 1, "trigger": "automatic"},
            {"version": 2, "trigger": "on_demand"},
        ]
    else:
        assert versions == [{"version": 1, "trigger": "on_demand"}]
    assert stored.version == versions[-1]["version"]


async def test_the_worker_runs_on_its_own(demo: Context) -> None:
    clock = SettableClock()
    month = next_month(clock.now())
    clock.at = month_span(month, "Europe/Berlin").end + timedelta(minutes=5)
    worker = asyncio.create_task(
        make_monthly_reports_forever(
            Context(demo.settings, demo.bus, clock), interval_s=3600, first_after_s=0
        )
    )
    try:
        for _ in range(300):  # 15 s at most
            if await MonthlyReportRecord.exists().where(MonthlyReportRecord.month == month):
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the worker made no report")
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
