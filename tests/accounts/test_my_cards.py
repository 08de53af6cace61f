"""A customer's own cards in the app: a driver sees theirs, blocks a lost one at once — it is
refused at the next Authorize and its new status is queued for every station, as when the
operator blocks it — and lifts their own block; a colleague's card is not theirs to block,
and a card the operator blocked says to call support."""

from __future__ import annotations

from typing import Any

import httpx

from cpo.context import Context
from cpo.demo import DEMO_API_TOKEN, DEMO_FLEET_MANAGER_EMAIL
from cpo.tokens.enums import AuthorizationStatus
from cpo.tokens.service import authorize
from cpo.tokens.tables import IdToken, TokenPush
from tests.support.accounts import AccountsPlatform, Browser
from tests.support.contract_sessions import Charger

CARLA = "carla@example.org"
CARLA_CARD = "04D1A2B3C4D5E6"
DAVID_CARD = "04D2A2B3C4D5E6"
POOL_CARD = "04D3A2B3C4D5E6"
ANNA_CARD = "04A2B3C4D5E6F7"
STATIONS = 4  # the demo operator's


def operator_script(site: AccountsPlatform) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=site.platform.base_url, headers={"Authorization": f"Bearer {DEMO_API_TOKEN}"}
    )


async def card_id(uid: str) -> int:
    row = await IdToken.select(IdToken.id).where(IdToken.uid == uid).first()
    assert row is not None
    return int(row["id"])


async def at_the_charger(ctx: Context, uid: str) -> AuthorizationStatus:
    """What DEMO-AC-1 is told when the card is held to it."""
    return (await authorize(ctx, await Charger(ctx).station(), uid)).status


async def my_cards(browser: Browser) -> dict[str, dict[str, Any]]:
    answer = await browser.get("/api/me/cards")
    assert answer.status_code == 200, answer.text
    return {card["uid"]: card for card in answer.json()}


async def test_a_driver_blocks_a_lost_card_and_the_stations_are_told(
    site: AccountsPlatform,
) -> None:
    carla = await site.logged_in(CARLA)
    cards = await my_cards(carla)
    app_tokens = [uid for uid, card in cards.items() if card["type"] == "APP_USER"]
    assert set(cards) == {CARLA_CARD, *app_tokens}
    assert len(app_tokens) == 1
    card = cards[CARLA_CARD]
    assert (card["status"], card["may_block"], card["may_unblock"]) == ("active", True, False)
    assert card["cost_centre"] == "KST 100 Vertrieb"
    assert card["holder_name"] == "Carla Weber"
    assert await at_the_charger(site.ctx, CARLA_CARD) is AuthorizationStatus.ACCEPTED

    forged = await carla.post(f"/api/me/cards/{card['id']}/block", csrf=False)
    assert (forged.status_code, forged.json()["code"]) == (403, "csrf_failed")
    blocked = await carla.post(f"/api/me/cards/{card['id']}/block")
    assert blocked.status_code == 200, blocked.text
    after = blocked.json()
    assert (after["status"], after["blocked_by"]) == ("blocked", "customer")
    assert (after["may_block"], after["may_unblock"], after["note"]) == (False, True, "")

    # Refused at once, and queued for every station of the operator.
    assert await at_the_charger(site.ctx, CARLA_CARD) is AuthorizationStatus.BLOCKED
    pushes = await TokenPush.select(TokenPush.reason).where(TokenPush.token == card["id"])
    assert [push["reason"] for push in pushes] == ["block"] * STATIONS

    # The operator sees who blocked it, and the log says it was the customer.
    async with operator_script(site) as operator:
        shown = (await operator.get(f"/api/admin/cards/{card['id']}")).json()
        assert shown["blocked_by"] == "customer"
        log = (await operator.get("/api/admin/audit", params={"action": "card.block"})).json()
        (entry,) = log["entries"]
        assert (entry["actor_kind"], entry["actor"], entry["target_id"]) == (
            "customer",
            CARLA,
            str(card["id"]),
        )
        assert entry["after"]["blocked_by"] == "customer"

    unblocked = await carla.post(f"/api/me/cards/{card['id']}/unblock")
    assert unblocked.status_code == 200, unblocked.text
    assert unblocked.json()["status"] == "active"
    assert await at_the_charger(site.ctx, CARLA_CARD) is AuthorizationStatus.ACCEPTED
    pushes = await TokenPush.select(TokenPush.reason).where(TokenPush.token == card["id"])
    assert [push["reason"] for push in pushes] == ["unblock"] * STATIONS


async def test_a_colleagues_or_strangers_card_is_not_yours_to_block(
    site: AccountsPlatform,
) -> None:
    carla = await site.logged_in(CARLA)
    for uid in (DAVID_CARD, POOL_CARD, ANNA_CARD):
        refused = await carla.post(f"/api/me/cards/{await card_id(uid)}/block")
        assert (refused.status_code, refused.json()["code"]) == (404, "card_not_found"), uid
        assert refused.json()["title"] == "Wir konnten diese Karte in Ihrem Konto nicht finden."
        assert await at_the_charger(site.ctx, uid) is AuthorizationStatus.ACCEPTED
    assert (await carla.post("/api/me/cards/999999/block")).status_code == 404

    # The company's fleet manager may block any of its cards, the pool car's too.
    manager = await site.logged_in(DEMO_FLEET_MANAGER_EMAIL)
    assert set(await my_cards(manager)) >= {CARLA_CARD, DAVID_CARD, POOL_CARD}
    pool = await manager.post(f"/api/me/cards/{await card_id(POOL_CARD)}/block")
    assert pool.status_code == 200, pool.text
    assert await at_the_charger(site.ctx, POOL_CARD) is AuthorizationStatus.BLOCKED
    anna = await manager.post(f"/api/me/cards/{await card_id(ANNA_CARD)}/block")
    assert anna.status_code == 404


async def test_a_card_the_operator_blocked_says_to_call_support(site: AccountsPlatform) -> None:
    carla = await site.logged_in(CARLA)
    card = await card_id(CARLA_CARD)
    async with operator_script(site) as operator:
        assert (await operator.post(f"/api/admin/cards/{card}/block")).status_code == 200
    shown = (await my_cards(carla))[CARLA_CARD]
    assert (shown["status"], shown["blocked_by"], shown["may_unblock"]) == (
        "blocked",
        "operator",
        False,
    )
    assert shown["note"] == (
        "Unser Support-Team hat diese Karte gesperrt. Um sie wieder zu nutzen, wenden Sie sich "
        "bitte an +49 30 123456."
    )  # Carla's language is German
    refused = await carla.post(f"/api/me/cards/{card}/unblock")
    assert (refused.status_code, refused.json()["code"]) == (403, "blocked_by_operator")
    assert "+49 30 123456" in refused.json()["title"]
    # Blocking it again changes nothing: the operator's block stays the operator's.
    assert (await carla.post(f"/api/me/cards/{card}/block")).json()["blocked_by"] == "operator"
    assert await at_the_charger(site.ctx, CARLA_CARD) is AuthorizationStatus.BLOCKED

    # The operator takes over a block the customer made: then only support lifts it.
    async with operator_script(site) as operator:
        assert (await operator.post(f"/api/admin/cards/{card}/unblock")).status_code == 200
        assert (await carla.post(f"/api/me/cards/{card}/block")).json()["may_unblock"] is True
        assert (await operator.post(f"/api/admin/cards/{card}/block")).status_code == 200
    assert (await carla.post(f"/api/me/cards/{card}/unblock")).status_code == 403
