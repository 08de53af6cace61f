"""Blocking a card reaches the chargers: a differential SendLocalList (next list version)
where the station keeps a local list, ClearCache where it only caches; the card is refused
at its next Authorize; offline stations get it when they reconnect, even after a restart."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from cpo.demo import DEMO_API_TOKEN
from cpo.tokens.tables import StationAuthList
from tests.support.platform import RunningPlatform
from tests.support.shop import simulated_charger

ANNA_CARD = "04A2B3C4D5E6F7"
FLEET_GROUP_CARD = "04FLEET0000001"
WAIT_S = 15.0
CACHE_ONLY = ("Core", "RemoteTrigger")


def admin_api(platform: RunningPlatform) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=platform.base_url,
        headers={"Authorization": f"Bearer {DEMO_API_TOKEN}"},
        timeout=WAIT_S,
    )


async def card_id(api: httpx.AsyncClient, uid: str) -> int:
    page = (await api.get("/api/admin/cards", params={"q": uid})).json()
    return int(next(card["id"] for card in page["cards"] if card["uid"] == uid))


async def pushes_when(
    api: httpx.AsyncClient, card: int, settled: Callable[[dict[str, Any]], bool]
) -> dict[str, dict[str, Any]]:
    """The push results by station, once `settled` holds for them (polled: they are
    written after the charger's answer, in the platform's own task)."""
    async with asyncio.timeout(WAIT_S):
        while True:
            results = {
                result["station"]: result
                for result in (await api.get(f"/api/admin/cards/{card}/pushes")).json()
            }
            if settled(results):
                return results
            await asyncio.sleep(0.05)


async def test_a_block_reaches_local_lists_and_caches_and_the_card_is_refused(
    platform: RunningPlatform,
) -> None:
    async with (
        admin_api(platform) as api,
        simulated_charger(platform, "DEMO-AC-1") as listing,
        simulated_charger(platform, "DEMO-AC-2", feature_profiles=CACHE_ONLY) as caching,
    ):
        assert await listing.present_card(1, ANNA_CARD) == "Accepted"
        assert await caching.present_card(1, ANNA_CARD) == "Accepted"
        assert caching.authorization_cache == {ANNA_CARD.casefold(): "Accepted"}
        anna = await card_id(api, ANNA_CARD)

        blocked = await api.post(f"/api/admin/cards/{anna}/block")
        assert blocked.status_code == 200, blocked.text

        await listing.wait_for(lambda: listing.local_list.get(ANNA_CARD) == "Blocked")
        assert listing.local_list_version == 1
        await caching.wait_for(lambda: not caching.authorization_cache)
        assert caching.local_list == {}

        results = await pushes_when(
            api,
            anna,
            lambda r: r["DEMO-AC-1"]["state"] != "pending" and r["DEMO-AC-2"]["state"] != "pending",
        )
        assert results["DEMO-AC-1"]["state"] == "accepted"
        assert results["DEMO-AC-1"]["method"] == "send_local_list"
        assert results["DEMO-AC-1"]["answer"] == "Accepted"
        assert results["DEMO-AC-1"]["list_version"] == 1
        assert results["DEMO-AC-2"]["state"] == "accepted"
        assert results["DEMO-AC-2"]["method"] == "clear_cache"
        # Not connected: waiting for them, with the reason shown.
        assert results["DEMO-AC-3"]["state"] == "pending"
        assert results["DEMO-AC-3"]["answer"] == "station offline"
        methods = {
            row["station"]: row["method"]
            for row in await StationAuthList.select(
                StationAuthList.station.identity.as_alias("station"), StationAuthList.method
            )
        }
        assert methods["DEMO-AC-1"] == "send_local_list"
        assert methods["DEMO-AC-2"] == "clear_cache"

        # The next Authorize is refused online by both…
        assert await listing.present_card(2, ANNA_CARD) == "Blocked"
        assert await caching.present_card(2, ANNA_CARD) == "Blocked"
        # …and offline from the local list.
        await listing.disconnect(stay_offline=True)
        assert await listing.present_card(2, ANNA_CARD) == "Blocked"
        await listing.reconnect()
        await listing.wait_booted(WAIT_S)

        # A station that connects later gets the block when it comes.
        async with simulated_charger(platform, "DEMO-AC-3") as late:
            await late.wait_for(lambda: late.local_list.get(ANNA_CARD) == "Blocked")
            assert late.local_list_version == 1

        unblocked = await api.post(f"/api/admin/cards/{anna}/unblock")
        assert unblocked.status_code == 200
        await listing.wait_for(lambda: listing.local_list.get(ANNA_CARD) == "Accepted")
        assert listing.local_list_version == 2
        results = await pushes_when(
            api,
            anna,
            lambda r: (
                r["DEMO-AC-1"]["state"] == "accepted" and r["DEMO-AC-1"]["reason"] == "unblock"
            ),
        )
        assert results["DEMO-AC-1"]["list_version"] == 2
        assert await listing.present_card(2, ANNA_CARD) == "Accepted"


async def test_a_group_block_updates_its_members_and_versions_resync(
    platform: RunningPlatform,
) -> None:
    async with admin_api(platform) as api, simulated_charger(platform, "DEMO-AC-1") as charger:
        # Someone else set the station's list to version 7 meanwhile.
        await charger.wait_for(lambda: charger.connected)
        charger._answer_send_local_list(
            7, "Full", [{"id_tag": "04OTHER", "id_tag_info": {"status": "Accepted"}}]
        )
        group = (
            await api.post("/api/admin/cards", json={"uid": "FLEET-STADTWERKE", "label": "Fleet"})
        ).json()
        blocked = await api.post(f"/api/admin/cards/{group['id']}/block")
        assert blocked.status_code == 200
        await charger.wait_for(lambda: charger.local_list.get(FLEET_GROUP_CARD) == "Blocked")
        # VersionMismatch answered by asking the station's version and sending above it.
        assert charger.local_list_version == 8
        assert charger.local_list.get("FLEET-STADTWERKE") == "Blocked"
        assert await charger.present_card(1, FLEET_GROUP_CARD) == "Blocked"


async def test_a_pending_push_survives_a_restart(platform: RunningPlatform) -> None:
    async with admin_api(platform) as api:
        anna = await card_id(api, ANNA_CARD)
        assert (await api.post(f"/api/admin/cards/{anna}/block")).status_code == 200
        await pushes_when(api, anna, lambda r: r["DEMO-AC-1"]["answer"] == "station offline")
    restarted = await platform.restart()
    try:
        async with (
            admin_api(restarted) as api,
            simulated_charger(restarted, "DEMO-AC-1") as charger,
        ):
            await charger.wait_for(lambda: charger.local_list.get(ANNA_CARD) == "Blocked")
            results = await pushes_when(api, anna, lambda r: r["DEMO-AC-1"]["state"] == "accepted")
            assert results["DEMO-AC-1"]["method"] == "send_local_list"
    finally:
        await restarted.stop()
