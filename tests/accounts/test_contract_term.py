"""A contract's term: when the operator ends Musterbau GmbH's contract, its cards and app
tokens stop working after the last day — refused at the charger, told to every station's
local list, and the app says so in plain words —; moving the end out makes them work again;
a card handed to the customer later takes the contract's end as its expiry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx

from cpo.accounts.rules import CONTRACT_TIME_ZONE, contract_expiry, contract_term_is_valid
from cpo.accounts.tables import Customer
from cpo.demo import DEMO_API_TOKEN
from cpo.tokens.enums import AuthorizationStatus
from cpo.tokens.tables import IdToken, TokenPush
from tests.accounts.test_my_cards import CARLA, CARLA_CARD, STATIONS, at_the_charger
from tests.support.accounts import AccountsPlatform

EVSE = "DE*DEM*E0001*1"


def test_a_contract_ends_at_the_midnight_after_its_last_day_in_berlin() -> None:
    assert contract_expiry(None) is None
    # Winter (UTC+1) and summer (UTC+2): the last day is charged in full.
    assert contract_expiry(date(2026, 12, 31)) == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
    assert contract_expiry(date(2027, 7, 31)) == datetime(2027, 7, 31, 22, 0, tzinfo=UTC)
    assert contract_term_is_valid(date(2027, 1, 1), date(2027, 1, 1))
    assert contract_term_is_valid(None, date(2027, 1, 1))
    assert not contract_term_is_valid(date(2027, 1, 2), date(2027, 1, 1))


async def musterbau() -> int:
    row = await Customer.select(Customer.id).where(Customer.name == "Musterbau GmbH").first()
    assert row is not None
    return int(row["id"])


async def test_an_ended_contract_stops_its_cards_and_app_tokens(site: AccountsPlatform) -> None:
    customer_id = await musterbau()
    today = datetime.now(UTC).astimezone(CONTRACT_TIME_ZONE).date()
    yesterday = today - timedelta(days=1)
    base = f"/api/admin/customers/{customer_id}"
    async with httpx.AsyncClient(
        base_url=site.platform.base_url, headers={"Authorization": f"Bearer {DEMO_API_TOKEN}"}
    ) as operator:
        assert await at_the_charger(site.ctx, CARLA_CARD) is AuthorizationStatus.ACCEPTED
        backwards = await operator.patch(
            base,
            json={"contract_starts_on": today.isoformat(), "contract_ends_on": str(yesterday)},
        )
        assert (backwards.status_code, backwards.json()["code"]) == (422, "invalid_contract_term")

        ended = await operator.patch(
            base, json={"contract_starts_on": "2026-01-01", "contract_ends_on": str(yesterday)}
        )
        assert ended.status_code == 200, ended.text
        assert (ended.json()["contract_starts_on"], ended.json()["contract_ends_on"]) == (
            "2026-01-01",
            str(yesterday),
        )
        tokens = await IdToken.select(IdToken.id, IdToken.expires_at).where(
            IdToken.customer == customer_id
        )
        assert {row["expires_at"] for row in tokens} == {contract_expiry(yesterday)}
        assert await at_the_charger(site.ctx, CARLA_CARD) is AuthorizationStatus.EXPIRED
        # Every station's local list learns the new expiry of every card and app token.
        pushes = await TokenPush.select(TokenPush.reason).where(
            TokenPush.token.is_in([row["id"] for row in tokens])
        )
        assert [push["reason"] for push in pushes] == ["expire"] * STATIONS * len(tokens)

        carla = await site.logged_in(CARLA)
        refused = await carla.post(f"/api/evses/{EVSE}/contract-sessions?lang=en")
        assert (refused.status_code, refused.json()["code"]) == (403, "contract_ended")
        ended_on = f"{yesterday.day:02d}/{yesterday.month:02d}/{yesterday.year}"
        assert refused.json()["title"].startswith(
            f"Your charging contract ended on {ended_on}. To renew it, please contact"
        )

        # Renewed: the cards work again at once.
        renewed = await operator.patch(base, json={"contract_ends_on": "2099-12-31"})
        assert renewed.status_code == 200, renewed.text
        assert renewed.json()["contract_starts_on"] == "2026-01-01"  # left out: kept
        assert await at_the_charger(site.ctx, CARLA_CARD) is AuthorizationStatus.ACCEPTED

        # A card handed out under the contract expires with it, unless it has its own date.
        card = await operator.post(
            "/api/admin/cards", json={"uid": "04C0FFEE000001", "customer_id": customer_id}
        )
        assert card.status_code == 201, card.text
        assert card.json()["expires_at"] == contract_expiry(date(2099, 12, 31)).isoformat().replace(
            "+00:00", "Z"
        )
        open_ended = await operator.patch(base, json={"contract_ends_on": None})
        assert open_ended.json()["contract_ends_on"] is None
        expiries = await IdToken.select(IdToken.expires_at).where(IdToken.customer == customer_id)
        assert {row["expires_at"] for row in expiries} == {None}

        log = (await operator.get("/api/admin/audit?target_type=customer")).json()["entries"]
        assert [entry["action"] for entry in log][:3] == ["customer.update"] * 3
