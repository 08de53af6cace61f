"""Locations and Tariffs, Sender interface: pages with Link, X-Total-Count and X-Limit,
date filters, single objects, unknown ids; and status changes pushed as they happen."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from cpo.context import Context
from cpo.demo import DEMO_STATIONS
from cpo.operators.tables import Operator
from cpo.stations import service as stations
from cpo.stations.schemas import EvseSpec, StationRegistration
from cpo.stations.tables import Evse, Site
from ocpp_bridge.simulator import SimulatedStation, demo_connectors
from tests.support import ocpi_spec as spec
from tests.support.emsp import FakeEmsp
from tests.support.platform import RunningPlatform

LOCATIONS = ("locations", "SENDER")
TARIFFS = ("tariffs", "SENDER")


async def add_site(ctx: Context, number: int) -> int:
    operator = await Operator.select(Operator.id).first()
    assert operator is not None
    rows = await Site.insert(
        Site(
            operator=operator["id"],
            name=f"Hotel {number}",
            street=f"Hafenstraße {number}",
            postal_code="20457",
            city="Hamburg",
            country="DEU",
            latitude=53.54 + number / 1000,
            longitude=9.98,
            time_zone="Europe/Berlin",
            created_at=datetime.now(UTC),
        )
    ).returning(Site.id)
    site_id = int(rows[0]["id"])
    await stations.register_station(
        ctx,
        StationRegistration(
            operator_id=operator["id"],
            identity=f"HOTEL-{number}",
            site_id=site_id,
            evses=(
                EvseSpec(
                    evse_id=f"DE*DEM*E9{number:03d}*1", ocpp_connector_id=1, max_power_w=22_000
                ),
            ),
        ),
    )
    return site_id


async def test_locations_come_in_pages_that_link_to_the_next(
    platform: RunningPlatform, registered: FakeEmsp
) -> None:
    for number in (1, 2):
        await add_site(platform.ctx, number)
    first = await registered.request("GET", LOCATIONS, "", params={"limit": "1"})
    assert first.status_code == 200
    assert first.headers["x-total-count"] == "3"
    assert first.headers["x-limit"] == "1"
    seen: list[dict[str, Any]] = []
    response = first
    pages = 0
    while True:
        body = response.json()
        spec.check(spec.envelope(spec.array(spec.LOCATION)), body)
        seen.extend(body["data"])
        pages += 1
        link = response.headers.get("link")
        if link is None:
            break
        url = link.split(";")[0].strip("<> ")
        assert 'rel="next"' in link
        async with httpx.AsyncClient() as http:
            response = await http.get(url, headers=registered.headers())
    assert pages == 3
    assert [location["name"] for location in seen] == ["Parkhaus Mitte", "Hotel 1", "Hotel 2"]
    parkhaus = seen[0]
    assert parkhaus["country_code"] == "DE"
    assert parkhaus["party_id"] == "DEM"
    # (PostgreSQL keeps the site's coordinates as single precision floats.)
    assert abs(float(parkhaus["coordinates"]["latitude"]) - 52.521918) < 1e-5
    assert abs(float(parkhaus["coordinates"]["longitude"]) - 13.413215) < 1e-5
    evse_ids = {evse["evse_id"] for evse in parkhaus["evses"]}
    assert "DE*DEM*E0001*1" in evse_ids
    evse = next(e for e in parkhaus["evses"] if e["evse_id"] == "DE*DEM*E0001*1")
    # Not connected: its status is not known.
    assert evse["status"] == "UNKNOWN"
    assert evse["connectors"][0]["tariff_ids"]

    # A limit above ours is capped (and says so); a window in the future is empty.
    response = await registered.request("GET", LOCATIONS, "", params={"limit": "1000"})
    assert response.headers["x-limit"] == "100"
    assert len(response.json()["data"]) == 3
    later = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = await registered.request("GET", LOCATIONS, "", params={"date_from": later})
    assert (response.json()["data"], response.headers["x-total-count"]) == ([], "0")
    response = await registered.request("GET", LOCATIONS, "", params={"date_to": later})
    assert response.headers["x-total-count"] == "3"

    # One location, one EVSE, one connector.
    location_id = parkhaus["id"]
    response = await registered.request("GET", LOCATIONS, f"/{location_id}")
    spec.check(spec.envelope(spec.LOCATION), response.json())
    response = await registered.request("GET", LOCATIONS, f"/{location_id}/{evse['uid']}")
    spec.check(spec.envelope(spec.EVSE), response.json())
    response = await registered.request("GET", LOCATIONS, f"/{location_id}/{evse['uid']}/1")
    spec.check(spec.envelope(spec.CONNECTOR), response.json())


async def test_unknown_locations_and_bad_parameters(
    platform: RunningPlatform, registered: FakeEmsp
) -> None:
    async def status_of(suffix: str, **params: str) -> tuple[int, int]:
        response = await registered.request("GET", LOCATIONS, suffix, params=params or None)
        spec.check(spec.envelope(), response.json())
        return response.status_code, response.json()["status_code"]

    assert await status_of("/99999") == (404, 2003)
    assert await status_of("/not-a-location") == (404, 2003)
    assert await status_of("/" + "9" * 40) == (404, 2003)
    location = (await registered.request("GET", LOCATIONS, "")).json()["data"][0]["id"]
    assert await status_of(f"/{location}/123456") == (404, 2003)
    evse = (await registered.request("GET", LOCATIONS, f"/{location}")).json()["data"]["evses"][0]
    assert await status_of(f"/{location}/{evse['uid']}/7") == (404, 2003)
    assert await status_of("", offset="-1") == (400, 2001)
    assert await status_of("", limit="many") == (400, 2001)
    assert await status_of("", date_from="last tuesday") == (400, 2001)
    # Another operator's site is unknown to this partner.
    other = await Operator.insert(
        Operator(slug="other", name="Other", country_code="DE", party_id="OTH")
    ).returning(Operator.id)
    rows = await Site.insert(
        Site(operator=other[0]["id"], name="Elsewhere", latitude=50.0, longitude=8.0)
    ).returning(Site.id)
    assert await status_of(f"/{rows[0]['id']}") == (404, 2003)


async def test_tariffs_are_published_with_prices_excluding_vat(
    platform: RunningPlatform, registered: FakeEmsp
) -> None:
    response = await registered.request("GET", TARIFFS, "")
    body = response.json()
    spec.check(spec.envelope(spec.array(spec.TARIFF)), body)
    by_id = {tariff["id"]: tariff for tariff in body["data"]}
    assert response.headers["x-total-count"] == str(len(by_id)) == "3"
    ac = next(t for t in body["data"] if t["type"] == "AD_HOC_PAYMENT")
    energy = ac["elements"][0]["price_components"][0]
    # 0.49 €/kWh including 19 % VAT.
    assert energy["type"] == "ENERGY"
    assert energy["vat"] == 19.0
    assert round(energy["price"] * 1.19, 4) == 0.49
    assert ac["currency"] == "EUR"
    # The connector of an EVSE names its tariff.
    locations = (await registered.request("GET", LOCATIONS, "")).json()["data"]
    tariff_ids = {
        tariff_id
        for location in locations
        for evse in location["evses"]
        for connector in evse["connectors"]
        for tariff_id in connector.get("tariff_ids", [])
    }
    assert tariff_ids <= set(by_id)
    response = await registered.request("GET", TARIFFS, "", params={"limit": "2"})
    assert 'rel="next"' in response.headers["link"]
    assert len(response.json()["data"]) == 2


async def test_status_changes_are_pushed_to_partners(
    platform: RunningPlatform, registered: FakeEmsp
) -> None:
    demo = next(station for station in DEMO_STATIONS if station.identity == "DEMO-AC-1")
    station = SimulatedStation(
        demo.identity, demo.password, platform.ocpp_url, demo_connectors(demo)
    )
    run = asyncio.create_task(station.run())
    try:
        await station.wait_booted(10)
        await station.plug_in(1)
        evse = await Evse.select(Evse.id).where(Evse.evse_id == "DE*DEM*E0001*1").first()
        assert evse is not None
        suffix = f"/{evse['id']}"

        def patches() -> list[Any]:
            return [
                r.body
                for r in registered.requests_to("PATCH", "/2.2.1/locations/DE/DEM/")
                if r.path.endswith(suffix)
            ]

        await registered.wait_for(lambda: any(p["status"] == "CHARGING" for p in patches()))
        assert registered.schema_problems == []
        for body in patches():
            assert set(body) == {"status", "last_updated"}
            spec.check(spec.DATETIME, body["last_updated"])
    finally:
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
