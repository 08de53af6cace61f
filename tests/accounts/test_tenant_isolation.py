"""Two operators on one platform: a user of one never sees or touches anything of the other —
charge points, prices, sessions, customers — even with the same e-mail address and the same
card number at both."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from cpo import database
from cpo.accounts import service as accounts
from cpo.accounts.enums import CustomerKind, Role
from cpo.context import Context
from cpo.demo import AC_AD_HOC, DEMO_FLEET_MANAGER_EMAIL
from cpo.operators.tables import Operator
from cpo.sessions.enums import SessionState
from cpo.sessions.tables import ChargingSession
from cpo.stations import service as stations
from cpo.stations.schemas import EvseSpec, StationRegistration
from cpo.stations.tables import ChargeStation
from cpo.tariffs import service as tariffs
from cpo.tariffs.enums import AssignmentScope
from cpo.tokens import service as tokens
from cpo.tokens.schemas import TokenSpec
from cpo.tokens.tables import IdToken
from tests.support.accounts import AccountsPlatform, login_token
from tests.support.webauthn import SoftwareAuthenticator, b64url

ANNA = "anna@example.org"
CARD = "04A2B3C4D5E6F7"  # Anna's card at the demo operator; the other one issued the same number
DEMO_EVSE = "DE*DEM*E0001*1"
OTHER_EVSE = "DE*OTH*E0001*1"


@dataclass
class Tenants:
    site: AccountsPlatform
    demo_session: int
    other_session: int


async def _session(ctx: Context, operator_id: int, station: str, card_id: int) -> int:
    row = (
        await ChargeStation.select(ChargeStation.id)
        .where(ChargeStation.identity == station)
        .first()
    )
    assert row is not None
    now = ctx.clock.now()
    async with database.transaction():
        rows = await ChargingSession.insert(
            ChargingSession(
                operator=operator_id,
                station=row["id"],
                ocpp_connector_id=1,
                ocpp_transaction_id=f"{station}-1",
                state=SessionState.ACTIVE,
                id_tag=CARD,
                id_token=card_id,
                authorization_status="Accepted",
                started_at=now,
                meter_start_wh=1000,
                last_meter_wh=1500,
                created_at=now,
            )
        ).returning(ChargingSession.id)
    return int(rows[0]["id"])


async def _card(operator_id: int) -> int:
    row = (
        await IdToken.select(IdToken.id)
        .where((IdToken.operator == operator_id) & (IdToken.uid == CARD))
        .first()
    )
    assert row is not None
    return int(row["id"])


@pytest.fixture
async def tenants(site: AccountsPlatform) -> Tenants:
    ctx = site.ctx
    async with database.transaction():
        rows = await Operator.insert(
            Operator(
                slug="other",
                name="Other Charging",
                country_code="DE",
                party_id="OTH",
                support_email="help@other.example",
                created_at=ctx.clock.now(),
            )
        ).returning(Operator.id)
    other = int(rows[0]["id"])
    await stations.register_station(
        ctx,
        StationRegistration(
            operator_id=other,
            identity="OTHER-1",
            password="other-password-123456",
            evses=(EvseSpec(evse_id=OTHER_EVSE, ocpp_connector_id=1, max_power_w=11_000),),
        ),
    )
    tariff = await tariffs.create_tariff(
        ctx, other, tariffs.TariffInput(name="Other AC", definition=AC_AD_HOC)
    )
    await tariffs.assign_tariff(
        ctx, other, tariffs.Assignment(scope=AssignmentScope.OPERATOR, tariff_id=tariff.id)
    )
    customer = await accounts.create_customer(
        ctx, other, accounts.CustomerInput(name="Anna Schmidt (Other)", email=ANNA)
    )
    anna = await accounts.create_user(
        ctx,
        other,
        accounts.UserInput(email=ANNA, display_name="Anna bei Other", customer_id=customer.id),
    )
    await tokens.create_token(ctx, TokenSpec(operator_id=other, uid=CARD, label="Anna (Other)"))
    await accounts.assign_token(ctx, other, CARD, customer.id, holder_user_id=anna.id)
    await accounts.create_user(
        ctx,
        other,
        accounts.UserInput(email="staff@other.example", role=Role.OPERATOR_STAFF),
    )
    return Tenants(
        site,
        demo_session=await _session(ctx, 1, "DEMO-AC-1", await _card(1)),
        other_session=await _session(ctx, other, "OTHER-1", await _card(other)),
    )


async def _ids(listed: Any) -> list[int]:
    return [session["id"] for session in listed.json()]


async def test_one_address_two_operators_two_accounts(tenants: Tenants) -> None:
    site = tenants.site
    browser = site.browser()
    assert (await browser.ask_for_link(ANNA)).status_code == 202
    first, second = await site.mailer.next_mail(), await site.mailer.next_mail()
    assert {first.subject, second.subject} == {
        "Your login link for Demo Stadtwerke Laden",
        "Your login link for Other Charging",
    }
    operators = set()
    for mail in (first, second):
        redeemed = await site.browser().redeem(login_token(mail))
        operators.add(redeemed.json()["operator"]["slug"])
    assert operators == {"demo", "other"}
    assert (await browser.ask_for_link(ANNA, operator="other")).status_code == 202
    assert (await site.mailer.next_mail()).subject == "Your login link for Other Charging"
    assert site.mailer.pending() == 0


async def test_a_customer_sees_only_their_operators_things(tenants: Tenants) -> None:
    site = tenants.site
    browser = site.browser()
    await browser.ask_for_link(ANNA, operator="other")
    other_anna = site.browser()
    me = other_anna._logged_in(await other_anna.redeem(login_token(await site.mailer.next_mail())))
    assert me["operator"]["slug"] == "other"

    assert await _ids(await other_anna.get("/api/me/sessions")) == [tenants.other_session]
    for attempt in (
        await other_anna.get(f"/api/me/evses/{DEMO_EVSE}/price"),
        await other_anna.post(f"/api/evses/{DEMO_EVSE}/contract-sessions"),
    ):
        assert attempt.status_code == 404
        assert attempt.json()["code"] == "evse_not_found"
    stop = await other_anna.post(f"/api/me/sessions/{tenants.demo_session}/stop")
    assert stop.status_code == 404
    assert stop.json()["code"] == "session_not_found"
    own_price = (await other_anna.get(f"/api/me/evses/{OTHER_EVSE}/price")).json()
    assert own_price["tariff_name"] == "Other AC"

    await browser.ask_for_link(ANNA, operator="demo")
    demo_anna = site.browser()
    demo_anna._logged_in(await demo_anna.redeem(login_token(await site.mailer.next_mail())))
    assert await _ids(await demo_anna.get("/api/me/sessions")) == [tenants.demo_session]
    assert (await demo_anna.get(f"/api/me/evses/{OTHER_EVSE}/price")).status_code == 404
    foreign = await demo_anna.post(f"/api/me/sessions/{tenants.other_session}/stop")
    assert foreign.status_code == 404


async def test_operator_staff_see_only_their_own_customers(tenants: Tenants) -> None:
    site = tenants.site
    other_staff = await site.logged_in("staff@other.example")
    names = [c["name"] for c in (await other_staff.get("/api/operator/customers")).json()]
    assert names == ["Anna Schmidt (Other)"]
    demo_admin = await site.logged_in("operator@example.org")
    names = [c["name"] for c in (await demo_admin.get("/api/operator/customers")).json()]
    assert names == ["Anna Schmidt", "Ben Müller", "Musterbau GmbH"]


async def test_a_passkey_logs_in_the_account_it_was_made_for(tenants: Tenants) -> None:
    site = tenants.site
    browser = site.browser()
    await browser.ask_for_link(ANNA, operator="demo")
    demo_anna = site.browser()
    demo_anna._logged_in(await demo_anna.redeem(login_token(await site.mailer.next_mail())))
    authenticator = SoftwareAuthenticator(origin=demo_anna.origin)
    assert (await demo_anna.add_passkey(authenticator)).status_code == 201
    hinted = await browser.login_options(email=ANNA, operator="other")
    assert b64url(authenticator.credential_id) not in {
        item["id"] for item in hinted["options"]["allowCredentials"]
    }
    me = await site.browser().login_with_passkey(authenticator)
    assert me["operator"]["slug"] == "demo"
    assert me["customer"]["name"] == "Anna Schmidt"


async def test_cards_fleet_and_data_stay_with_their_operator(tenants: Tenants) -> None:
    site = tenants.site
    ctx = site.ctx
    other = await Operator.select(Operator.id).where(Operator.slug == "other").first()
    assert other is not None
    company = await accounts.create_customer(
        ctx,
        other["id"],
        accounts.CustomerInput(kind=CustomerKind.COMPANY, name="Other Fleet GmbH"),
    )
    await accounts.create_user(
        ctx,
        other["id"],
        accounts.UserInput(
            email=DEMO_FLEET_MANAGER_EMAIL, role=Role.FLEET_MANAGER, customer_id=company.id
        ),
    )
    demo_card = await _card(1)
    browser = site.browser()
    await browser.ask_for_link(ANNA, operator="other")
    other_anna = site.browser()
    other_anna._logged_in(await other_anna.redeem(login_token(await site.mailer.next_mail())))

    # Anna at the other operator: her own card there, not the demo's of the same number.
    cards = (await other_anna.get("/api/me/cards")).json()
    assert [(card["uid"], card["id"]) for card in cards if card["type"] == "RFID"] == [
        (CARD, await _card(other["id"]))
    ]
    for action in ("block", "unblock"):
        refused = await other_anna.post(f"/api/me/cards/{demo_card}/{action}")
        assert (refused.status_code, refused.json()["code"]) == (404, "card_not_found")
    assert (await other_anna.get("/api/me/fleet")).status_code == 403
    data = (await other_anna.get("/api/me/data")).text
    assert "Demo Stadtwerke" not in data
    assert 'Anna Schmidt"' not in data  # the demo's customer name (hers there has a suffix)
    assert [s["id"] for s in json.loads(data)["sessions"]] == [tenants.other_session]

    # The other operator's fleet manager (same address as the demo's) sees only their company.
    await browser.ask_for_link(DEMO_FLEET_MANAGER_EMAIL, operator="other")
    manager = site.browser()
    manager._logged_in(await manager.redeem(login_token(await site.mailer.next_mail())))
    fleet = (await manager.get("/api/me/fleet")).json()
    assert fleet["customer_name"] == "Other Fleet GmbH"
    assert fleet["cards"] == []
    changed = await manager.send("PATCH", f"/api/me/fleet/cards/{demo_card}", {"cost_centre": "X"})
    assert (changed.status_code, changed.json()["code"]) == (404, "card_not_found")
    month = await manager.get("/api/me/fleet/sessions", params={"period": "2026-10"})
    assert month.json()["running"] == []
    assert month.json()["cost_centres"] == []
    rows = await manager.get(
        "/api/me/fleet/sessions.csv", params={"date_from": "2020-01-01", "date_to": "2021-01-01"}
    )
    assert rows.text.count("\n") == 1  # the header only
    assert (await IdToken.select(IdToken.cost_centre).where(IdToken.id == demo_card).first()) == {
        "cost_centre": ""
    }
