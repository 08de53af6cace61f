"""Operators define and assign tariffs through the admin API, each seeing only their own."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cpo.context import Context
from cpo.demo import DEMO_API_TOKEN
from cpo.operators.service import create_api_token
from cpo.operators.tables import Operator
from tests.support.platform import RunningPlatform

NIGHT_AND_DAY: dict[str, Any] = {
    "name": "Night and day",
    "kind": "AD_HOC_PAYMENT",
    "definition": {
        "currency": "EUR",
        "vat_rate_bp": 1900,
        "elements": [
            {
                "components": [{"type": "ENERGY", "price_micro": 290000}],
                "restrictions": {"start_time": "22:00", "end_time": "06:00"},
            },
            {
                "components": [
                    {"type": "ENERGY", "price_micro": 490000},
                    {"type": "FLAT", "price_micro": 350000},
                ]
            },
        ],
    },
}


def client(platform: RunningPlatform, token: str | None = DEMO_API_TOKEN) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=platform.base_url, headers=headers)


async def test_create_change_assign_and_price(platform: RunningPlatform) -> None:
    async with client(platform) as http:
        created = await http.post("/api/admin/tariffs", json=NIGHT_AND_DAY)
        assert created.status_code == 201, created.text
        tariff = created.json()
        assert (tariff["version"], tariff["currency"]) == (1, "EUR")
        changed = await http.put(
            f"/api/admin/tariffs/{tariff['id']}", json={**NIGHT_AND_DAY, "name": "Night & day"}
        )
        assert changed.json()["version"] == 2
        assigned = await http.put(
            "/api/admin/tariff-assignments",
            json={"scope": "evse", "target": "de*dem*e0002*1", "tariff_id": tariff["id"]},
        )
        assert assigned.json() == {
            "scope": "evse",
            "target": "DE*DEM*E0002*1",
            "tariff_id": tariff["id"],
        }
        preview = await http.post(
            "/api/admin/tariffs/preview",
            json={
                "definition": NIGHT_AND_DAY["definition"],
                "usage": {
                    "started_at": "2026-11-25T20:00:00+00:00",
                    "ended_at": "2026-11-25T22:00:00+00:00",
                    "points": [{"at": "2026-11-25T22:00:00+00:00", "energy_wh": 22000}],
                },
            },
        )
        # 21:00–23:00 Berlin: 11 kWh × 0.49 + 11 kWh × 0.29 + 0.35 = 8.93 €.
        assert preview.json()["gross_minor"] == 893
        listed = await http.get("/api/admin/tariffs")
        assert "Night & day" in [item["name"] for item in listed.json()]
    async with httpx.AsyncClient(base_url=platform.base_url) as public:
        shown = (await public.get("/api/evses/DE*DEM*E0002*1?lang=en")).json()
    assert [item["price"] for item in shown["price"]["items"]] == [
        "€0.29/kWh",
        "€0.49/kWh",
        "€3.50"[:0] + "€0.35",
    ]
    assert shown["price"]["items"][0]["conditions"] == ["between 22:00 and 06:00"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"definition": {**NIGHT_AND_DAY["definition"], "currency": "XYZ"}}, "invalid_tariff"),
        (
            {
                "definition": {
                    **NIGHT_AND_DAY["definition"],
                    "min_price_micro": 9,
                    "max_price_micro": 1,
                }
            },
            "invalid_tariff",
        ),
        ({"definition": {**NIGHT_AND_DAY["definition"], "elements": []}}, "invalid_request"),
        ({"definition": {**NIGHT_AND_DAY["definition"], "vat_rate_bp": -1}}, "invalid_request"),
        ({"name": " "}, "invalid_tariff"),
    ],
)
async def test_invalid_tariffs_are_refused_with_a_reason(
    platform: RunningPlatform, change: dict[str, Any], code: str
) -> None:
    async with client(platform) as http:
        response = await http.post("/api/admin/tariffs", json={**NIGHT_AND_DAY, **change})
    assert response.status_code in {400, 422}
    assert response.json()["code"] == code


@pytest.mark.parametrize("token", [None, "cpo_not-a-real-token", "Basic abc"])
async def test_without_a_valid_token_nothing_is_shown(
    platform: RunningPlatform, token: str | None
) -> None:
    async with client(platform, token) as http:
        response = await http.get("/api/admin/tariffs")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["code"] == "not_authenticated"


async def test_operators_never_see_each_others_tariffs(
    platform: RunningPlatform, demo: Context
) -> None:
    rows = await Operator.insert(
        Operator(slug="rival", name="Rival", country_code="DE", party_id="RIV")
    ).returning(Operator.id)
    rival_token, _ = await create_api_token(demo, rows[0]["id"], "rival")
    async with client(platform) as http:
        own = (await http.post("/api/admin/tariffs", json=NIGHT_AND_DAY)).json()
    async with client(platform, rival_token) as rival:
        assert (await rival.get("/api/admin/tariffs")).json() == []
        assert (await rival.get(f"/api/admin/tariffs/{own['id']}")).status_code == 404
        assert (
            await rival.put(f"/api/admin/tariffs/{own['id']}", json=NIGHT_AND_DAY)
        ).status_code == 404
        assert (await rival.delete(f"/api/admin/tariffs/{own['id']}")).status_code == 404
        taking_demo_evse = await rival.put(
            "/api/admin/tariff-assignments", json={"scope": "operator", "tariff_id": own["id"]}
        )
        assert taking_demo_evse.status_code == 404
        own_rival = (await rival.post("/api/admin/tariffs", json=NIGHT_AND_DAY)).json()
        on_demo_evse = await rival.put(
            "/api/admin/tariff-assignments",
            json={"scope": "evse", "target": "DE*DEM*E0001*1", "tariff_id": own_rival["id"]},
        )
        assert on_demo_evse.status_code == 404


async def test_an_assigned_tariff_cannot_be_archived(platform: RunningPlatform) -> None:
    async with client(platform) as http:
        listed = (await http.get("/api/admin/tariffs")).json()
        ac = next(item for item in listed if item["name"] == "AC ad hoc")
        refused = await http.delete(f"/api/admin/tariffs/{ac['id']}")
        assert refused.status_code == 409
        created = (await http.post("/api/admin/tariffs", json=NIGHT_AND_DAY)).json()
        assert (await http.delete(f"/api/admin/tariffs/{created['id']}")).status_code == 204
        assert (await http.get(f"/api/admin/tariffs/{created['id']}")).status_code == 404
