"""The charge point page's data: found by any spelling of its EVSE ID, priced in full."""

from __future__ import annotations

import httpx
import pytest

from tests.support.ocpp_client import connect
from tests.support.platform import RunningPlatform


async def get(platform: RunningPlatform, path: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=platform.base_url, headers=headers) as http:
        return await http.get(path)


@pytest.mark.parametrize(
    "spelling", ["DE*DEM*E0001*1", "de*dem*e0001*1", "DEDEME00011", "DE%2ADEM%2AE0001%2A1"]
)
async def test_found_by_every_spelling_of_its_evse_id(
    platform: RunningPlatform, spelling: str
) -> None:
    response = await get(platform, f"/api/evses/{spelling}")
    assert response.status_code == 200
    assert response.json()["evse_id"] == "DE*DEM*E0001*1"


async def test_the_complete_price_in_german_with_the_hold(platform: RunningPlatform) -> None:
    body = (
        await get(platform, "/api/evses/DE*DEM*E0001*1", **{"Accept-Language": "de-DE,de;q=0.9"})
    ).json()
    price = body["price"]
    assert [(item["label"], item["price"]) for item in price["items"]] == [
        ("Energie", "0,49\xa0€/kWh"),
        ("Blockiergebühr", "0,10\xa0€/min"),
    ]
    assert price["items"][1]["notes"] == ["ab Minute 241", "höchstens 12,00\xa0€"]
    assert price["vat_note"] == "Alle Preise inkl. 19\xa0% MwSt."
    # 11 kW for 12 hours would cost far more than the default 50 €: the hold is 50 €.
    assert body["hold"]["amount_minor"] == 5000
    assert body["hold"]["amount"] == "50,00\xa0€"
    assert "50,00\xa0€" in body["hold"]["explanation"]
    assert body["operator"]["name"] == "Demo Stadtwerke Laden"
    assert body["place"]["address"] == "Alexanderplatz 1, 10178 Berlin"
    assert body["connector"] == {
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "max_power_w": 11_000,
        "current_type": "AC",
    }


async def test_language_choice_beats_the_browser(platform: RunningPlatform) -> None:
    body = (
        await get(platform, "/api/evses/DE*DEM*E0004*1?lang=en", **{"Accept-Language": "de"})
    ).json()
    assert body["price"]["items"][0] == {
        "type": "ENERGY",
        "label": "Energy",
        "price": "€0.69/kWh",
        "price_micro": 690_000,
        "conditions": [],
        "notes": [],
    }
    assert body["price"]["items"][1]["notes"] == ["free for the first 45\xa0min", "at most €12.00"]


async def test_availability_follows_the_charger(platform: RunningPlatform) -> None:
    offline = (await get(platform, "/api/evses/DE*DEM*E0001*1?lang=en")).json()
    assert offline["availability"] == "offline"
    assert "not connected" in offline["availability_message"]
    async with connect(platform.ocpp_url, "DEMO-AC-1", "demo-password-demo-ac-1") as charger:
        await charger.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
        await charger.call(
            "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
        )
        assert (await get(platform, "/api/evses/DE*DEM*E0001*1")).json()[
            "availability"
        ] == "available"
        await charger.call(
            "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Charging"}
        )
        occupied = (await get(platform, "/api/evses/DE*DEM*E0001*1?lang=de")).json()
        assert occupied["availability"] == "occupied"
        assert "anderen Ladepunkt" in occupied["availability_message"]


async def test_an_estimate_for_some_energy(platform: RunningPlatform) -> None:
    body = (await get(platform, "/api/evses/DE*DEM*E0001*1/estimate?energy_kwh=20&lang=de")).json()
    # 20 kWh × 0.49 € = 9.80 €; at 11 kW it takes under 4 h, so no blocking fee.
    assert body == {
        "energy_wh": 20_000,
        "amount_minor": 980,
        "currency": "EUR",
        "text": "Etwa 9,80\xa0€ für 20,000\xa0kWh",
    }


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/evses/DE*XXX*E9999*1", 404),
        ("/api/evses/" + "X" * 60, 404),
        ("/api/evses/DE*DEM*E0001*1/estimate?energy_kwh=-1", 400),
        ("/api/evses/DE*DEM*E0001*1/estimate?energy_kwh=many", 400),
        ("/api/evses/DE*DEM*E0001*1/estimate?energy_kwh=100000", 400),
    ],
)
async def test_bad_requests_are_clear_problems(
    platform: RunningPlatform, path: str, status: int
) -> None:
    response = await get(platform, path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"]
