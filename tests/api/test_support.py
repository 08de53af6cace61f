"""A driver reports a problem at a charge point without an account (with a photo and an
address for the answer); operator staff see it with the station's open faults, answer (the
answer is mailed), release the stuck cable through the charger, and resolve it. Hostile
input is refused with a reason; operators never see each other's reports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cpo.context import Context
from cpo.demo import DEMO_API_TOKEN, DEMO_OPERATOR_ADMIN_EMAIL
from cpo.operators.service import create_api_token
from cpo.operators.tables import Operator
from cpo.stations.enums import FaultStatus
from cpo.stations.tables import ChargeStation, Fault
from cpo.support import rules
from tests.support.accounts import AccountsPlatform, accounts_platform
from tests.support.shop import simulated_charger

EVSE = "DE*DEM*E0001*1"
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 200
REPORT: dict[str, Any] = {
    "kind": "cable_stuck",
    "description": "The cable does not come out after charging.",
    "contact_email": "driver@example.net",
    "language": "de",
}


@pytest.fixture
async def site(demo: Context) -> AsyncIterator[AccountsPlatform]:
    async with accounts_platform(demo) as running:
        yield running


def driver(site: AccountsPlatform) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=site.platform.base_url)


def script(site: AccountsPlatform, token: str = DEMO_API_TOKEN) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=site.platform.base_url, headers={"Authorization": f"Bearer {token}"}
    )


async def report(http: httpx.AsyncClient, evse: str = EVSE, **changes: Any) -> httpx.Response:
    return await http.post(f"/api/evses/{evse}/problems", json={**REPORT, **changes})


async def test_a_report_travels_from_the_driver_to_staff_and_back(
    site: AccountsPlatform,
) -> None:
    async with driver(site) as phone, simulated_charger(site.platform):
        # After the charger's boot, whose StatusNotifications would close older faults.
        station = (
            await ChargeStation.select(ChargeStation.id)
            .where(ChargeStation.identity == "DEMO-AC-1")
            .first()
        )
        assert station is not None
        await Fault.insert(
            Fault(
                station=station["id"],
                ocpp_connector_id=1,
                error_code="ConnectorLockFailure",
                status=FaultStatus.OPEN,
                opened_at=site.clock.now(),
            )
        )
        reported = await report(phone, "de*dem*e0001*1")
        assert reported.status_code == 201, reported.text
        receipt = reported.json()
        assert receipt["status"] == "open"
        assert "E-Mail" in receipt["message"]  # in German, saying the answer comes by mail
        token = receipt["token"]
        photo = await phone.post(
            f"/api/support/tickets/{token}/photos",
            content=JPEG,
            headers={"Content-Type": "image/jpeg"},
        )
        assert photo.status_code == 204, photo.text

        admin = await site.logged_in(DEMO_OPERATOR_ADMIN_EMAIL)
        listed = (await admin.get("/api/admin/support/tickets?status=open")).json()
        [summary] = listed["tickets"]
        assert (summary["kind"], summary["evse_id"], summary["has_contact"]) == (
            "cable_stuck",
            EVSE,
            True,
        )
        ticket = (await admin.get(f"/api/admin/support/tickets/{summary['id']}")).json()
        assert ticket["description"] == REPORT["description"]
        assert ticket["station_identity"] == "DEMO-AC-1"
        assert [fault["error_code"] for fault in ticket["open_faults"]] == ["ConnectorLockFailure"]
        [photo_id] = ticket["photo_ids"]
        picture = await admin.get(f"/api/admin/support/tickets/{ticket['id']}/photos/{photo_id}")
        assert picture.content == JPEG
        assert picture.headers["content-type"] == "image/jpeg"
        assert picture.headers["x-content-type-options"] == "nosniff"

        unlocked = await admin.post(f"/api/admin/support/tickets/{ticket['id']}/unlock")
        assert unlocked.status_code == 200, unlocked.text
        assert unlocked.json()["status"] == "Unlocked"

        answered = await admin.post(
            f"/api/admin/support/tickets/{ticket['id']}/replies",
            {"body": "Wir haben das Kabel freigegeben."},
        )
        assert answered.status_code == 200, answered.text
        assert answered.json()["status"] == "in_progress"
        mail = await site.mailer.next_mail()
        assert mail.to == "driver@example.net"
        assert "Demo Stadtwerke Laden" in mail.subject
        assert "Wir haben das Kabel freigegeben." in mail.text
        assert f"/t/{token}" in mail.text
        resolved = await admin.send(
            "PATCH", f"/api/admin/support/tickets/{ticket['id']}", {"status": "resolved"}
        )
        assert resolved.json()["resolved_at"] is not None

        seen = (await phone.get(f"/api/support/tickets/{token}")).json()
        assert seen["status"] == "resolved"
        assert seen["photos"] == 1
        assert [reply["author"] for reply in seen["replies"]] == ["system", "staff"]
        assert seen["replies"][0]["body"].endswith("Unlocked")
        assert seen["replies"][1]["mailed"] is True

        log = (await admin.get("/api/admin/audit?action=ticket")).json()["entries"]
        assert [entry["action"] for entry in log] == [
            "ticket.status",
            "ticket.reply",
            "ticket.unlock_connector",
        ]


async def test_without_a_contact_nothing_is_mailed_and_the_page_has_the_answer(
    site: AccountsPlatform,
) -> None:
    async with driver(site) as phone:
        receipt = (await report(phone, contact_email="", contact_phone="+49 30 1234567")).json()
    admin = await site.logged_in(DEMO_OPERATOR_ADMIN_EMAIL)
    [summary] = (await admin.get("/api/admin/support/tickets")).json()["tickets"]
    await admin.post(f"/api/admin/support/tickets/{summary['id']}/replies", {"body": "Done."})
    assert site.mailer.pending() == 0
    async with driver(site) as phone:
        seen = (await phone.get(f"/api/support/tickets/{receipt['token']}")).json()
    assert [(reply["body"], reply["mailed"]) for reply in seen["replies"]] == [("Done.", False)]


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"kind": "angry"}, 400, None),
        ({"description": "x" * (rules.MAX_DESCRIPTION_LENGTH + 1)}, 400, None),
        ({"contact_email": "not-an-address"}, 422, "invalid_email"),
        ({"contact_phone": "call me"}, 422, "invalid_phone"),
    ],
)
async def test_bad_reports_are_refused_with_a_reason(
    site: AccountsPlatform, changes: dict[str, Any], status: int, code: str | None
) -> None:
    async with driver(site) as phone:
        refused = await report(phone, **changes)
    assert refused.status_code == status, refused.text
    if code:
        assert refused.json()["code"] == code
        assert "E-Mail" in refused.json()["title"] or "Telefon" in refused.json()["title"]


async def test_photos_must_be_pictures_few_and_soon(site: AccountsPlatform) -> None:
    async with driver(site) as phone:
        token = (await report(phone)).json()["token"]
        url = f"/api/support/tickets/{token}/photos"
        not_a_picture = await phone.post(url, content=b"<svg onload=alert(1)>")
        assert not_a_picture.json()["code"] == "photo_not_an_image"
        too_large = await phone.post(url, content=PNG + b"\0" * rules.MAX_PHOTO_BYTES)
        assert too_large.status_code == 413
        for _ in range(rules.MAX_PHOTOS):
            assert (await phone.post(url, content=PNG)).status_code == 204
        assert (await phone.post(url, content=PNG)).json()["code"] == "no_more_photos"
        forged = await phone.post(f"/api/support/tickets/{token[:-1]}x/photos", content=PNG)
        assert forged.status_code == 404
        assert (await phone.get("/api/support/tickets/1.abc")).status_code == 404

        later = (await report(phone)).json()["token"]
        site.clock.advance(rules.PHOTO_WINDOW * 2)
        late = await phone.post(f"/api/support/tickets/{later}/photos", content=PNG)
        assert late.json()["code"] == "no_more_photos"


async def test_one_client_cannot_flood_the_operator(site: AccountsPlatform) -> None:
    async with driver(site) as phone:
        for _ in range(rules.REPORTS_PER_CLIENT):
            assert (await report(phone)).status_code == 201
        flooded = await report(phone)
        assert (flooded.status_code, flooded.json()["code"]) == (429, "too_many_requests")
        # An unknown charge point is named as such, also to a client over its limit.
        unknown = await report(phone, "DE*XXX*E9999*1")
        assert (unknown.status_code, unknown.json()["code"]) == (404, "evse_not_found")


async def test_operators_never_see_each_others_reports(
    site: AccountsPlatform, demo: Context
) -> None:
    async with driver(site) as phone:
        token = (await report(phone)).json()["token"]
        assert (await phone.post(f"/api/support/tickets/{token}/photos", content=PNG)).is_success
    async with script(site) as own:
        [summary] = (await own.get("/api/admin/support/tickets")).json()["tickets"]
        ticket = (await own.get(f"/api/admin/support/tickets/{summary['id']}")).json()
    rows = await Operator.insert(
        Operator(slug="rival", name="Rival", country_code="DE", party_id="RIV")
    ).returning(Operator.id)
    rival_token, _ = await create_api_token(demo, rows[0]["id"], "rival")
    base = f"/api/admin/support/tickets/{summary['id']}"
    async with script(site, rival_token) as rival:
        assert (await rival.get("/api/admin/support/tickets")).json()["tickets"] == []
        assert (await rival.get(base)).status_code == 404
        assert (await rival.get(f"{base}/photos/{ticket['photo_ids'][0]}")).status_code == 404
        assert (await rival.patch(base, json={"status": "resolved"})).status_code == 404
        assert (await rival.post(f"{base}/replies", json={"body": "hi"})).status_code == 404
        assert (await rival.post(f"{base}/unlock")).status_code == 404
    async with script(site) as own:
        after = (await own.get(base)).json()
    assert (after["status"], after["messages"]) == ("open", [])
