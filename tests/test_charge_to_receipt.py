"""A simulated charger, an RFID card, and what an operator and a driver see at the end:
the priced record and the receipt (issue 3's acceptance)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from decimal import ROUND_HALF_UP, Decimal

import httpx
import pytest
from pypdf import PdfReader

from cpo.cdrs import service as cdrs
from cpo.demo import DEMO_STATIONS
from cpo.sessions.tables import ChargingSession
from ocpp_bridge.simulator import SimulatedStation, demo_connectors
from tests.support.platform import RunningPlatform

ANNA = "04A2B3C4D5E6F7"
WAIT_S = 10.0


@pytest.fixture
async def charger(platform: RunningPlatform) -> AsyncIterator[SimulatedStation]:
    demo = next(station for station in DEMO_STATIONS if station.identity == "DEMO-AC-1")
    station = SimulatedStation(
        demo.identity,
        demo.password,
        platform.ocpp_url,
        demo_connectors(demo),
        meter_interval_s=0.05,
        speed=600.0,  # ten simulated minutes per second
        response_timeout_s=WAIT_S,
    )
    run = asyncio.create_task(station.run())
    await station.wait_booted(WAIT_S)
    yield station
    run.cancel()
    await asyncio.gather(run, return_exceptions=True)


async def test_an_rfid_session_ends_with_a_correct_record_and_receipt(
    platform: RunningPlatform, charger: SimulatedStation
) -> None:
    await charger.plug_in(1)
    assert await charger.present_card(1, ANNA) == "Accepted"
    connector = charger.connector(1)
    await charger.wait_for(
        lambda: connector.meter_wh - connector.transaction.meter_start_wh > 2_000, WAIT_S
    )  # type: ignore[union-attr]
    await charger.unplug(1)
    await charger.wait_for(lambda: charger.queued() == 0, WAIT_S)

    session = await ChargingSession.select().where(ChargingSession.id_tag == ANNA).first()
    assert session is not None
    assert session["state"] == "completed"
    cdr = await cdrs.cdr_of_session(session["id"])
    assert cdr is not None
    # The demo's AC tariff: 0.49 €/kWh; a short session pays no blocking fee.
    expected = (Decimal(session["energy_wh"]) * Decimal("0.049")).quantize(
        Decimal(1), ROUND_HALF_UP
    )
    assert cdr.energy_wh == session["energy_wh"] > 2_000
    assert cdr.gross_minor == int(expected)
    assert cdr.net_minor + cdr.vat_minor == cdr.gross_minor
    assert cdr.evse_id == "DE*DEM*E0001*1"

    total = f"{cdr.gross_minor // 100},{cdr.gross_minor % 100:02d}\xa0€"
    async with httpx.AsyncClient(base_url=platform.base_url) as http:
        page = await http.get(f"/r/{cdr.receipt_token}?lang=de", headers={"Accept": "text/html"})
        pdf = await http.get(f"/r/{cdr.receipt_token}.pdf?lang=de")
    assert page.status_code == 200
    assert total in page.text
    assert "DE*DEM*E0001*1" in page.text
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(page_.extract_text() for page_ in PdfReader(io.BytesIO(pdf.content)).pages)
    assert cdr.number in text
    assert total.replace("\xa0", " ") in text.replace("\xa0", " ")
