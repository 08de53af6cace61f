"""QR stickers through the admin API: the operator's sites and EVSEs with the URL each code
holds, one sticker as SVG or PNG, a site's A4 sheet as PDF — staff may download them, and
no operator reaches another's."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pypdf
import pytest

from cpo.context import Context
from cpo.demo import DEMO_STATIONS
from tests.support.accounts import AccountsPlatform, accounts_platform
from tests.support.admin import logged_in_staff, script
from tests.support.rival import Rival, rival_operator

DEMO_EVSE_IDS = sorted(evse.evse_id for station in DEMO_STATIONS for evse in station.evses)


@pytest.fixture
async def site(demo: Context) -> AsyncIterator[AccountsPlatform]:
    async with accounts_platform(demo) as running:
        yield running


async def test_the_operator_downloads_stickers_and_a_site_sheet(site: AccountsPlatform) -> None:
    base = site.ctx.settings.base_url
    async with script(site) as http:
        overview = (await http.get("/api/admin/stickers")).json()
        [parking] = overview["sites"]
        assert parking["name"] == "Parkhaus Mitte"
        assert [evse["evse_id"] for evse in parking["evses"]] == DEMO_EVSE_IDS
        assert parking["evses"][0]["url"] == f"{base}/c/{DEMO_EVSE_IDS[0]}"
        assert overview["without_site"] == []

        # Any spelling of the EVSE ID finds it; the file says the registered one.
        svg = await http.get("/api/admin/stickers/evses/de%2Adem%2Ae0001%2A1/qr.svg")
        assert svg.status_code == 200
        assert svg.headers["content-type"].startswith("image/svg+xml")
        assert 'filename="qr-DE-DEM-E0001-1.svg"' in svg.headers["content-disposition"]
        assert ">DE*DEM*E0001*1</text>" in svg.text

        png = await http.get("/api/admin/stickers/evses/DE*DEM*E0001*1/qr.png")
        assert png.status_code == 200
        assert png.headers["content-type"] == "image/png"
        assert png.content.startswith(b"\x89PNG\r\n\x1a\n")

        sheet = await http.get(f"/api/admin/stickers/sites/{parking['id']}/sheet.pdf")
        assert sheet.status_code == 200
        assert sheet.headers["content-type"] == "application/pdf"
        assert sheet.content.startswith(b"%PDF")
        text = pypdf.PdfReader(io.BytesIO(sheet.content)).pages[0].extract_text()
        assert all(evse_id in text for evse_id in DEMO_EVSE_IDS)

        missing = await http.get("/api/admin/stickers/evses/DE*DEM*E9999*1/qr.svg")
        assert missing.status_code == 404
        assert missing.json()["code"] == "not_found"


async def test_staff_download_stickers_too(site: AccountsPlatform, demo: Context) -> None:
    staff = await logged_in_staff(site)
    assert (await staff.get("/api/admin/stickers")).status_code == 200
    assert (await staff.get("/api/admin/stickers/evses/DE*DEM*E0001*1/qr.png")).status_code == 200
    assert (await site.browser().get("/api/admin/stickers")).status_code == 401


async def test_no_operator_reaches_anothers_stickers(site: AccountsPlatform, demo: Context) -> None:
    rival: Rival = await rival_operator(demo)
    async with script(site, rival.token) as other:
        overview = (await other.get("/api/admin/stickers")).json()
        assert [evse["evse_id"] for site_ in overview["sites"] for evse in site_["evses"]] == [
            rival.evse_id
        ]
        for path in (
            "/api/admin/stickers/evses/DE*DEM*E0001*1/qr.svg",
            "/api/admin/stickers/evses/DE*DEM*E0001*1/qr.png",
        ):
            response = await other.get(path)
            assert response.status_code == 404, path
        async with script(site) as demo_script:
            demo_site = (await demo_script.get("/api/admin/stickers")).json()["sites"][0]["id"]
            assert (
                await demo_script.get(f"/api/admin/stickers/evses/{rival.evse_id}/qr.svg")
            ).status_code == 404
            assert (
                await demo_script.get(f"/api/admin/stickers/sites/{rival.site_id}/sheet.pdf")
            ).status_code == 404
        assert (
            await other.get(f"/api/admin/stickers/sites/{demo_site}/sheet.pdf")
        ).status_code == 404
