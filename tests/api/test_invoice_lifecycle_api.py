"""An invoice's life through the admin API: the operator sets Anna's billing address and a
billing webhook, bills last month (two sessions), credits one line with a rebill — a credit
note with its own number, PDF and mail —, exports both documents (CSV of lines, DATEV) with
the right signs, and marks the invoice paid by bank transfer, twice, as a retry would. The
invoice events reach a local receiver signed with the operator's secret; a 500 is retried;
the deliveries are listed. Staff read but change nothing; Anna sees both documents."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from pypdf import PdfReader

from cpo.accounts import service as accounts
from cpo.accounts.enums import Role
from cpo.billing import rules
from cpo.context import Context
from cpo.demo import DEMO_ANNA_EMAIL, DEMO_OPERATOR_ADMIN_EMAIL
from cpo.notifications.rules import signature_matches
from tests.support.accounts import AccountsPlatform, accounts_platform
from tests.support.billing_site import anna_charges_last_month, script
from tests.support.webhook_receiver import ReceivedRequest, WebhookReceiver, webhook_receiver


@pytest.fixture
async def site(demo: Context) -> AsyncIterator[AccountsPlatform]:
    async with accounts_platform(demo) as running:
        yield running


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with webhook_receiver() as running:
        yield running


async def events_until(receiver: WebhookReceiver, count: int) -> list[ReceivedRequest]:
    return [await receiver.next_request() for _ in range(count)]


def event_of(request: ReceivedRequest) -> tuple[str, str, str]:
    body = json.loads(request.body)
    assert body["event"] == request.headers["x-cpo-event"]
    return body["event"], body["invoice"]["number"], body["invoice"]["status"]


async def test_credit_note_payment_exports_and_signed_invoice_events(
    site: AccountsPlatform, receiver: WebhookReceiver
) -> None:
    async with script(site) as http:
        secret = (await http.post("/api/admin/notifications/webhook-secret")).json()[
            "webhook_secret"
        ]
        settings = await http.put(
            "/api/admin/notifications", json={"billing_webhook_url": receiver.url}
        )
        assert settings.json()["billing_webhook_url"] == receiver.url
        anna = next(
            customer
            for customer in (await http.get("/api/admin/customers")).json()
            if customer["name"] == "Anna Schmidt"
        )
        changed = await http.patch(
            f"/api/admin/customers/{anna['id']}",
            json={
                "street": "Lindenallee 3",
                "postal_code": "10115",
                "city": "Berlin",
                "payment_terms_days": 7,
            },
        )
        assert changed.status_code == 200, changed.text
        assert (changed.json()["city"], changed.json()["country_code"]) == ("Berlin", "DE")
        refused = await http.patch(
            f"/api/admin/customers/{anna['id']}",
            json={"payment_terms_days": 91, "country_code": "Deutschland"},
        )
        assert refused.status_code == 400, refused.text

        period = await anna_charges_last_month(site.ctx, 20_000, 8_000)
        ran = await http.post("/api/admin/billing-runs", json={"period": str(period)})
        [number] = ran.json()["new_invoices"]
        assert (await site.mailer.next_mail()).to == DEMO_ANNA_EMAIL
        created = await receiver.next_request()
        assert event_of(created) == ("invoice.created", number, "open")
        assert signature_matches(secret, created.body, created.headers["x-cpo-signature"])
        assert created.headers["x-cpo-delivery"].startswith("invoice-")
        assert json.loads(created.body)["operator"] == "demo"

        [invoice] = (await http.get("/api/admin/invoices", params={"period": str(period)})).json()[
            "invoices"
        ]
        assert invoice["customer_address"] == "Lindenallee 3\n10115 Berlin"
        first, second = invoice["lines"]

        # Credit the second line and bill its energy again next month.
        answer = await http.post(
            f"/api/admin/invoices/{invoice['id']}/credit-notes",
            json={"reason": "Charged twice by mistake", "positions": [2], "rebill": True},
        )
        assert answer.status_code == 201, answer.text
        note = answer.json()
        prefix, _, sequence = number.rpartition("-R-")
        assert note["number"] == f"{prefix}-RK-{int(sequence) + 1:06d}"
        assert (note["kind"], note["status"], note["paid_method"]) == (
            "credit_note",
            "paid",
            "offset",
        )
        assert (note["corrects_number"], note["gross_minor"]) == (number, -second["gross_minor"])
        told = sorted(event_of(request) for request in await events_until(receiver, 2))
        assert told == [
            ("credit_note.created", note["number"], "paid"),
            ("invoice.credited", number, "open"),
        ]
        mail = await site.mailer.next_mail()
        assert note["number"] in mail.subject
        [attachment] = mail.attachments
        text = PdfReader(io.BytesIO(attachment.content)).pages[0].extract_text()
        assert "Rechnungskorrektur" in text
        assert note["number"] in text
        assert number in text  # the corrected invoice …
        assert rules.month_before(site.clock.now()) == period
        assert "Lindenallee 3" in text
        assert "10115 Berlin" in text
        assert "Charged twice by mistake" in text

        twice = await http.post(
            f"/api/admin/invoices/{invoice['id']}/credit-notes",
            json={"reason": "again", "positions": [2]},
        )
        assert (twice.status_code, twice.json()["code"]) == (409, "line_already_credited")

        shown = (await http.get(f"/api/admin/invoices/{invoice['id']}")).json()
        assert shown["credited_minor"] == second["gross_minor"]
        assert shown["balance_minor"] == first["gross_minor"]
        assert [brief["number"] for brief in shown["credit_notes"]] == [note["number"]]
        notes = (await http.get("/api/admin/invoices", params={"kind": "credit_note"})).json()
        assert [document["number"] for document in notes["invoices"]] == [note["number"]]

        lines = list(
            csv.DictReader(io.StringIO((await http.get("/api/admin/invoices/export.csv")).text))
        )
        assert [(row["invoice_number"], row["kind"], row["gross"][0]) for row in lines] == [
            (number, "invoice", str(first["gross_minor"])[0]),
            (number, "invoice", str(second["gross_minor"])[0]),
            (note["number"], "credit_note", "-"),
        ]
        assert lines[2]["corrects"] == number
        datev = await http.get("/api/admin/invoices/datev.csv", params={"period": str(period)})
        rows = list(csv.reader(io.StringIO(datev.content.decode("cp1252")), delimiter=";"))
        bookings = [dict(zip(rows[1], row, strict=True)) for row in rows[2:]]
        assert [(b["Belegfeld 1"], b["Soll/Haben-Kennzeichen"]) for b in bookings] == [
            (number, "S"),
            (note["number"], "H"),
        ]
        euros, cents = divmod(second["gross_minor"], 100)
        assert bookings[1]["Umsatz (ohne Soll/Haben-Kz)"] == f"{euros},{cents:02d}"
        assert bookings[1]["Konto"] == bookings[0]["Konto"]

        # The customer pays the rest by bank transfer; the receiver fails once.
        receiver.statuses = [500]
        paid_at = (site.clock.now() - timedelta(hours=1)).isoformat()
        payment = {"paid_at": paid_at, "reference": "Überweisung 2026-12-04"}
        paid = await http.post(f"/api/admin/invoices/{invoice['id']}/payments", json=payment)
        assert paid.status_code == 200, paid.text
        assert (paid.json()["status"], paid.json()["balance_minor"]) == ("paid", 0)
        again = await http.post(f"/api/admin/invoices/{invoice['id']}/payments", json=payment)
        assert again.json() == paid.json()
        other = await http.post(
            f"/api/admin/invoices/{invoice['id']}/payments",
            json={"paid_at": paid_at, "reference": "another"},
        )
        assert (other.status_code, other.json()["code"]) == (409, "invoice_already_paid")

        failed = await receiver.next_request()
        assert event_of(failed) == ("invoice.paid", number, "paid")
        deliveries_url = "/api/admin/invoices/webhook-deliveries"
        async with asyncio.timeout(15):
            while not any(  # noqa: ASYNC110 (a row, not an event)
                d["attempts"] == 1 and d["state"] == "pending"
                for d in (await http.get(deliveries_url)).json()
            ):
                await asyncio.sleep(0.05)
        site.clock.advance(timedelta(minutes=2))
        retried = await receiver.next_request()
        assert retried.body == failed.body
        assert retried.headers["x-cpo-delivery"] == failed.headers["x-cpo-delivery"]
        assert signature_matches(secret, retried.body, retried.headers["x-cpo-signature"])

        deliveries = (await http.get(deliveries_url)).json()
        assert [(d["event"], d["state"]) for d in deliveries] == [
            ("invoice.paid", "sent"),
            ("invoice.credited", "sent"),
            ("credit_note.created", "sent"),
            ("invoice.created", "sent"),
        ]
        assert deliveries[0]["attempts"] == 2
        log = (await http.get("/api/admin/audit", params={"action": "invoice"})).json()
        assert [entry["action"] for entry in log["entries"]] == [
            "invoice.paid",
            "invoice.credit_note",
        ]

        resent = await http.post(f"/api/admin/invoices/{invoice['id']}/mail")
        assert resent.json() == {"mailed": True}
        assert (await site.mailer.next_mail()).subject.startswith("Ihre Rechnung")

    customer = await site.logged_in(DEMO_ANNA_EMAIL)
    mine = (await customer.get("/api/me/invoices")).json()
    assert [(d["number"], d["kind"], d["status"], d["balance_minor"]) for d in mine] == [
        (note["number"], "credit_note", "paid", 0),
        (number, "invoice", "paid", 0),
    ]
    assert mine[0]["corrects_number"] == number


async def test_staff_read_invoices_but_neither_pay_nor_credit(
    site: AccountsPlatform, demo: Context
) -> None:
    admin = await site.logged_in(DEMO_OPERATOR_ADMIN_EMAIL)
    operator_id = (await admin.get("/api/admin/operator")).json()["id"]
    await accounts.create_user(
        demo, operator_id, accounts.UserInput(email="staff@example.org", role=Role.OPERATOR_STAFF)
    )
    period = await anna_charges_last_month(site.ctx, 20_000, 8_000)
    async with script(site) as http:
        await http.post("/api/admin/billing-runs", json={"period": str(period)})
        [invoice] = (await http.get("/api/admin/invoices")).json()["invoices"]
    assert (await site.mailer.next_mail()).to == DEMO_ANNA_EMAIL  # the invoice
    staff = await site.logged_in("staff@example.org")
    for path, body in (
        ("payments", {"paid_at": site.clock.now().isoformat(), "reference": "x"}),
        ("credit-notes", {"reason": "x"}),
        ("mail", None),
    ):
        refused = await staff.post(f"/api/admin/invoices/{invoice['id']}/{path}", body)
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden_role"), path
    listed = await staff.get("/api/admin/invoices?status=open&kind=invoice")
    assert [found["id"] for found in listed.json()["invoices"]] == [invoice["id"]]
    assert (await staff.get("/api/admin/invoices/webhook-deliveries")).status_code == 200
    future = (site.clock.now() + timedelta(days=2)).isoformat()
    async with script(site) as http:
        ahead = await http.post(
            f"/api/admin/invoices/{invoice['id']}/payments", json={"paid_at": future}
        )
        assert (ahead.status_code, ahead.json()["code"]) == (422, "invalid_paid_at")
        wrong = await http.get("/api/admin/invoices?status=lost")
        assert wrong.status_code == 400
