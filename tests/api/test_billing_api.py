"""Billing through the admin API: an operator admin bills last month by hand; the customer
gets the invoice as PDF by mail; invoices come as JSON, PDF, CSV of lines and a DATEV
booking batch; asking again bills nothing; staff may read but not run."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

import pytest
from pypdf import PdfReader

from cpo.accounts import service as accounts
from cpo.accounts.enums import CustomerKind, Role
from cpo.billing import rules
from cpo.context import Context
from cpo.demo import DEMO_ANNA_EMAIL, DEMO_OPERATOR_ADMIN_EMAIL
from tests.support.accounts import AccountsPlatform, accounts_platform
from tests.support.billing_site import anna_charges_last_month, script


@pytest.fixture
async def site(demo: Context) -> AsyncIterator[AccountsPlatform]:
    async with accounts_platform(demo) as running:
        yield running


async def test_bill_last_month_by_hand_and_export_it(site: AccountsPlatform) -> None:
    period = await anna_charges_last_month(site.ctx)
    async with script(site) as http:
        ran = await http.post("/api/admin/billing-runs", json={"period": str(period)})
        assert ran.status_code == 200, ran.text
        assert (ran.json()["state"], len(ran.json()["new_invoices"])) == ("done", 1)
        [number] = ran.json()["new_invoices"]

        mail = await site.mailer.next_mail()
        assert mail.to == DEMO_ANNA_EMAIL
        assert number in mail.subject
        [attachment] = mail.attachments
        assert attachment.content.startswith(b"%PDF")

        page = (await http.get("/api/admin/invoices", params={"period": str(period)})).json()
        [invoice] = page["invoices"]
        assert page["next_after"] is None
        assert invoice["number"] == number
        assert invoice["mailed"] is True
        [line] = invoice["lines"]
        assert (line["energy_wh"], line["token_label"]) == (20_000, "Anna Schmidt")
        assert invoice["gross_minor"] == line["gross_minor"] > 0

        pdf = await http.get(f"/api/admin/invoices/{invoice['id']}/pdf")
        text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
        assert "Rechnung" in text
        assert number in text
        assert "Anna Schmidt" in text

        lines = list(
            csv.DictReader(io.StringIO((await http.get("/api/admin/invoices/export.csv")).text))
        )
        assert [(row["invoice_number"], row["energy_kwh"]) for row in lines] == [(number, "20.000")]

        datev = await http.get("/api/admin/invoices/datev.csv", params={"period": str(period)})
        assert datev.status_code == 200
        rows = list(csv.reader(io.StringIO(datev.content.decode("cp1252")), delimiter=";"))
        assert rows[0][:5] == ["EXTF", "700", "21", "Buchungsstapel", "13"]
        booking = dict(zip(rows[1], rows[2], strict=True))
        euros, cents = divmod(invoice["gross_minor"], 100)
        assert booking["Umsatz (ohne Soll/Haben-Kz)"] == f"{euros},{cents:02d}"
        assert booking["Soll/Haben-Kennzeichen"] == "S"
        assert booking["Konto"] == str(10000 + invoice["customer_id"])
        assert booking["Gegenkonto (ohne BU-Schlüssel)"] == "8400"
        assert booking["Belegfeld 1"] == number

        again = await http.post("/api/admin/billing-runs", json={"period": str(period)})
        assert again.json()["new_invoices"] == []
        log = (await http.get("/api/admin/audit?action=billing.run")).json()["entries"]
        assert len(log) == 2


async def test_months_that_are_not_over_or_not_months_are_refused(site: AccountsPlatform) -> None:
    this_month = rules.month_before(site.clock.now()).next
    async with script(site) as http:
        early = await http.post("/api/admin/billing-runs", json={"period": str(this_month)})
        assert (early.status_code, early.json()["code"]) == (422, "period_not_over")
        for wrong in ("2026-13", "November", "2026-1"):
            refused = await http.post("/api/admin/billing-runs", json={"period": wrong})
            assert refused.status_code in {400, 422}, refused.text
        assert (await http.get("/api/admin/invoices?period=13-2026")).status_code == 422
        assert (await http.get("/api/admin/invoices/999999")).status_code == 404


async def test_staff_read_invoices_but_do_not_run_billing(
    site: AccountsPlatform, demo: Context
) -> None:
    admin = await site.logged_in(DEMO_OPERATOR_ADMIN_EMAIL)
    operator_id = (await admin.get("/api/admin/operator")).json()["id"]
    await accounts.create_user(
        demo, operator_id, accounts.UserInput(email="staff@example.org", role=Role.OPERATOR_STAFF)
    )
    staff = await site.logged_in("staff@example.org")
    period = rules.month_before(site.clock.now())
    refused = await staff.post("/api/admin/billing-runs", {"period": str(period)})
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden_role")
    assert (await staff.get("/api/admin/invoices")).status_code == 200


async def test_customers_see_their_own_invoices_in_the_app(site: AccountsPlatform) -> None:
    period = await anna_charges_last_month(site.ctx)
    async with script(site) as http:
        number = (await http.post("/api/admin/billing-runs", json={"period": str(period)})).json()[
            "new_invoices"
        ][0]
    assert (await site.mailer.next_mail()).to == DEMO_ANNA_EMAIL  # the invoice itself
    anna = await site.logged_in(DEMO_ANNA_EMAIL)
    [invoice] = (await anna.get("/api/me/invoices")).json()
    assert (invoice["number"], invoice["status"]) == (number, "open")
    pdf = await anna.get(f"/api/me/invoices/{invoice['id']}/pdf")
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["cache-control"] == "private, no-store"

    ben = await site.logged_in("ben@example.org")
    assert (await ben.get("/api/me/invoices")).json() == []
    assert (await ben.get(f"/api/me/invoices/{invoice['id']}/pdf")).status_code == 404

    admin = await site.logged_in(DEMO_OPERATOR_ADMIN_EMAIL)
    operator_id = (await admin.get("/api/admin/operator")).json()["id"]
    company = await accounts.create_customer(
        site.ctx,
        operator_id,
        accounts.CustomerInput(
            kind=CustomerKind.COMPANY, name="Firma", email="rechnung@firma.example"
        ),
    )
    await accounts.create_user(
        site.ctx,
        operator_id,
        accounts.UserInput(email="fahrer@firma.example", role=Role.DRIVER, customer_id=company.id),
    )
    driver = await site.logged_in("fahrer@firma.example")
    refused = await driver.get("/api/me/invoices")
    assert (refused.status_code, refused.json()["code"]) == (403, "invoices_not_visible")
