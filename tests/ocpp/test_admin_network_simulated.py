"""Admin mode against a simulated charger speaking real OCPP 1.6J: remote commands get the
charger's answers (a reset reboots it), a remote start for a card charges and a remote stop
ends it, and the message log holds what went over the wire both ways."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from cpo.demo import DEMO_API_TOKEN, DEMO_CARDS
from tests.support.platform import RunningPlatform
from tests.support.shop import WAIT_S, simulated_charger


async def command(script: httpx.AsyncClient, station_id: int, body: dict[str, Any]) -> Any:
    response = await script.post(f"/api/admin/stations/{station_id}/commands", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_remote_commands_and_the_message_log_with_a_simulated_charger(
    platform: RunningPlatform,
) -> None:
    card = DEMO_CARDS[0]  # Anna's, active
    async with (
        httpx.AsyncClient(
            base_url=platform.base_url,
            headers={"Authorization": f"Bearer {DEMO_API_TOKEN}"},
            timeout=WAIT_S,
        ) as script,
        simulated_charger(platform) as charger,
    ):
        stations = (await script.get("/api/admin/stations")).json()
        station = next(s for s in stations if s["identity"] == charger.identity)
        station_id = station["id"]
        assert station["connected"] is True

        configuration = await command(
            script, station_id, {"type": "get_configuration", "keys": ["HeartbeatInterval"]}
        )
        assert configuration["result"]["configuration"][0]["key"] == "HeartbeatInterval"
        changed = await command(
            script,
            station_id,
            {"type": "change_configuration", "key": "HeartbeatInterval", "value": "120"},
        )
        assert changed["result"]["status"] == "Accepted"
        assert charger.configuration["HeartbeatInterval"] == "120"
        unavailable = await command(
            script,
            station_id,
            {"type": "change_availability", "connector_id": 2, "operative": False},
        )
        assert unavailable["result"]["status"] == "Accepted"
        await charger.wait_for(lambda: charger.connector(2).status == "Unavailable", WAIT_S)

        await charger.plug_in(1)
        started = await command(
            script, station_id, {"type": "remote_start", "id_tag": card.uid, "connector_id": 1}
        )
        assert started["result"]["status"] == "Accepted"
        sessions: list[dict[str, Any]] = []
        async with asyncio.timeout(WAIT_S):
            while not sessions:
                sessions = (await script.get(f"/api/admin/stations/{station_id}/sessions")).json()
        transaction_id = sessions[0]["transaction_id"]
        assert sessions[0]["id_tag"] == card.uid
        stopped = await command(
            script, station_id, {"type": "remote_stop", "transaction_id": transaction_id}
        )
        assert stopped["result"]["status"] == "Accepted"

        boots = charger.boot_count
        reset = await command(script, station_id, {"type": "reset", "kind": "Soft"})
        assert reset["result"]["status"] == "Accepted"
        await charger.wait_for(lambda: charger.boot_count > boots, WAIT_S)

        frames = (
            await script.get(f"/api/admin/stations/{station_id}/messages", params={"limit": 200})
        ).json()
        seen = {(f["direction"], f["message_type"], f["action"]) for f in frames}
        for action in (
            "GetConfiguration",
            "ChangeConfiguration",
            "ChangeAvailability",
            "RemoteStartTransaction",
            "RemoteStopTransaction",
            "Reset",
        ):
            assert ("out", "Call", action) in seen, action
            assert ("in", "CallResult", action) in seen, action
        for action in ("BootNotification", "StatusNotification", "StartTransaction"):
            assert ("in", "Call", action) in seen, action
            assert ("out", "CallResult", action) in seen, action
        start = next(
            f for f in frames if f["action"] == "RemoteStartTransaction" and f["direction"] == "out"
        )
        assert json.loads(start["frame"])[3]["idTag"] == card.uid
        assert all(f["at"] for f in frames)
