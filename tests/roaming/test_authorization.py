"""A partner's RFID card at one of our chargers: decided from the pushed token where the
whitelist allows it, by the partner in real time where it must, and offline by the rules."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from cpo.demo import DEMO_STATIONS
from cpo.sessions.tables import ChargingSession
from cpo.stations.tables import ChargeStation
from ocpp_bridge.simulator import SimulatedStation, demo_connectors
from tests.support import ocpi_spec as spec
from tests.support.emsp import FakeEmsp
from tests.support.platform import RunningPlatform

WAIT_S = 10.0
OWN_CARD = "04A2B3C4D5E6F7"  # a demo card of the operator itself


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


def authorize_requests(emsp: FakeEmsp, uid: str) -> int:
    return len(emsp.requests_to("POST", f"/2.2.1/tokens/{uid}/authorize"))


async def test_whitelisted_tokens_are_decided_from_the_pushed_copy(
    registered: FakeEmsp, charger: SimulatedStation
) -> None:
    await registered.push_token("AA00000000000001", whitelist="ALLOWED")
    await registered.push_token("AA00000000000002", whitelist="ALWAYS", valid=False)
    assert await charger.present_card(1, "AA00000000000001") == "Accepted"
    assert await charger.present_card(2, "aa00000000000002") == "Blocked"
    assert authorize_requests(registered, "AA00000000000001") == 0
    assert authorize_requests(registered, "AA00000000000002") == 0
    # The partner invalidates the card: it is refused at once, also where it just worked.
    patched = await registered.request(
        "PATCH",
        ("tokens", "RECEIVER"),
        "/NL/EMS/AA00000000000001",
        json_body={"valid": False, "last_updated": "2026-11-25T12:00:00Z"},
    )
    assert patched.status_code == 200
    assert await charger.present_card(1, "AA00000000000001") == "Blocked"


async def test_never_whitelisted_tokens_are_authorized_by_the_partner(
    registered: FakeEmsp, charger: SimulatedStation
) -> None:
    answers = {
        "BB00000000000001": ("ALLOWED", "Accepted"),
        "BB00000000000002": ("BLOCKED", "Blocked"),
        "BB00000000000003": ("NO_CREDIT", "Blocked"),
        "BB00000000000004": ("EXPIRED", "Expired"),
        "BB00000000000005": ("NOT_ALLOWED", "Invalid"),
        # The partner disowns a token it pushed.
        "BB00000000000006": ("UNKNOWN", "Invalid"),
    }
    for uid, (answer, _) in answers.items():
        await registered.push_token(uid, whitelist="NEVER")
        registered.authorize_answers[uid] = answer
    for uid, (_, expected) in answers.items():
        assert await charger.present_card(2, uid) == expected, uid
        assert authorize_requests(registered, uid) == 1
    request = registered.requests_to("POST", "/2.2.1/tokens/BB00000000000001/authorize")[0]
    assert request.query == "type=RFID"
    spec.check(spec.LOCATION_REFERENCES, request.body)
    site = (
        await ChargeStation.select(ChargeStation.site)
        .where(ChargeStation.identity == "DEMO-AC-1")
        .first()
    )
    assert site is not None
    assert request.body["location_id"] == str(site["site"])
    assert registered.schema_problems == []


async def test_unknown_cards_are_asked_at_the_partners(
    registered: FakeEmsp, charger: SimulatedStation
) -> None:
    registered.authorize_answers["CC00000000000001"] = "ALLOWED"
    assert await charger.present_card(1, "CC00000000000001") == "Accepted"
    assert await charger.present_card(1, "CC00000000000099") == "Invalid"
    assert authorize_requests(registered, "CC00000000000099") == 1
    # The operator's own cards are never sent to partners.
    assert await charger.present_card(2, OWN_CARD) == "Accepted"
    assert authorize_requests(registered, OWN_CARD) == 0


async def test_a_partner_that_does_not_answer_in_time(
    registered: FakeEmsp, charger: SimulatedStation
) -> None:
    await registered.push_token("DD00000000000001", whitelist="NEVER")
    await registered.push_token("DD00000000000002", whitelist="ALLOWED_OFFLINE")
    registered.authorize_answers["DD00000000000001"] = "SLOW"
    registered.authorize_answers["DD00000000000002"] = "SLOW"
    began = time.monotonic()
    # Real-time only: no answer, no charging.
    assert await charger.present_card(1, "DD00000000000001") == "Invalid"
    # Offline use allowed: the charger need not wait for a partner that is down.
    assert await charger.present_card(2, "DD00000000000002") == "Accepted"
    assert time.monotonic() - began < 4.0  # two waits of the 1 s timeout, not the partner's 3 s


async def test_the_session_starts_without_asking_the_partner_again(
    registered: FakeEmsp, charger: SimulatedStation
) -> None:
    uid = "EE00000000000001"
    await registered.push_token(uid, whitelist="NEVER")
    registered.authorize_answers[uid] = "ALLOWED"
    await charger.plug_in(1)
    assert await charger.present_card(1, uid) == "Accepted"
    connector = charger.connector(1)
    await charger.wait_for(lambda: connector.transaction_id is not None, WAIT_S)
    session = (
        await ChargingSession.select(
            ChargingSession.authorization_status, ChargingSession.id_token.issuer_party_id
        )
        .where(ChargingSession.id_tag == uid)
        .first()
    )
    assert session is not None
    assert session["authorization_status"] == "Accepted"
    assert session["id_token.issuer_party_id"] == "EMS"
    assert authorize_requests(registered, uid) == 1
