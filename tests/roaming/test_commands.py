"""Commands, Receiver interface: the partner starts and stops a session at our charger from
its app, and unlocks a connector; every command is answered at once and its result follows
asynchronously. A started session is the partner's: pushed to it, its CDR to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cpo.cdrs import service as cdrs
from cpo.demo import DEMO_STATIONS
from cpo.sessions.tables import ChargingSession
from cpo.stations.tables import Evse
from ocpp_bridge.simulator import SimulatedStation, demo_connectors
from tests.support import ocpi_spec as spec
from tests.support.emsp import FakeEmsp
from tests.support.platform import RunningPlatform

WAIT_S = 15.0
COMMANDS = ("commands", "RECEIVER")
APP_TOKEN = "APP0000000000042"


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


async def where(emsp: FakeEmsp, evse_id: str) -> tuple[str, str]:
    evse = await Evse.select(Evse.id, Evse.station.site).where(Evse.evse_id == evse_id).first()
    assert evse is not None
    return str(evse["station.site"]), str(evse["id"])


def results(emsp: FakeEmsp, number: int) -> list[Any]:
    return [r.body for r in emsp.requests_to("POST", f"/results/{number}")]


async def send(emsp: FakeEmsp, command: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await emsp.request("POST", COMMANDS, f"/{command}", json_body=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    spec.check(spec.envelope(spec.COMMAND_RESPONSE), answer)
    return answer["data"]


async def test_the_partner_starts_and_stops_a_session_from_its_app(
    platform: RunningPlatform, registered: FakeEmsp, charger: SimulatedStation
) -> None:
    emsp = registered
    location, evse = await where(emsp, "DE*DEM*E0001*1")
    await charger.plug_in(1)
    started = await send(
        emsp,
        "START_SESSION",
        {
            "response_url": f"{emsp.base_url}/results/1",
            "token": emsp.token(APP_TOKEN, type="APP_USER", whitelist="NEVER"),
            "location_id": location,
            "evse_uid": evse,
            "authorization_reference": "APP-START-1",
        },
    )
    assert started["result"] == "ACCEPTED"
    assert started["timeout"] > 0
    # The result follows, once the charger accepted.
    await emsp.wait_for(lambda: results(emsp, 1))
    assert results(emsp, 1) == [{"result": "ACCEPTED"}]
    connector = charger.connector(1)
    await charger.wait_for(lambda: connector.transaction is not None, WAIT_S)
    # The command was the authorization: the partner was not asked again.
    assert not emsp.requests_to("POST", f"/2.2.1/tokens/{APP_TOKEN}/authorize")
    await emsp.wait_for(lambda: emsp.requests_to("PUT", "/2.2.1/sessions/"))
    session_put = emsp.requests_to("PUT", "/2.2.1/sessions/")[0].body
    assert session_put["auth_method"] == "COMMAND"
    assert session_put["authorization_reference"] == "APP-START-1"
    assert session_put["cdr_token"]["type"] == "APP_USER"
    await charger.wait_for(
        lambda: connector.meter_wh - connector.transaction.meter_start_wh > 1_000,  # type: ignore[union-attr]
        WAIT_S,
    )

    stopped = await send(
        emsp,
        "STOP_SESSION",
        {
            "response_url": f"{emsp.base_url}/results/2",
            "session_id": session_put["id"],
        },
    )
    assert stopped["result"] == "ACCEPTED"
    await emsp.wait_for(lambda: results(emsp, 2))
    assert results(emsp, 2) == [{"result": "ACCEPTED"}]
    await emsp.wait_for(lambda: emsp.requests_to("POST", "/2.2.1/cdrs"))
    cdr = emsp.requests_to("POST", "/2.2.1/cdrs")[0].body
    assert cdr["auth_method"] == "COMMAND"
    session = await ChargingSession.select().where(ChargingSession.id_tag == APP_TOKEN).first()
    assert session is not None
    record = await cdrs.cdr_of_session(session["id"])
    assert record is not None
    assert round(cdr["total_cost"]["incl_vat"] * 100) == record.gross_minor
    assert emsp.schema_problems == []

    # Stopping it again: the session has ended.
    again = await send(
        emsp,
        "STOP_SESSION",
        {"response_url": f"{emsp.base_url}/results/3", "session_id": session_put["id"]},
    )
    assert again["result"] == "REJECTED"


async def test_commands_that_cannot_be_carried_out(
    platform: RunningPlatform, registered: FakeEmsp, charger: SimulatedStation
) -> None:
    emsp = registered
    location, evse = await where(emsp, "DE*DEM*E0001*1")
    offline_location, offline_evse = await where(emsp, "DE*DEM*E0002*1")
    token = emsp.token(APP_TOKEN, type="APP_USER")
    url = f"{emsp.base_url}/results/9"

    answer = await send(
        emsp,
        "START_SESSION",
        {
            "response_url": url,
            "token": token,
            "location_id": offline_location,
            "evse_uid": offline_evse,
        },
    )
    assert (answer["result"], answer["message"][0]["text"]) == (
        "REJECTED",
        "the charger is offline",
    )
    answer = await send(emsp, "STOP_SESSION", {"response_url": url, "session_id": "424242"})
    assert answer["result"] == "UNKNOWN_SESSION"
    answer = await send(
        emsp,
        "RESERVE_NOW",
        {
            "response_url": url,
            "token": token,
            "expiry_date": "2030-01-01T00:00:00Z",
            "reservation_id": "R1",
            "location_id": location,
        },
    )
    # Without the EVSE to hold, or already expired: refused at once.
    assert answer["result"] == "REJECTED"
    answer = await send(
        emsp,
        "RESERVE_NOW",
        {
            "response_url": url,
            "token": token,
            "expiry_date": "2020-01-01T00:00:00Z",
            "reservation_id": "R1",
            "location_id": location,
            "evse_uid": evse,
        },
    )
    assert answer["result"] == "REJECTED"

    async def status_of(
        command: str, body: Any = None, content: bytes | None = None
    ) -> tuple[int, int]:
        response = await emsp.request(
            "POST", COMMANDS, f"/{command}", json_body=body, content=content
        )
        spec.check(spec.envelope(), response.json())
        return response.status_code, response.json()["status_code"]

    start = {"response_url": url, "token": token, "location_id": location, "evse_uid": evse}
    assert await status_of("START_SESSION", {**start, "location_id": "999999"}) == (404, 2003)
    assert await status_of("START_SESSION", {**start, "evse_uid": "999999"}) == (404, 2003)
    assert await status_of("START_SESSION", {**start, "token": {"uid": "x"}}) == (400, 2001)
    assert await status_of("START_SESSION", content=b"{]") == (400, 2001)
    assert await status_of("START_SESSION", {**start, "token": {**token, "party_id": "XYZ"}}) == (
        403,
        2000,
    )
    assert await status_of("SELF_DESTRUCT", start) == (404, 2000)
    assert await status_of(
        "UNLOCK_CONNECTOR",
        {"response_url": url, "location_id": location, "evse_uid": evse, "connector_id": "9"},
    ) == (404, 2003)
    assert emsp.schema_problems == []


async def test_unlocking_a_connector(
    platform: RunningPlatform, registered: FakeEmsp, charger: SimulatedStation
) -> None:
    emsp = registered
    location, evse = await where(emsp, "DE*DEM*E0001*1")
    answer = await send(
        emsp,
        "UNLOCK_CONNECTOR",
        {
            "response_url": f"{emsp.base_url}/results/5",
            "location_id": location,
            "evse_uid": evse,
            "connector_id": "1",
        },
    )
    assert answer["result"] == "ACCEPTED"
    await emsp.wait_for(lambda: results(emsp, 5))
    assert results(emsp, 5) == [{"result": "ACCEPTED"}]


async def test_the_partner_reserves_a_charger_and_cancels_the_reservation(
    platform: RunningPlatform, registered: FakeEmsp, charger: SimulatedStation
) -> None:
    emsp = registered
    location, evse = await where(emsp, "DE*DEM*E0001*1")
    token = emsp.token(APP_TOKEN, type="APP_USER")
    expiry = (datetime.now(UTC) + timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%SZ")
    reserve = {
        "response_url": f"{emsp.base_url}/results/20",
        "token": token,
        "expiry_date": expiry,
        "reservation_id": "RES-1",
        "location_id": location,
        "evse_uid": evse,
        "authorization_reference": "RES-REF",
    }
    assert (await send(emsp, "RESERVE_NOW", reserve))["result"] == "ACCEPTED"
    await emsp.wait_for(lambda: results(emsp, 20))
    assert results(emsp, 20) == [{"result": "ACCEPTED"}]
    await charger.wait_for(lambda: charger.connector(1).status == "Reserved", WAIT_S)
    # Partners hear that the EVSE is reserved.
    await emsp.wait_for(
        lambda: any(
            r.body["status"] == "RESERVED"
            for r in emsp.requests_to("PATCH", "/2.2.1/locations/")
            if r.path.endswith(f"/{evse}")
        )
    )

    cancel = {"response_url": f"{emsp.base_url}/results/21", "reservation_id": "RES-1"}
    assert (await send(emsp, "CANCEL_RESERVATION", cancel))["result"] == "ACCEPTED"
    await emsp.wait_for(lambda: results(emsp, 21))
    assert results(emsp, 21) == [{"result": "ACCEPTED"}]
    await charger.wait_for(lambda: charger.connector(1).status == "Available", WAIT_S)

    # Cancelled already (the charger does not know it), and never made.
    again = {"response_url": f"{emsp.base_url}/results/22", "reservation_id": "RES-1"}
    assert (await send(emsp, "CANCEL_RESERVATION", again))["result"] == "ACCEPTED"
    unknown = {"response_url": f"{emsp.base_url}/results/23", "reservation_id": "NOPE"}
    assert (await send(emsp, "CANCEL_RESERVATION", unknown))["result"] == "ACCEPTED"
    await emsp.wait_for(lambda: results(emsp, 22) and results(emsp, 23))
    assert results(emsp, 22)[0]["result"] == "UNKNOWN_RESERVATION"
    assert results(emsp, 23)[0]["result"] == "UNKNOWN_RESERVATION"

    # A reservation for an occupied EVSE.
    await charger.plug_in(1)
    busy = {**reserve, "response_url": f"{emsp.base_url}/results/24", "reservation_id": "RES-2"}
    assert (await send(emsp, "RESERVE_NOW", busy))["result"] == "ACCEPTED"
    await emsp.wait_for(lambda: results(emsp, 24))
    assert results(emsp, 24)[0]["result"] == "EVSE_OCCUPIED"
    assert emsp.schema_problems == []
