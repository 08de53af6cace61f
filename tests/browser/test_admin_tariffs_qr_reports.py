"""Operator admins in Chromium: tariffs edited with a live price preview, QR stickers
downloaded (a site's sheet as PDF), and the monthly report of a month of charging."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pypdf
import pytest
from playwright.async_api import Browser, Page, expect

from cpo.context import Context
from cpo.demo import DEMO_OPERATOR_ADMIN_EMAIL, DEMO_STATIONS
from cpo.reports.rules import month_span
from mail import SmtpMailer
from tests.browser.support import Phone, log_in_by_mail, open_phone
from tests.support.accounts import MovableClock
from tests.support.charging_month import charge_through_a_month, next_month
from tests.support.platform import RunningPlatform, start_platform
from tests.support.shop import Inbox

DEMO_EVSE_IDS = sorted(evse.evse_id for station in DEMO_STATIONS for evse in station.evses)


@dataclass
class Office:
    """The platform as the operator's staff reach it: login mails to the inbox, a clock
    the test can move on."""

    platform: RunningPlatform
    clock: MovableClock

    @property
    def base_url(self) -> str:
        return self.platform.ctx.settings.base_url


@pytest.fixture
async def office(demo: Context, inbox: Inbox) -> AsyncIterator[Office]:
    clock = MovableClock()
    mailer = SmtpMailer(f"smtp://127.0.0.1:{inbox.port}", "Demo <noreply@cpo.test>")
    first = await start_platform(Context(demo.settings, demo.bus, clock, mailer=mailer))
    port = first.port
    await first.stop()
    # At localhost, like the other browser tests (a secure context for the login).
    settings = demo.settings.replace(public_url=f"http://localhost:{port}")
    platform = await start_platform(Context(settings, demo.bus, clock, mailer=mailer), port=port)
    try:
        yield Office(platform, clock)
    finally:
        await platform.stop()


@contextlib.asynccontextmanager
async def staff_phone(browser: Browser, office: Office) -> AsyncIterator[Phone]:
    phone = await open_phone(browser, office.base_url, "en")
    try:
        yield phone
    finally:
        await phone.context.close()


async def admin_at(phone: Phone, inbox: Inbox, path: str) -> Page:
    page = phone.page
    await page.goto(path)
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await log_in_by_mail(phone, inbox, DEMO_OPERATOR_ADMIN_EMAIL, "Send me a login link")
    await expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    return page


async def test_the_operator_downloads_the_qr_sheet_of_a_site(
    browser: Browser, office: Office, inbox: Inbox
) -> None:
    async with staff_phone(browser, office) as phone:
        page = await admin_at(phone, inbox, "/admin/qr")
        await expect(page.get_by_role("heading", level=1)).to_have_text("QR codes")
        await expect(page.get_by_role("heading", level=2)).to_have_text("Parkhaus Mitte, Berlin")
        first = page.get_by_role("listitem").filter(has_text="DE*DEM*E0001*1")
        await expect(first).to_contain_text(f"{office.base_url}/c/DE*DEM*E0001*1")
        await expect(first.get_by_role("img")).to_have_js_property("complete", True)
        await phone.look("admin-qr")

        async with page.expect_download() as waiting:
            await page.get_by_role("link", name="Print sheet of Parkhaus Mitte (PDF)").click()
        download = await waiting.value
        assert download.suggested_filename.endswith(".pdf")
        path = await download.path()
        pdf = path.read_bytes()
        assert pdf.startswith(b"%PDF")
        text = "".join(page_.extract_text() for page_ in pypdf.PdfReader(io.BytesIO(pdf)).pages)
        for evse_id in DEMO_EVSE_IDS:
            assert evse_id in text

        async with page.expect_download() as waiting:
            await first.get_by_role("link", name="DE*DEM*E0001*1 as SVG").click()
        svg = (await (await waiting.value).path()).read_text()
        assert ">DE*DEM*E0001*1</text>" in svg

        # In German: admin mode's texts come with it (they are not part of the drivers' load).
        await page.get_by_label("Language").select_option("de")
        await expect(page.get_by_role("heading", level=1)).to_have_text("QR-Codes")
        await expect(page.get_by_role("main")).to_contain_text("Jeder Aufkleber enthält")
        await expect(
            page.get_by_role("link", name="Druckbogen für Parkhaus Mitte (PDF)")
        ).to_be_visible()
        await phone.look("admin-qr")


async def test_the_monthly_report_of_a_month_of_charging(
    browser: Browser, office: Office, inbox: Inbox
) -> None:
    charged = await charge_through_a_month(office.platform.ctx, next_month(office.clock.now()))
    end = month_span(charged.month, "Europe/Berlin").end
    office.clock.advance(end - office.clock.now() + timedelta(hours=1))
    async with staff_phone(browser, office) as phone:
        page = await admin_at(phone, inbox, "/admin/reports")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
        await phone.look("admin-reports")
        await page.get_by_label("Month", exact=True).fill(charged.month)
        await page.get_by_role("button", name="Make report now").click()
        await expect(page).to_have_url(re.compile(rf"/admin/reports/{charged.month}\?version=1$"))
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Report for")
        figures = page.locator(".figures")
        await expect(figures).to_contain_text(f"Sessions{charged.sessions}")
        energy = f"{charged.energy_wh / 1000:,.1f}\u00a0kWh"
        await expect(figures).to_contain_text(energy)
        # Every chart is an image with a title and a summary, and its numbers are a table.
        charts = page.get_by_role("img")
        await expect(charts).to_have_count(3)
        await expect(page.get_by_role("img", name="Availability per station")).to_be_visible()
        stations = page.get_by_role("table", name="Stations")
        busy = stations.get_by_role("row").filter(has_text="DEMO-AC-1")
        await expect(busy).to_contain_text(str(charged.sessions))
        revenue = page.get_by_role("table", name="Revenue by payment kind")
        for kind in ("Ad hoc", "Contract", "Roaming"):
            await expect(revenue.get_by_role("row", name=re.compile(kind))).to_be_visible()
        await phone.look("admin-report")

        async with page.expect_download() as waiting:
            await page.get_by_role("link", name="Download as PDF").click()
        pdf = (await (await waiting.value).path()).read_bytes()
        assert pdf.startswith(b"%PDF")
        text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
        assert f"Monthly report {charged.month}" in text

        await page.get_by_role("link", name="All reports").click()
        row = page.get_by_role("row").filter(has_text=DEMO_OPERATOR_ADMIN_EMAIL)
        await expect(row).to_contain_text("whole month")
        await page.get_by_label("Month to export").fill(charged.month)
        async with page.expect_download() as waiting:
            await page.get_by_role("link", name="Charging sessions (CSV)").click()
        exported = (await (await waiting.value).path()).read_text()
        assert len(exported.strip().splitlines()) == charged.sessions + 1


async def test_the_operator_edits_a_tariff_with_a_live_preview_and_assigns_it(
    browser: Browser, office: Office, inbox: Inbox
) -> None:
    async with staff_phone(browser, office) as phone:
        page = await admin_at(phone, inbox, "/admin/tariffs")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Tariffs")
        await phone.look("admin-tariffs")
        await page.get_by_role("link", name="New tariff").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("New tariff")

        preview = page.locator("#tariff-preview")
        await page.get_by_label("Name", exact=True).fill("Night owl")
        await page.get_by_label("Energy price", exact=True).fill("0.49")
        await page.get_by_label("Session fee", exact=True).fill("1")
        await expect(preview).to_contain_text("20 kWh in 1 hour cost €10.80.")

        # A typing error: marked at the field, in words, and nothing is saved.
        energy = page.get_by_label("Energy price", exact=True)
        await energy.fill("0,3x9")
        await expect(preview).to_contain_text("Correct the marked fields to see the price.")
        await page.get_by_role("button", name="Save tariff").click()
        await expect(page.get_by_role("alert")).to_contain_text("Please correct the marked fields.")
        await expect(energy).to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#e0-energy-error")).to_have_text(
            "Enter an amount like 0.39 (up to six decimals)."
        )
        await expect(energy).to_be_focused()
        await energy.fill("0,39")  # a decimal comma works too
        await expect(preview).to_contain_text("20 kWh in 1 hour cost €8.80.")
        await page.get_by_label("Blocking fee", exact=True).fill("0.10")
        await page.get_by_label("Free minutes before the blocking fee").fill("30")
        await page.get_by_label("Blocking fee at most").fill("12")
        await phone.look("admin-tariff-form")
        await page.get_by_role("button", name="Save tariff").click()

        await expect(page).to_have_url(re.compile(r"/admin/tariffs$"))
        await page.get_by_role("link", name="Edit Night owl").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Tariff “Night owl”")
        await expect(page.get_by_label("Energy price", exact=True)).to_have_value("0.39")
        await expect(page.get_by_label("Free minutes before the blocking fee")).to_have_value("30")
        await page.get_by_role("button", name="Add a price rule").click()
        second = page.get_by_role("group", name="Price rule 2")
        await expect(second).to_be_visible()
        await page.get_by_role("button", name="Remove price rule 2").click()
        await expect(second).to_have_count(0)
        await page.get_by_label("Energy price", exact=True).fill("0.29")
        await expect(preview).to_contain_text("20 kWh in 1 hour cost €6.80.")
        await page.get_by_role("button", name="Save tariff").click()
        await expect(page).to_have_url(re.compile(r"/admin/tariffs$"))
        row = page.get_by_role("row").filter(has_text="Night owl")
        await expect(row).to_contain_text("€0.29")
        await expect(row.get_by_role("cell").nth(2)).to_have_text("2")  # the second version

        await page.get_by_label("Tariff", exact=True).select_option(label="Night owl")
        await page.get_by_label("Applies to").select_option(label="Charge point (EVSE)")
        await page.get_by_label("Charge point (EVSE)").select_option("DE*DEM*E0001*1")
        await page.get_by_role("button", name="Assign", exact=True).click()
        await expect(page.locator("#assign-status")).to_have_text("Assigned.")
        assigned = page.locator("#assignments").get_by_role("row").filter(has_text="DE*DEM*E0001*1")
        await expect(assigned).to_contain_text("Night owl")
        await phone.look("admin-tariffs-assigned")
        # What a driver sees at that charge point now.
        card = await page.request.get("/api/evses/DE*DEM*E0001*1?lang=en")
        assert "0.29" in await card.text()
