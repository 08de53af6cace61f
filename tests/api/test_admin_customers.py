"""Operator admins create contract customers, invite their drivers and fleet managers (who
log in from the invitation and charge with their app token) and move them to another
contract tariff group; staff only read; every change is audited."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cpo.accounts import service as accounts
from cpo.accounts.enums import Role
from cpo.context import Context
from cpo.demo import DEMO_OPERATOR_ADMIN_EMAIL
from cpo.tokens.tables import IdToken
from tests.support.accounts import AccountsPlatform, accounts_platform, login_token

COMPANY = {
    "kind": "company",
    "name": "Müller Logistik GmbH",
    "email": "buchhaltung@mueller.example",
    "vat_id": "DE999999999",
    "customer_group": "employees",
}


@pytest.fixture
async def site(demo: Context) -> AsyncIterator[AccountsPlatform]:
    async with accounts_platform(demo) as running:
        yield running


async def test_a_company_its_people_and_its_tariff_group(site: AccountsPlatform) -> None:
    admin = await site.logged_in(DEMO_OPERATOR_ADMIN_EMAIL)
    created = await admin.post("/api/admin/customers", COMPANY)
    assert created.status_code == 201, created.text
    company = created.json()
    base = f"/api/admin/customers/{company['id']}"

    manager = await admin.post(
        f"{base}/users", {"email": "chefin@mueller.example", "role": "fleet_manager"}
    )
    assert manager.status_code == 201, manager.text
    assert (await site.mailer.next_mail()).to == "chefin@mueller.example"
    driver = await admin.post(
        f"{base}/users",
        {
            "email": "fahrer@mueller.example",
            "display_name": "Fritz",
            "role": "driver",
            "language": "en",
        },
    )
    assert driver.status_code == 201, driver.text
    invitation = await site.mailer.next_mail()
    assert invitation.subject.startswith("You are invited to")

    fritz = site.browser()
    me = fritz._logged_in(await fritz.redeem(login_token(invitation)))
    assert (me["user"]["role"], me["customer"]["name"]) == ("driver", COMPANY["name"])

    detail = (await admin.get(base)).json()
    assert sorted(user["email"] for user in detail["users"]) == [
        "chefin@mueller.example",
        "fahrer@mueller.example",
    ]
    assert [card["type"] for card in detail["cards"]] == ["APP_USER"]  # Fritz's app token

    moved = await admin.send("PATCH", base, {"customer_group": "fleet", "vat_id": "DE111111111"})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["customer_group"], moved.json()["vat_id"]) == ("fleet", "DE111111111")
    groups = await IdToken.select(IdToken.customer_group).where(IdToken.customer == company["id"])
    assert {row["customer_group"] for row in groups} == {"fleet"}

    log = (await admin.get("/api/admin/audit?target_type=customer")).json()["entries"]
    assert [entry["action"] for entry in log] == [
        "customer.update",
        "customer.invite",
        "customer.invite",
        "customer.create",
    ]
    assert log[0]["before"]["customer_group"] == "employees"


async def test_wrong_people_and_wrong_callers_are_refused(
    site: AccountsPlatform, demo: Context
) -> None:
    admin = await site.logged_in(DEMO_OPERATOR_ADMIN_EMAIL)
    person = (await admin.post("/api/admin/customers", {"kind": "person", "name": "Petra"})).json()
    base = f"/api/admin/customers/{person['id']}/users"
    manager = await admin.post(base, {"email": "p@example.net", "role": "fleet_manager"})
    assert (manager.status_code, manager.json()["code"]) == (422, "invalid_role")
    staff_role = await admin.post(base, {"email": "p@example.net", "role": "operator_staff"})
    assert (staff_role.status_code, staff_role.json()["code"]) == (422, "invalid_role")
    bad = await admin.post("/api/admin/customers", {"kind": "person", "name": "X", "email": "x"})
    assert bad.json()["code"] == "invalid_email"
    assert site.mailer.pending() == 0

    operator_id = (await admin.get("/api/admin/operator")).json()["id"]
    await accounts.create_user(
        demo, operator_id, accounts.UserInput(email="staff@example.org", role=Role.OPERATOR_STAFF)
    )
    staff = await site.logged_in("staff@example.org")
    assert (await staff.get("/api/admin/customers")).status_code == 200
    assert (await staff.post("/api/admin/customers", COMPANY)).status_code == 403
    assert (await staff.post(base, {"email": "q@example.net"})).status_code == 403
