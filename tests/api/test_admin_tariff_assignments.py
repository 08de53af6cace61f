"""Where tariffs apply, as the admin screens read it, and the price preview: only for the
calling operator, and a definition that makes no sense is refused in words."""

from __future__ import annotations

from typing import Any

import httpx

from cpo.context import Context
from cpo.demo import DEMO_API_TOKEN
from tests.support.platform import RunningPlatform
from tests.support.rival import rival_operator

USAGE = {
    "started_at": "2026-11-02T17:00:00Z",
    "ended_at": "2026-11-02T18:00:00Z",
    "points": [{"at": "2026-11-02T18:00:00Z", "energy_wh": 20000}],
}
SIMPLE: dict[str, Any] = {
    "currency": "EUR",
    "vat_rate_bp": 1900,
    "elements": [{"components": [{"type": "ENERGY", "price_micro": 490000}]}],
}


def client(platform: RunningPlatform, token: str | None = DEMO_API_TOKEN) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=platform.base_url, headers=headers)


async def test_assignments_are_listed_default_first(platform: RunningPlatform) -> None:
    async with client(platform) as http:
        tariffs = {
            tariff["name"]: tariff["id"] for tariff in (await http.get("/api/admin/tariffs")).json()
        }
        site = (await http.get("/api/admin/stickers")).json()["sites"][0]
        assigned = await http.put(
            "/api/admin/tariff-assignments",
            json={"scope": "site", "target": str(site["id"]), "tariff_id": tariffs["DC ad hoc"]},
        )
        assert assigned.status_code == 200, assigned.text
        listed = (await http.get("/api/admin/tariff-assignments")).json()
    assert listed == [
        {
            "scope": "operator",
            "target": None,
            "target_name": "",
            "tariff_id": tariffs["AC ad hoc"],
            "tariff_name": "AC ad hoc",
        },
        {
            "scope": "site",
            "target": str(site["id"]),
            "target_name": "Parkhaus Mitte",
            "tariff_id": tariffs["DC ad hoc"],
            "tariff_name": "DC ad hoc",
        },
        {
            "scope": "evse",
            "target": "DE*DEM*E0004*1",
            "target_name": "DE*DEM*E0004*1",
            "tariff_id": tariffs["DC ad hoc"],
            "tariff_name": "DC ad hoc",
        },
        {
            "scope": "customer_group",
            "target": "employees",
            "target_name": "employees",
            "tariff_id": tariffs["Employees"],
            "tariff_name": "Employees",
        },
    ]


async def test_the_preview_prices_a_made_up_session_for_callers_only(
    platform: RunningPlatform,
) -> None:
    body = {"definition": SIMPLE, "usage": USAGE}
    async with client(platform) as http:
        price = await http.post("/api/admin/tariffs/preview", json=body)
        assert price.status_code == 201, price.text
        assert (price.json()["gross_minor"], price.json()["energy_wh"]) == (980, 20000)
        muddled = {**SIMPLE, "min_price_micro": 5_000_000, "max_price_micro": 1_000_000}
        refused = await http.post(
            "/api/admin/tariffs/preview", json={"definition": muddled, "usage": USAGE}
        )
        assert refused.status_code == 422
        assert refused.json() == {
            "type": "about:blank",
            "title": "the minimum price is above the maximum price",
            "status": 422,
            "code": "invalid_tariff",
        }
        unknown = await http.post(
            "/api/admin/tariffs/preview",
            json={"definition": {**SIMPLE, "currency": "XYZ"}, "usage": USAGE},
        )
        assert unknown.status_code == 422
    async with client(platform, None) as anonymous:
        assert (await anonymous.post("/api/admin/tariffs/preview", json=body)).status_code == 401


async def test_no_operator_sees_or_uses_anothers_assignments(
    platform: RunningPlatform, demo: Context
) -> None:
    rival = await rival_operator(demo)
    async with client(platform) as http:
        demo_tariff = (await http.get("/api/admin/tariffs")).json()[0]["id"]
    async with client(platform, rival.token) as other:
        assert (await other.get("/api/admin/tariff-assignments")).json() == []
        own = (
            await other.post("/api/admin/tariffs", json={"name": "Rival", "definition": SIMPLE})
        ).json()
        for body in (
            {"scope": "operator", "tariff_id": demo_tariff},
            {"scope": "evse", "target": "DE*DEM*E0001*1", "tariff_id": own["id"]},
        ):
            response = await other.put("/api/admin/tariff-assignments", json=body)
            assert response.status_code == 404, body
        site = (await other.get("/api/admin/stickers")).json()["sites"][0]["id"]
        assert site == rival.site_id
    async with client(platform) as http:
        refused = await http.put(
            "/api/admin/tariff-assignments",
            json={"scope": "site", "target": str(rival.site_id), "tariff_id": demo_tariff},
        )
        assert refused.status_code == 404
        names = [
            entry["tariff_name"]
            for entry in (await http.get("/api/admin/tariff-assignments")).json()
        ]
        assert "Rival" not in names
