"""The operator runs the network through the admin API: registers a station (its password
shown once) and it connects, accepts a pending one, edits sites and EVSEs, sends remote
commands and reads the charger's answers and the OCPP message log, acknowledges and
resolves faults, watches the live dashboard — staff may command but not edit, and another
operator sees and reaches nothing of it."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from cpo.accounts import service as accounts
from cpo.accounts.enums import Role
from cpo.context import Context
from cpo.demo import DEMO_API_TOKEN, DEMO_OPERATOR_ADMIN_EMAIL
from cpo.operators.service import create_api_token
from cpo.operators.tables import Operator
from cpo.stations import service as stations
from cpo.stations.enums import RegistrationStatus
from cpo.stations.schemas import StationRegistration
from tests.support.accounts import AccountsPlatform, accounts_platform
from tests.support.ocpp_client import OcppTestClient, connect

STATION = "DEMO-AC-1"
PASSWORD = "demo-password-demo-ac-1"
WAIT_S = 15.0


@pytest.fixture
async def site(demo: Context) -> AsyncIterator[AccountsPlatform]:
    async with accounts_platform(demo) as running:
        yield running


def token_client(site: AccountsPlatform, token: str = DEMO_API_TOKEN) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=site.platform.base_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=WAIT_S,
    )


async def rival_token(demo: Context) -> str:
    rows = await Operator.insert(
        Operator(slug="rival", name="Rival", country_code="DE", party_id="RIV")
    ).returning(Operator.id)
    token, _ = await create_api_token(demo, rows[0]["id"], "rival")
    return token


async def station_id(script: httpx.AsyncClient, identity: str = STATION) -> int:
    listed = (await script.get("/api/admin/stations")).json()
    return next(station["id"] for station in listed if station["identity"] == identity)


async def booted(client: OcppTestClient) -> dict[str, Any]:
    answer: dict[str, Any] = await client.call(
        "BootNotification", {"chargePointVendor": "ACME", "chargePointModel": "Wallbox"}
    )
    return answer


async def status(
    client: OcppTestClient, connector: int, state: str, error: str = "NoError"
) -> None:
    payload: dict[str, Any] = {"connectorId": connector, "status": state, "errorCode": error}
    if error != "NoError":
        payload |= {"vendorId": "ACME", "vendorErrorCode": "E42", "info": "earth leak"}
    await client.call("StatusNotification", payload)


async def test_a_registered_station_gets_its_password_once_and_connects_with_it(
    site: AccountsPlatform,
) -> None:
    async with token_client(site) as script:
        created_site = await script.post(
            "/api/admin/sites",
            json={"name": "Depot Nord", "street": "Hafenstr. 1", "city": "Kiel"},
        )
        assert created_site.status_code == 201, created_site.text
        registered = await script.post(
            "/api/admin/stations",
            json={
                "identity": "NORD-1",
                "name": "Depot gate",
                "site_id": created_site.json()["id"],
                "evses": [
                    {"evse_id": "de*dem*e0100*1", "ocpp_connector_id": 1, "max_power_w": 22000}
                ],
            },
        )
        assert registered.status_code == 201, registered.text
        body = registered.json()
        password = body["password"]
        assert len(password) >= 16
        assert body["station"]["registration_status"] == "Accepted"
        assert body["station"]["has_password"] is True
        assert body["station"]["evses"][0]["evse_id"] == "DE*DEM*E0100*1"
        assert body["station"]["site"]["name"] == "Depot Nord"
        new_id = body["station"]["id"]

        # Shown once: neither the station nor the audit log hold it.
        again = (await script.get(f"/api/admin/stations/{new_id}")).json()
        assert "password" not in again
        log = (await script.get("/api/admin/audit", params={"action": "station"})).json()
        assert [entry["action"] for entry in log["entries"]] == ["station.register"]
        assert password not in json.dumps(log)

        async with connect(site.platform.ocpp_url, "NORD-1", password) as client:
            assert (await booted(client))["status"] == "Accepted"
            shown = (await script.get(f"/api/admin/stations/{new_id}")).json()
            assert shown["connected"] is True
            assert shown["vendor"] == "ACME"

        taken = await script.post("/api/admin/stations", json={"identity": "NORD-1"})
        assert taken.status_code == 409
        bad_evse = await script.post(
            "/api/admin/stations",
            json={
                "identity": "NORD-2",
                "evses": [{"evse_id": "not an id", "ocpp_connector_id": 1, "max_power_w": 1}],
            },
        )
        assert (bad_evse.status_code, bad_evse.json()["code"]) == (422, "invalid_evse_id")
        bad_identity = await script.post("/api/admin/stations", json={"identity": "a:b"})
        assert bad_identity.status_code == 422


async def test_a_pending_station_is_accepted_and_boots_accepted_at_once(
    site: AccountsPlatform, demo: Context
) -> None:
    operator = await Operator.select(Operator.id).where(Operator.slug == "demo").first()
    assert operator is not None
    await stations.register_station(
        demo,
        StationRegistration(
            operator_id=operator["id"],
            identity="NEW-ONE",
            password="a-long-enough-password",
            registration_status=RegistrationStatus.PENDING,
        ),
    )
    async with (
        token_client(site) as script,
        connect(site.platform.ocpp_url, "NEW-ONE", "a-long-enough-password") as client,
    ):
        assert (await booted(client))["status"] == "Pending"
        reboot = asyncio.Event()

        def trigger(payload: dict[str, Any]) -> dict[str, Any]:
            assert payload == {"requestedMessage": "BootNotification"}
            reboot.set()
            return {"status": "Accepted"}

        client.handlers["TriggerMessage"] = trigger
        new_id = await station_id(script, "NEW-ONE")
        accepted = await script.post(
            f"/api/admin/stations/{new_id}/registration", json={"status": "Accepted"}
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["registration_status"] == "Accepted"
        async with asyncio.timeout(WAIT_S):
            await reboot.wait()
        assert (await booted(client))["status"] == "Accepted"
        entry = (await script.get("/api/admin/audit", params={"action": "station.accept"})).json()
        assert entry["entries"][0]["before"] == {"registration_status": "Pending"}
        assert entry["entries"][0]["after"] == {"registration_status": "Accepted"}

        rejected = await script.post(
            f"/api/admin/stations/{new_id}/registration", json={"status": "Rejected"}
        )
        assert rejected.json()["registration_status"] == "Rejected"
        assert (await booted(client))["status"] == "Rejected"
        wrong = await script.post(
            f"/api/admin/stations/{new_id}/registration", json={"status": "Maybe"}
        )
        assert wrong.status_code == 400


async def test_sites_stations_and_evses_are_edited_with_validation_and_audit(
    site: AccountsPlatform,
) -> None:
    async with token_client(site) as script:
        ac1 = await station_id(script)
        station = (await script.get(f"/api/admin/stations/{ac1}")).json()
        evse = station["evses"][0]
        site_id = station["site"]["id"]

        renamed = await script.patch(f"/api/admin/stations/{ac1}", json={"name": "Bay 1 + 2"})
        assert renamed.json()["name"] == "Bay 1 + 2"
        assert renamed.json()["site"]["id"] == site_id  # unchanged

        moved = await script.put(
            f"/api/admin/sites/{site_id}",
            json={"name": "Parkhaus Mitte", "city": "Berlin", "time_zone": "Europe/Berlin"},
        )
        assert moved.status_code == 200, moved.text
        bad_zone = await script.put(
            f"/api/admin/sites/{site_id}", json={"name": "X", "time_zone": "Mars/Olympus"}
        )
        assert (bad_zone.status_code, bad_zone.json()["code"]) == (422, "invalid_time_zone")

        changed = await script.patch(
            f"/api/admin/evses/{evse['id']}",
            json={"evse_id": "DE*DEM*E0001*9", "max_power_w": 7400, "phases": 1},
        )
        assert changed.status_code == 200, changed.text
        shown = next(e for e in changed.json()["evses"] if e["id"] == evse["id"])
        assert (shown["evse_id"], shown["max_power_w"], shown["phases"]) == (
            "DE*DEM*E0001*9",
            7400,
            1,
        )
        invalid = await script.patch(f"/api/admin/evses/{evse['id']}", json={"evse_id": "X*Y*Z*1"})
        assert (invalid.status_code, invalid.json()["code"]) == (422, "invalid_evse_id")
        taken = await script.patch(
            f"/api/admin/evses/{evse['id']}", json={"evse_id": "DE*DEM*E0002*1"}
        )
        assert (taken.status_code, taken.json()["code"]) == (409, "evse_id_taken")
        too_much = await script.patch(f"/api/admin/evses/{evse['id']}", json={"max_power_w": -5})
        assert too_much.status_code == 400

        added = await script.post(
            f"/api/admin/stations/{ac1}/evses",
            json={"evse_id": "DE*DEM*E0001*3", "ocpp_connector_id": 3, "max_power_w": 3700},
        )
        assert added.status_code == 201, added.text
        duplicate = await script.post(
            f"/api/admin/stations/{ac1}/evses",
            json={"evse_id": "DE*DEM*E0001*4", "ocpp_connector_id": 3, "max_power_w": 3700},
        )
        assert duplicate.status_code == 409

        log = (await script.get("/api/admin/audit")).json()["entries"]
        evse_update = next(entry for entry in log if entry["action"] == "evse.update")
        assert evse_update["before"]["evse_id"] == evse["evse_id"]
        assert evse_update["after"]["evse_id"] == "DE*DEM*E0001*9"
        actions = {entry["action"] for entry in log}
        assert {"station.update", "site.update", "evse.update", "evse.create"} <= actions


async def test_commands_reach_the_charger_and_the_message_log_shows_both_ways(
    site: AccountsPlatform, demo: Context
) -> None:
    async with (
        token_client(site) as script,
        connect(site.platform.ocpp_url, STATION, PASSWORD) as client,
    ):
        await booted(client)
        client.handlers = {
            "Reset": lambda payload: {"status": "Accepted"},
            "UnlockConnector": lambda payload: {"status": "Unlocked"},
            "GetConfiguration": lambda payload: {
                "configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "60"}]
            },
        }
        ac1 = await station_id(script)
        reset = await script.post(
            f"/api/admin/stations/{ac1}/commands", json={"type": "reset", "kind": "Hard"}
        )
        assert reset.status_code == 200, reset.text
        outcome = reset.json()
        assert outcome["result"]["status"] == "Accepted"
        assert outcome["error_code"] is None
        assert ("Reset", {"type": "Hard"}) in client.received_calls

        configuration = (
            await script.post(
                f"/api/admin/stations/{ac1}/commands",
                json={"type": "get_configuration", "keys": ["HeartbeatInterval"]},
            )
        ).json()
        assert configuration["result"]["configuration"] == [
            {"key": "HeartbeatInterval", "readonly": False, "value": "60"}
        ]
        refused = (
            await script.post(
                f"/api/admin/stations/{ac1}/commands",
                json={"type": "trigger_message", "message": "Heartbeat"},
            )
        ).json()
        assert refused["result"] is None
        assert refused["error_code"] == "charger_error"
        assert "NotImplemented" in refused["error_message"]

        frames = (await script.get(f"/api/admin/stations/{ac1}/messages")).json()
        described = [(f["direction"], f["message_type"], f["action"]) for f in frames]
        assert ("out", "Call", "Reset") in described
        assert ("in", "CallResult", "Reset") in described
        assert ("in", "Call", "BootNotification") in described
        assert ("out", "CallResult", "BootNotification") in described
        assert ("in", "CallError", "TriggerMessage") in described
        assert frames == sorted(frames, key=lambda frame: frame["id"], reverse=True)
        reset_call = next(f for f in frames if f["action"] == "Reset" and f["direction"] == "out")
        assert json.loads(reset_call["frame"])[3] == {"type": "Hard"}
        older = (
            await script.get(
                f"/api/admin/stations/{ac1}/messages",
                params={"limit": 2, "before": frames[1]["id"]},
            )
        ).json()
        assert [f["id"] for f in older] == [frames[2]["id"], frames[3]["id"]]

        no_session = await script.post(
            f"/api/admin/stations/{ac1}/commands",
            json={"type": "remote_stop", "transaction_id": "12345"},
        )
        assert (no_session.status_code, no_session.json()["code"]) == (404, "no_such_session")
        unknown = await script.post(
            f"/api/admin/stations/{ac1}/commands", json={"type": "format_disk"}
        )
        assert unknown.status_code == 400

        log = (await script.get("/api/admin/audit", params={"action": "station"})).json()
        reset_entry = next(e for e in log["entries"] if e["action"] == "station.command.reset")
        assert reset_entry["before"] == {"type": "reset", "kind": "Hard"}
        assert reset_entry["after"]["result"]["status"] == "Accepted"

        offline = await station_id(script, "DEMO-AC-2")
        unreachable = (
            await script.post(
                f"/api/admin/stations/{offline}/commands", json={"type": "reset", "kind": "Soft"}
            )
        ).json()
        assert unreachable["error_code"] == "charger_unavailable"


async def test_the_message_log_is_a_ring_per_station(site: AccountsPlatform) -> None:
    frame_log = site.platform.bridge.frame_log
    frame_log.keep = 5
    async with (
        token_client(site) as script,
        connect(site.platform.ocpp_url, STATION, PASSWORD) as client,
    ):
        for _ in range(60):
            await client.call("Heartbeat", {})
        ac1 = await station_id(script)
        frames = (await script.get(f"/api/admin/stations/{ac1}/messages")).json()
        # Pruned to the ring (plus the slack it allows before pruning again).
        assert 5 <= len(frames) <= 5 + 50
        assert frames[0]["direction"] == "out"
        assert frames[0]["message_type"] == "CallResult"
        assert frames[1]["action"] == "Heartbeat"


async def test_faults_are_listed_acknowledged_and_resolved(site: AccountsPlatform) -> None:
    async with (
        token_client(site) as script,
        connect(site.platform.ocpp_url, STATION, PASSWORD) as client,
    ):
        await booted(client)
        await status(client, 1, "Faulted", "GroundFailure")
        faults = (await script.get("/api/admin/faults", params={"status": "open"})).json()
        assert len(faults) == 1
        fault = faults[0]
        assert (fault["error_code"], fault["vendor_id"], fault["vendor_error_code"]) == (
            "GroundFailure",
            "ACME",
            "E42",
        )
        assert (fault["station_identity"], fault["connector_id"], fault["info"]) == (
            STATION,
            1,
            "earth leak",
        )
        assert fault["duration_s"] >= 0
        ac1 = await station_id(script)
        assert (await script.get(f"/api/admin/stations/{ac1}")).json()["open_faults"] == 1

        acknowledged = await script.post(f"/api/admin/faults/{fault['id']}/acknowledge")
        assert acknowledged.status_code == 200
        assert acknowledged.json()["acknowledged_by"].startswith("API token")
        resolved = await script.post(f"/api/admin/faults/{fault['id']}/resolve")
        assert resolved.json()["status"] == "resolved"
        assert resolved.json()["resolved_by"].startswith("API token")
        again = await script.post(f"/api/admin/faults/{fault['id']}/resolve")
        assert (again.status_code, again.json()["code"]) == (409, "fault_resolved")
        assert (await script.get("/api/admin/faults", params={"status": "open"})).json() == []
        by_station = (await script.get("/api/admin/faults", params={"station_id": ac1})).json()
        assert [f["id"] for f in by_station] == [fault["id"]]
        log = (await script.get("/api/admin/audit", params={"action": "fault"})).json()
        assert [e["action"] for e in log["entries"]] == ["fault.resolve", "fault.acknowledge"]


async def read_events(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    event = ""
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event == "dashboard":
            yield json.loads(line.split(":", 1)[1])


def connector_status(board: dict[str, Any], identity: str, connector: int) -> str:
    station = next(s for s in board["stations"] if s["identity"] == identity)
    evse = next(e for e in station["evses"] if e["ocpp_connector_id"] == connector)
    status: str = evse["connectors"][0]["status"]
    return status


async def test_the_dashboard_streams_changes_of_the_operators_stations_only(
    site: AccountsPlatform, demo: Context
) -> None:
    rival = await rival_token(demo)
    async with (
        token_client(site) as script,
        token_client(site, rival) as other,
        script.stream("GET", "/api/admin/dashboard/events") as mine,
        other.stream("GET", "/api/admin/dashboard/events") as theirs,
    ):
        assert mine.headers["content-type"].startswith("text/event-stream")
        my_events = read_events(mine)
        their_events = read_events(theirs)
        first = await anext(my_events)
        assert {s["identity"] for s in first["stations"]} >= {STATION, "DEMO-DC-1"}
        assert first["today"]["time_zone"] == "Europe/Berlin"
        assert first["today"]["energy_wh"] == 0
        their_first = await anext(their_events)
        assert their_first["stations"] == []
        assert their_first["open_faults"] == []

        async with connect(site.platform.ocpp_url, STATION, PASSWORD) as client:
            await booted(client)
            await status(client, 2, "Preparing")
            async with asyncio.timeout(WAIT_S):
                async for board in my_events:
                    if connector_status(board, STATION, 2) == "Preparing":
                        station = next(s for s in board["stations"] if s["identity"] == STATION)
                        assert station["connected"] is True
                        break
            await status(client, 1, "Faulted", "HighTemperature")
            async with asyncio.timeout(WAIT_S):
                async for board in my_events:
                    if board["open_fault_count"] == 1:
                        assert board["open_faults"][0]["error_code"] == "HighTemperature"
                        break
        # The rival's stream was not woken by any of it; whatever it sent holds nothing of ours.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1):
                async for board in their_events:
                    assert board["stations"] == []
                    assert board["open_faults"] == []
                    assert board["active_sessions"] == []
        snapshot = (await other.get("/api/admin/dashboard")).json()
        assert snapshot["stations"] == []
        assert snapshot["active_sessions"] == []
        assert snapshot["open_fault_count"] == 0


async def test_staff_send_commands_and_handle_faults_but_do_not_edit(
    site: AccountsPlatform, demo: Context
) -> None:
    operator = await Operator.select(Operator.id).where(Operator.slug == "demo").first()
    assert operator is not None
    await accounts.create_user(
        demo,
        operator["id"],
        accounts.UserInput(email="staff@example.org", role=Role.OPERATOR_STAFF),
    )
    staff = await site.logged_in("staff@example.org")
    admin = await site.logged_in(DEMO_OPERATOR_ADMIN_EMAIL)
    async with connect(site.platform.ocpp_url, STATION, PASSWORD) as client:
        await booted(client)
        client.handlers["Reset"] = lambda payload: {"status": "Accepted"}
        listed = (await staff.get("/api/admin/stations")).json()
        ac1 = next(s["id"] for s in listed if s["identity"] == STATION)
        evse = listed[0]["evses"][0]["id"]
        site_id = listed[0]["site"]["id"]
        sent = await staff.post(
            f"/api/admin/stations/{ac1}/commands", {"type": "reset", "kind": "Soft"}
        )
        assert sent.status_code == 200, sent.text
        assert sent.json()["result"]["status"] == "Accepted"
        await status(client, 1, "Faulted", "GroundFailure")
        fault = (await staff.get("/api/admin/faults")).json()[0]
        assert (await staff.post(f"/api/admin/faults/{fault['id']}/acknowledge")).status_code == 200
        assert (await staff.get(f"/api/admin/stations/{ac1}/messages")).status_code == 200

    forbidden = [
        ("POST", "/api/admin/stations", {"identity": "STAFF-1"}),
        ("PATCH", f"/api/admin/stations/{ac1}", {"name": "x"}),
        ("POST", f"/api/admin/stations/{ac1}/registration", {"status": "Rejected"}),
        (
            "POST",
            f"/api/admin/stations/{ac1}/evses",
            {"evse_id": "DE*DEM*E0001*7", "ocpp_connector_id": 7, "max_power_w": 1},
        ),
        ("PATCH", f"/api/admin/evses/{evse}", {"max_power_w": 1}),
        ("POST", "/api/admin/sites", {"name": "x"}),
        ("PUT", f"/api/admin/sites/{site_id}", {"name": "x"}),
        ("PUT", "/api/admin/notifications", {}),
        ("POST", "/api/admin/notifications/webhook-secret", None),
    ]
    for method, path, body in forbidden:
        refused = await staff.send(method, path, body)
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden_role"), path
    assert (
        await admin.send("PATCH", f"/api/admin/stations/{ac1}", {"name": "x"})
    ).status_code == 200
    forged = await admin.send("PATCH", f"/api/admin/stations/{ac1}", {"name": "y"}, csrf=False)
    assert (forged.status_code, forged.json()["code"]) == (403, "csrf_failed")
    log = (await admin.get("/api/admin/audit", params={"action": "station.command.reset"})).json()
    assert log["entries"][0]["actor"] == "staff@example.org"


async def test_another_operator_reaches_nothing_of_the_network(
    site: AccountsPlatform, demo: Context
) -> None:
    rival = await rival_token(demo)
    async with (
        token_client(site) as script,
        connect(site.platform.ocpp_url, STATION, PASSWORD) as client,
    ):
        ours = {
            "email_recipients": ["ops@example.org"],
            "webhook_url": "https://hooks.example.org/a",
        }
        assert (await script.put("/api/admin/notifications", json=ours)).status_code == 200
        await booted(client)
        await status(client, 1, "Faulted", "GroundFailure")
        ac1 = await station_id(script)
        station = (await script.get(f"/api/admin/stations/{ac1}")).json()
        evse = station["evses"][0]["id"]
        site_id = station["site"]["id"]
        fault = (await script.get("/api/admin/faults")).json()[0]["id"]
        before = (await script.get(f"/api/admin/stations/{ac1}")).json()

        async with token_client(site, rival) as other:
            reads = [
                f"/api/admin/stations/{ac1}",
                f"/api/admin/stations/{ac1}/messages",
                f"/api/admin/stations/{ac1}/sessions",
            ]
            for path in reads:
                response = await other.get(path)
                assert (response.status_code, response.json()["code"]) == (404, "not_found"), path
            faults_there = await other.get("/api/admin/faults", params={"station_id": ac1})
            assert faults_there.status_code == 404
            for path in (
                "/api/admin/stations",
                "/api/admin/sites",
                "/api/admin/faults",
                "/api/admin/notifications/deliveries",
            ):
                assert (await other.get(path)).json() == [], path
            dashboard = (await other.get("/api/admin/dashboard")).json()
            assert (dashboard["stations"], dashboard["open_faults"]) == ([], [])

            changes = [
                ("PATCH", f"/api/admin/stations/{ac1}", {"name": "stolen"}),
                ("POST", f"/api/admin/stations/{ac1}/registration", {"status": "Rejected"}),
                (
                    "POST",
                    f"/api/admin/stations/{ac1}/evses",
                    {"evse_id": "DE*RIV*E0001*5", "ocpp_connector_id": 5, "max_power_w": 1},
                ),
                ("POST", f"/api/admin/stations/{ac1}/commands", {"type": "reset", "kind": "Hard"}),
                ("PATCH", f"/api/admin/evses/{evse}", {"max_power_w": 1}),
                ("PUT", f"/api/admin/sites/{site_id}", {"name": "stolen"}),
                ("POST", f"/api/admin/faults/{fault}/acknowledge", None),
                ("POST", f"/api/admin/faults/{fault}/resolve", None),
            ]
            for method, path, body in changes:
                response = await other.request(method, path, json=body)
                assert response.status_code == 404, (path, response.text)
            # Its notification settings are its own: it neither sees nor changes ours.
            theirs = (await other.get("/api/admin/notifications")).json()
            assert theirs["email_recipients"] == []
            assert theirs["webhook_url"] == ""
            changed = await other.put(
                "/api/admin/notifications", json={"email_recipients": ["rival@example.org"]}
            )
            assert changed.status_code == 200
            assert (await other.post("/api/admin/notifications/webhook-secret")).status_code == 201
            # Moving its own station onto our site does not work either.
            own = await other.post("/api/admin/stations", json={"identity": "RIV-1"})
            moved = await other.patch(
                f"/api/admin/stations/{own.json()['station']['id']}", json={"site_id": site_id}
            )
            assert moved.status_code == 404
            placed = await other.post(
                "/api/admin/stations", json={"identity": "RIV-2", "site_id": site_id}
            )
            assert placed.status_code == 404

        assert "Reset" not in [action for action, _ in client.received_calls]
        after = (await script.get(f"/api/admin/stations/{ac1}")).json()
        assert after == before
        assert (await script.get("/api/admin/faults", params={"status": "open"})).json()[0][
            "acknowledged_at"
        ] is None
        mine = (await script.get("/api/admin/notifications")).json()
        assert mine["email_recipients"] == ["ops@example.org"]
        assert mine["has_webhook_secret"] is False


async def test_todays_figures_come_from_the_charge_detail_records(site: AccountsPlatform) -> None:
    async with (
        token_client(site) as script,
        connect(site.platform.ocpp_url, STATION, PASSWORD) as client,
    ):
        await booted(client)
        now = site.clock.now().replace(microsecond=0)
        started = await client.call(
            "StartTransaction",
            {
                "connectorId": 1,
                "idTag": "04A2B3C4D5E6F7",
                "meterStart": 10_000,
                "timestamp": (now - timedelta(minutes=30)).isoformat(),
            },
        )
        transaction_id = started["transactionId"]
        running = (await script.get("/api/admin/dashboard")).json()
        assert [s["transaction_id"] for s in running["active_sessions"]] == [str(transaction_id)]
        await client.call(
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "meterStop": 15_432,
                "timestamp": now.isoformat(),
                "reason": "Local",
            },
        )
        today = (await script.get("/api/admin/dashboard")).json()["today"]
        assert (today["sessions"], today["energy_wh"]) == (1, 5_432)
        assert today["time_zone"] == "Europe/Berlin"
        [revenue] = today["revenue"]
        assert revenue["currency"] == "EUR"
        assert revenue["gross_minor"] > 0

        # A corrected record counts once, with the corrected energy and amount.
        cdr = (await script.get("/api/admin/cdrs")).json()["items"][0]
        corrected = await script.post(
            f"/api/admin/cdrs/{cdr['id']}/corrections",
            json={"reason": "meter misread", "energy_wh": 4_000},
        )
        assert corrected.status_code == 201, corrected.text
        after = (await script.get("/api/admin/dashboard")).json()["today"]
        assert (after["sessions"], after["energy_wh"]) == (1, 4_000)
        assert after["revenue"][0]["gross_minor"] == corrected.json()["rebill"]["gross_minor"]
