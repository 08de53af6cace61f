"""Operator staff use the admin API from the web app (session cookie + CSRF token) as scripts
do with API tokens; operator staff read but only admins change tariffs; every change lands in
the audit log with who, what, when, before and after — viewable, filterable and exportable,
and only by the operator it belongs to."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cpo.accounts import service as accounts
from cpo.accounts.enums import Role
from cpo.context import Context
from cpo.demo import DEMO_ANNA_EMAIL, DEMO_API_TOKEN, DEMO_OPERATOR_ADMIN_EMAIL
from cpo.operators.service import create_api_token
from cpo.operators.tables import Operator
from tests.support.accounts import AccountsPlatform, accounts_platform

TARIFF: dict[str, Any] = {
    "name": "=HYPERLINK(evil)",
    "kind": "AD_HOC_PAYMENT",
    "definition": {
        "currency": "EUR",
        "vat_rate_bp": 1900,
        "elements": [{"components": [{"type": "ENERGY", "price_micro": 390000}]}],
    },
}


@pytest.fixture
async def site(demo: Context) -> AsyncIterator[AccountsPlatform]:
    async with accounts_platform(demo) as running:
        yield running


def token_client(site: AccountsPlatform, token: str = DEMO_API_TOKEN) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=site.platform.base_url, headers={"Authorization": f"Bearer {token}"}
    )


async def demo_operator_id() -> int:
    row = await Operator.select(Operator.id).where(Operator.slug == "demo").first()
    assert row is not None
    return int(row["id"])


async def test_a_logged_in_admin_changes_a_tariff_and_the_log_says_who(
    site: AccountsPlatform,
) -> None:
    admin = await site.logged_in(DEMO_OPERATOR_ADMIN_EMAIL)
    created = await admin.post("/api/admin/tariffs", TARIFF)
    assert created.status_code == 201, created.text
    tariff = created.json()
    changed = await admin.send(
        "PUT", f"/api/admin/tariffs/{tariff['id']}", {**TARIFF, "name": "Summer"}
    )
    assert changed.status_code == 200, changed.text
    async with token_client(site) as script:
        assigned = await script.put(
            "/api/admin/tariff-assignments",
            json={"scope": "evse", "target": "DE*DEM*E0002*1", "tariff_id": tariff["id"]},
        )
        assert assigned.status_code == 200, assigned.text

    page = (await admin.get("/api/admin/audit", params={"action": "tariff"})).json()
    assign, update, create = page["entries"]
    assert (create["action"], create["actor"], create["actor_kind"]) == (
        "tariff.create",
        DEMO_OPERATOR_ADMIN_EMAIL,
        "user",
    )
    assert create["before"] is None
    assert create["after"]["name"] == TARIFF["name"]
    assert update["action"] == "tariff.update"
    assert (update["before"]["version"], update["after"]["version"]) == (1, 2)
    assert (update["before"]["name"], update["after"]["name"]) == (TARIFF["name"], "Summer")
    assert update["target_type"] == "tariff"
    assert update["target_id"] == str(tariff["id"])
    assert assign["actor_kind"] == "api_token"
    assert assign["actor"].startswith("API token ")
    assert assign["before"] is None  # the EVSE had no tariff of its own (the operator's applied)
    assert assign["after"] == {
        "scope": "evse",
        "target": "DE*DEM*E0002*1",
        "tariff_id": tariff["id"],
    }

    only_updates = (await admin.get("/api/admin/audit?action=tariff.update")).json()
    assert [entry["id"] for entry in only_updates["entries"]] == [update["id"]]


async def test_the_log_pages_backwards_and_exports_as_csv(site: AccountsPlatform) -> None:
    async with token_client(site) as script:
        for number in range(5):
            response = await script.post(
                "/api/admin/tariffs", json={**TARIFF, "name": f"{TARIFF['name']} {number}"}
            )
            assert response.status_code == 201
        first = (await script.get("/api/admin/audit", params={"limit": 2})).json()
        assert len(first["entries"]) == 2
        seen = [entry["id"] for entry in first["entries"]]
        before = first["next_before"]
        while before is not None:
            page = (
                await script.get("/api/admin/audit", params={"limit": 2, "before": before})
            ).json()
            seen += [entry["id"] for entry in page["entries"]]
            before = page["next_before"]
        assert len(seen) == 5
        assert seen == sorted(seen, reverse=True)

        exported = await script.get("/api/admin/audit/export.csv")
        assert exported.status_code == 200
        assert exported.headers["content-type"].startswith("text/csv")
        assert "attachment" in exported.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert [int(row["id"]) for row in rows] == sorted(seen)
        assert {row["action"] for row in rows} == {"tariff.create"}
        # Texts from people are defused for spreadsheets; JSON keeps them as they are.
        assert all(row["actor"].startswith("API token") for row in rows)
        assert '"=HYPERLINK(evil) 0"' in rows[0]["after"]

        wrong = await script.get(
            "/api/admin/audit/export.csv",
            params={"date_from": "2026-02-01T00:00:00Z", "date_to": "2026-01-01T00:00:00Z"},
        )
        assert wrong.status_code == 400
        assert wrong.json()["code"] == "invalid_period"


async def test_staff_read_but_only_admins_change_tariffs(
    site: AccountsPlatform, demo: Context
) -> None:
    await accounts.create_user(
        demo,
        await demo_operator_id(),
        accounts.UserInput(email="staff@example.org", role=Role.OPERATOR_STAFF),
    )
    staff = await site.logged_in("staff@example.org")
    listed = await staff.get("/api/admin/tariffs")
    assert listed.status_code == 200
    refused = await staff.post("/api/admin/tariffs", TARIFF)
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden_role"
    assert (await staff.get("/api/admin/audit")).status_code == 200


async def test_cookies_need_the_csrf_token_and_an_operator_role(site: AccountsPlatform) -> None:
    admin = await site.logged_in(DEMO_OPERATOR_ADMIN_EMAIL)
    forged = await admin.post("/api/admin/tariffs", TARIFF, csrf=False)
    assert forged.status_code == 403
    assert forged.json()["code"] == "csrf_failed"

    anna = await site.logged_in(DEMO_ANNA_EMAIL)
    assert (await anna.get("/api/admin/tariffs")).status_code == 403
    assert (await anna.get("/api/admin/audit")).status_code == 403
    assert (await site.browser().get("/api/admin/audit")).status_code == 401


async def test_operators_never_see_each_others_log(site: AccountsPlatform, demo: Context) -> None:
    rows = await Operator.insert(
        Operator(slug="rival", name="Rival", country_code="DE", party_id="RIV")
    ).returning(Operator.id)
    rival_token, _ = await create_api_token(demo, rows[0]["id"], "rival")
    async with token_client(site) as script:
        created = (await script.post("/api/admin/tariffs", json=TARIFF)).json()
    async with token_client(site, rival_token) as rival:
        page = (await rival.get("/api/admin/audit")).json()
        assert page == {"entries": [], "next_before": None}
        targeted = await rival.get(
            "/api/admin/audit", params={"target_type": "tariff", "target_id": created["id"]}
        )
        assert targeted.json()["entries"] == []
        exported = await rival.get("/api/admin/audit/export.csv")
        assert len(list(csv.reader(io.StringIO(exported.text)))) == 1  # the header only
