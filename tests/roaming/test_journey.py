"""The roaming journey: a partner registers, pushes its driver's card; the driver charges at
our charger; the partner sees the session start, progress and end, and gets the CDR with
the total our own record has. Then the partner reads the same from us."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from cpo.cdrs import service as cdrs
from cpo.demo import DEMO_STATIONS
from cpo.sessions.tables import ChargingSession
from ocpp_bridge.simulator import SimulatedStation, demo_connectors
from tests.roaming.conftest import admin, eventually
from tests.support import ocpi_spec as spec
from tests.support.emsp import FakeEmsp
from tests.support.platform import RunningPlatform

WAIT_S = 15.0
CARD = "04AABBCCDDEE01"


@pytest.fixture
async def charger(platform: RunningPlatform) -> AsyncIterator[SimulatedStation]:
    demo = next(station for station in DEMO_STATIONS if station.identity == "DEMO-AC-1")
    station = SimulatedStation(
        demo.identity,
        demo.password,
        platform.ocpp_url,
        demo_connectors(demo),
        meter_interval_s=0.05,
        speed=600.0,
        response_timeout_s=WAIT_S,
    )
    run = asyncio.create_task(station.run())
    await station.wait_booted(WAIT_S)
    yield station
    run.cancel()
    await asyncio.gather(run, return_exceptions=True)


def session_puts(emsp: FakeEmsp) -> list[dict[str, object]]:
    return [r.body for r in emsp.requests_to("PUT", "/2.2.1/sessions/")]


async def test_a_partners_driver_charges_and_the_partner_gets_the_cdr(
    platform: RunningPlatform, registered: FakeEmsp, charger: SimulatedStation
) -> None:
    emsp = registered
    pushed = await emsp.push_token(CARD, whitelist="NEVER")
    assert pushed.status_code == 200
    emsp.authorize_answers[CARD] = "ALLOWED"
    emsp.authorization_reference = "REF-0001"

    await charger.plug_in(1)
    assert await charger.present_card(1, CARD) == "Accepted"
    connector = charger.connector(1)
    # The partner hears of the session as it starts…
    await emsp.wait_for(lambda: any(s["status"] == "ACTIVE" for s in session_puts(emsp)))
    await charger.wait_for(
        lambda: connector.meter_wh - connector.transaction.meter_start_wh > 2_000,  # type: ignore[union-attr]
        WAIT_S,
    )
    # …and while it charges (kWh and cost so far)…
    await emsp.wait_for(
        lambda: any(s["status"] == "ACTIVE" and s["kwh"] > 0 for s in session_puts(emsp))
    )
    await charger.unplug(1)
    # …and when it ends, then the CDR.
    await emsp.wait_for(lambda: emsp.requests_to("POST", "/2.2.1/cdrs"))
    assert emsp.schema_problems == []

    session = await ChargingSession.select().where(ChargingSession.id_tag == CARD).first()
    assert session is not None
    record = await cdrs.cdr_of_session(session["id"])
    assert record is not None
    assert (record.issuer_country_code, record.issuer_party_id) == ("NL", "EMS")

    puts = session_puts(emsp)
    assert puts[0]["status"] == "ACTIVE"
    assert puts[-1]["status"] == "COMPLETED"
    final = puts[-1]
    assert final["id"] == str(session["id"])
    assert final["kwh"] == record.energy_wh / 1000
    assert final["cdr_token"] == {
        "country_code": "NL",
        "party_id": "EMS",
        "uid": CARD,
        "type": "RFID",
        "contract_id": f"NL-EMS-C{CARD[-8:]}",
    }
    assert final["auth_method"] == "AUTH_REQUEST"
    assert final["authorization_reference"] == "REF-0001"
    # The session's total and the CDR's are our record's, to the cent.
    cents = Decimal(100)
    assert Decimal(str(final["total_cost"]["incl_vat"])) * cents == record.gross_minor

    posted = emsp.requests_to("POST", "/2.2.1/cdrs")
    assert len(posted) == 1
    cdr = posted[0].body
    assert cdr["id"] == record.number
    assert cdr["session_id"] == str(session["id"])
    assert Decimal(str(cdr["total_cost"]["incl_vat"])) * cents == record.gross_minor
    assert Decimal(str(cdr["total_cost"]["excl_vat"])) * cents == record.net_minor
    assert record.gross_minor > 0
    assert cdr["total_energy"] == record.energy_wh / 1000 > 2
    assert cdr["total_energy_cost"]["incl_vat"] == cdr["total_cost"]["incl_vat"]
    assert cdr["cdr_location"]["evse_id"] == "DE*DEM*E0001*1"
    assert cdr["authorization_reference"] == "REF-0001"
    assert cdr["tariffs"][0]["elements"][0]["price_components"][0]["type"] == "ENERGY"
    # The CDR came after the session's last update.
    order = [
        (r.method, r.path) for r in emsp.received if "/sessions/" in r.path or "/cdrs" in r.path
    ]
    assert order[-1] == ("POST", "/emsp/2.2.1/cdrs")
    # Everything we sent carried our routing headers.
    assert posted[0].headers["ocpi-from-party-id"] == "DEM"
    assert posted[0].headers["ocpi-to-party-id"] == "EMS"

    # The partner can read the same from us.
    response = await emsp.request("GET", ("sessions", "SENDER"), "")
    spec.check(spec.envelope(spec.array(spec.SESSION)), response.json())
    assert [s["id"] for s in response.json()["data"]] == [str(session["id"])]
    response = await emsp.request("GET", ("cdrs", "SENDER"), "")
    spec.check(spec.envelope(spec.array(spec.CDR)), response.json())
    assert response.json()["data"][0]["total_cost"] == cdr["total_cost"]
    assert response.headers["x-total-count"] == "1"

    # Nothing is left to send.
    pending = await admin(platform, "GET", "/api/admin/roaming/pushes?status=pending")
    assert pending == []

    # The operator corrects the record: the partner gets a credit CDR that cancels the one it
    # has, then the rebill that replaces it.
    await admin(
        platform,
        "POST",
        f"/api/admin/cdrs/{record.id}/corrections",
        json={"reason": "meter replaced", "energy_wh": 1000},
    )
    corrections = await emsp.wait_for(
        lambda: (posted := emsp.requests_to("POST", "/2.2.1/cdrs")) and len(posted) == 3 and posted
    )
    credit, rebill = corrections[1].body, corrections[2].body
    assert credit["credit"] is True
    assert credit["credit_reference_id"] == record.number
    assert credit["total_cost"]["incl_vat"] == -cdr["total_cost"]["incl_vat"]
    assert rebill.get("credit") is None
    assert rebill["total_energy"] == 1.0
    assert rebill["total_cost"]["incl_vat"] == 0.49
    assert emsp.schema_problems == []


async def test_failed_pushes_are_retried_and_shown_to_the_operator(
    platform: RunningPlatform, registered: FakeEmsp, charger: SimulatedStation
) -> None:
    emsp = registered
    await emsp.push_token(CARD, whitelist="ALWAYS")
    emsp.fail_pushes_with = 503
    await charger.plug_in(1)
    assert await charger.present_card(1, CARD) == "Accepted"
    await charger.wait_for(lambda: charger.connector(1).transaction_id is not None, WAIT_S)
    await emsp.wait_for(lambda: emsp.requests_to("PUT", "/2.2.1/sessions/"))
    # The partner is down: the push waits for its next attempt and says why.
    pending = await admin(platform, "GET", "/api/admin/roaming/pushes?status=pending")
    assert pending
    assert pending[-1]["attempts"] >= 1
    assert "503" in pending[-1]["last_error"] or "HTTP 503" in pending[-1]["last_error"]
    partners = await admin(platform, "GET", "/api/admin/roaming/partners")
    assert partners[0]["pending_pushes"] >= 1
    # Back up: the operator sends it again at once and it arrives.
    emsp.fail_pushes_with = None
    before = len(emsp.requests_to("PUT", "/2.2.1/sessions/"))
    push_id = pending[-1]["id"]
    await admin(platform, "POST", f"/api/admin/roaming/pushes/{push_id}/retry")
    await emsp.wait_for(lambda: len(emsp.requests_to("PUT", "/2.2.1/sessions/")) > before)
    assert emsp.requests_to("PUT", "/2.2.1/sessions/")[-1].body["status"] == "ACTIVE"
    assert emsp.schema_problems == []

    async def sent() -> bool:
        pushes = await admin(platform, "GET", "/api/admin/roaming/pushes?status=sent")
        return any(push["id"] == push_id for push in pushes)

    await eventually(sent)


async def test_a_push_the_partner_keeps_refusing_fails_visibly(
    platform: RunningPlatform, registered: FakeEmsp, charger: SimulatedStation
) -> None:
    emsp = registered
    await emsp.push_token(CARD, whitelist="ALWAYS")
    # A client error (the partner refuses the object): no point in retrying.
    emsp.fail_pushes_with = 400
    await charger.plug_in(1)
    assert await charger.present_card(1, CARD) == "Accepted"
    await emsp.wait_for(lambda: emsp.requests_to("PUT", "/2.2.1/sessions/"))

    async def failed() -> list[dict[str, object]]:
        found = await admin(platform, "GET", "/api/admin/roaming/pushes?status=failed")
        return [push for push in found if push["module"] == "sessions"]

    pushes = await eventually(failed)
    assert pushes[0]["last_http_status"] == 400
    assert pushes[0]["attempts"] == 1
    partners = await admin(platform, "GET", "/api/admin/roaming/partners")
    assert partners[0]["failed_pushes"] >= 1
    assert "push" in partners[0]["last_error"]


async def test_pushes_survive_a_restart_of_the_platform(
    platform: RunningPlatform, registered: FakeEmsp
) -> None:
    emsp = registered
    await emsp.push_token(CARD, whitelist="ALWAYS")
    emsp.fail_pushes_with = 503
    demo = next(station for station in DEMO_STATIONS if station.identity == "DEMO-AC-1")
    station = SimulatedStation(
        demo.identity,
        demo.password,
        platform.ocpp_url,
        demo_connectors(demo),
        meter_interval_s=0.05,
        speed=600.0,
        response_timeout_s=WAIT_S,
    )
    run = asyncio.create_task(station.run())
    try:
        await station.wait_booted(WAIT_S)
        await station.plug_in(1)
        assert await station.present_card(1, CARD) == "Accepted"
        await emsp.wait_for(lambda: emsp.requests_to("PUT", "/2.2.1/sessions/"))
    finally:
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
    # The node goes down with the session push undelivered; the partner comes back.
    restarted = await platform.restart()
    try:
        emsp.fail_pushes_with = None
        before = len(emsp.requests_to("PUT", "/2.2.1/sessions/"))
        # The new node delivers it on its next attempt (5 s after the first).
        await emsp.wait_for(
            lambda: len(emsp.requests_to("PUT", "/2.2.1/sessions/")) > before, timeout_s=20
        )
        assert emsp.requests_to("PUT", "/2.2.1/sessions/")[-1].body["status"] == "ACTIVE"
    finally:
        await restarted.stop()
