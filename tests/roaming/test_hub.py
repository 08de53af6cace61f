"""Through a hub: it registers once and forwards for the providers behind it; what we send
names the provider it is for (OCPI-to-* routing headers)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from cpo.demo import DEMO_STATIONS
from ocpp_bridge.simulator import SimulatedStation, demo_connectors
from tests.roaming.conftest import offer
from tests.support.emsp import FakeEmsp, running_emsp
from tests.support.platform import RunningPlatform

WAIT_S = 15.0
CARD = "04BEEF00000001"


@pytest.fixture
async def hub(platform: RunningPlatform) -> AsyncIterator[FakeEmsp]:
    async with running_emsp(country_code="DE", party_id="HUB", role="HUB") as partner:
        offered = await offer(platform)
        await partner.register(offered["versions_url"], offered["token"])
        yield partner


async def test_a_hub_forwards_tokens_and_sessions_of_providers_behind_it(
    platform: RunningPlatform, hub: FakeEmsp
) -> None:
    # A provider behind the hub (NL*ABC) pushes a token through it.
    pushed = await hub.push_token(CARD, country_code="NL", party_id="ABC", whitelist="ALWAYS")
    assert (pushed.status_code, pushed.json()["status_code"]) == (200, 1000)

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
        puts = await hub.wait_for(lambda: hub.requests_to("PUT", "/2.2.1/sessions/"))
    finally:
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
    session = puts[0]
    assert session.body["cdr_token"]["party_id"] == "ABC"
    assert session.headers["ocpi-to-country-code"] == "NL"
    assert session.headers["ocpi-to-party-id"] == "ABC"
    assert session.headers["ocpi-from-party-id"] == "DEM"
    assert hub.schema_problems == []
