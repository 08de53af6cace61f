"""The platform admin creates an operator whose first admin is invited by e-mail (a link
that lasts days, not minutes) and finds an empty, separate tenant; operator admins keep
their own brand, which drivers see at once; nobody else may do either."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from cpo.accounts import service as accounts
from cpo.accounts.enums import Role
from cpo.context import Context
from cpo.demo import DEMO_API_TOKEN, DEMO_OPERATOR_ADMIN_EMAIL, DEMO_PLATFORM_ADMIN_EMAIL
from cpo.operators.tables import Operator
from tests.support.accounts import AccountsPlatform, accounts_platform, login_token

NEW_OPERATOR: dict[str, Any] = {
    "slug": "nordlicht",
    "name": "Nordlicht Laden",
    "country_code": "DE",
    "party_id": "NOL",
    "branding": {"brand_primary_color": "#123456", "support_email": "hilfe@nordlicht.example"},
    "admin_email": "Chefin@Nordlicht.example",
    "admin_name": "Nora Nord",
    "admin_language": "en",
}


@pytest.fixture
async def site(demo: Context) -> AsyncIterator[AccountsPlatform]:
    async with accounts_platform(demo) as running:
        yield running


async def test_a_new_operator_and_its_invited_admin(site: AccountsPlatform) -> None:
    platform = await site.logged_in(DEMO_PLATFORM_ADMIN_EMAIL)
    created = await platform.post("/api/platform/operators", NEW_OPERATOR)
    assert created.status_code == 201, created.text
    operator = created.json()
    assert (operator["slug"], operator["brand_primary_color"], operator["stations"]) == (
        "nordlicht",
        "#123456",
        0,
    )
    invitation = await site.mailer.next_mail()
    assert invitation.to == "Chefin@Nordlicht.example"
    assert invitation.subject == "You are invited to Nordlicht Laden"
    assert "within 7 days" in invitation.text

    # Days later the invitation still works, once.
    site.clock.advance(timedelta(days=3))
    nora = site.browser()
    me = nora._logged_in(await nora.redeem(login_token(invitation)))
    assert (me["user"]["role"], me["operator"]["slug"]) == ("operator_admin", "nordlicht")
    assert (await nora.redeem(login_token(invitation))).status_code != 200
    profile = (await nora.get("/api/admin/operator")).json()
    assert profile["name"] == "Nordlicht Laden"
    assert (await nora.get("/api/admin/tariffs")).json() == []
    assert (await nora.get("/api/admin/audit")).json()["entries"] == []

    platform = await site.logged_in(DEMO_PLATFORM_ADMIN_EMAIL)  # staff logins last 8 hours
    listed = (await platform.get("/api/platform/operators")).json()
    assert [entry["slug"] for entry in listed] == ["demo", "nordlicht"]
    log = (await platform.get("/api/admin/audit?action=operator.create")).json()["entries"]
    assert log[0]["after"]["admin"] == "Chefin@Nordlicht.example"


async def test_only_platform_admins_manage_operators(site: AccountsPlatform) -> None:
    admin = await site.logged_in(DEMO_OPERATOR_ADMIN_EMAIL)
    assert (await admin.get("/api/platform/operators")).status_code == 403
    refused = await admin.post("/api/platform/operators", NEW_OPERATOR)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden_role")
    async with httpx.AsyncClient(
        base_url=site.platform.base_url, headers={"Authorization": f"Bearer {DEMO_API_TOKEN}"}
    ) as script:
        assert (await script.post("/api/platform/operators", json=NEW_OPERATOR)).status_code == 403
    assert not await Operator.exists().where(Operator.slug == "nordlicht")
    assert site.mailer.pending() == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"slug": "Nord Licht"}, "invalid_slug"),
        ({"slug": "demo"}, "slug_taken"),
        ({"country_code": "Germany"}, None),
        ({"party_id": "N!"}, "invalid_party"),
        ({"admin_email": "nobody"}, "invalid_email"),
        ({"branding": {"brand_primary_color": "red"}}, "invalid_color"),
        ({"branding": {"logo_url": "http://insecure.example/logo.png"}}, "invalid_logo_url"),
    ],
)
async def test_bad_operators_are_refused(
    site: AccountsPlatform, change: dict[str, Any], code: str | None
) -> None:
    platform = await site.logged_in(DEMO_PLATFORM_ADMIN_EMAIL)
    refused = await platform.post("/api/platform/operators", {**NEW_OPERATOR, **change})
    assert 400 <= refused.status_code < 500, refused.text
    if code:
        assert refused.json()["code"] == code
    assert await Operator.count() == 1
    assert site.mailer.pending() == 0


async def test_the_brand_changes_for_drivers_and_is_audited(
    site: AccountsPlatform, demo: Context
) -> None:
    admin = await site.logged_in(DEMO_OPERATOR_ADMIN_EMAIL)
    changed = await admin.send(
        "PATCH",
        "/api/admin/operator",
        {"name": "Stadtwerke Laden", "brand_primary_color": "#aa0000", "logo_url": ""},
    )
    assert changed.status_code == 200, changed.text
    async with httpx.AsyncClient(base_url=site.platform.base_url) as driver:
        evse = (await driver.get("/api/evses/DE*DEM*E0001*1")).json()
    assert (evse["operator"]["name"], evse["operator"]["primary_color"]) == (
        "Stadtwerke Laden",
        "#aa0000",
    )
    [entry] = (await admin.get("/api/admin/audit?action=operator.branding")).json()["entries"]
    assert (entry["before"]["name"], entry["after"]["name"]) == (
        "Demo Stadtwerke Laden",
        "Stadtwerke Laden",
    )

    demo_id = (await admin.get("/api/admin/operator")).json()["id"]
    await accounts.create_user(
        demo, demo_id, accounts.UserInput(email="staff@example.org", role=Role.OPERATOR_STAFF)
    )
    staff = await site.logged_in("staff@example.org")
    assert (await staff.get("/api/admin/operator")).status_code == 200
    refused = await staff.send("PATCH", "/api/admin/operator", {"name": "Mine"})
    assert refused.status_code == 403
    bad = await admin.send("PATCH", "/api/admin/operator", {"logo_url": "javascript:alert(1)"})
    assert bad.json()["code"] == "invalid_logo_url"
