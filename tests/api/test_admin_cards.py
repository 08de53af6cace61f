"""Operators manage their cards through the admin API: list and search, create, edit,
assign to a customer, expire, block (refused at once, queued for every station), import
from CSV after a dry run, export, and look up where cards were used. Staff read and
block; admins change the rest; nothing of one operator is visible to another."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from cpo.accounts import service as accounts
from cpo.accounts.enums import Role
from cpo.accounts.tables import Customer
from cpo.context import Context
from cpo.demo import DEMO_OPERATOR_ADMIN_EMAIL
from cpo.operators.service import create_api_token
from cpo.operators.tables import Operator
from cpo.sessions.enums import SessionState
from cpo.sessions.tables import ChargingSession
from cpo.stations.schemas import StationRef
from cpo.stations.tables import ChargeStation, Evse
from cpo.tokens.enums import AuthorizationStatus
from cpo.tokens.service import authorize
from cpo.tokens.tables import TokenPush
from tests.api.test_admin_audit import demo_operator_id, site
from tests.api.test_admin_audit import token_client as script
from tests.support.accounts import AccountsPlatform

__all__ = ["site"]  # the fixture, shared with the audit log's tests

ANNA_CARD = "04A2B3C4D5E6F7"
LOST_CARD = "04C0FFEE000BAD"


async def card_id(client: httpx.AsyncClient | Any, uid: str) -> int:
    page = (await client.get("/api/admin/cards", params={"q": uid})).json()
    (card,) = [card for card in page["cards"] if card["uid"] == uid]
    return int(card["id"])


async def station_ref(identity: str) -> StationRef:
    row = await ChargeStation.select().where(ChargeStation.identity == identity).first()
    assert row is not None
    return StationRef(row["id"], row["operator"], identity)


async def rival(demo: Context) -> str:
    rows = await Operator.insert(
        Operator(slug="rival", name="Rival", country_code="DE", party_id="RIV")
    ).returning(Operator.id)
    await Customer.insert(Customer(operator=rows[0]["id"], name="Rival customer"))
    token, _ = await create_api_token(demo, rows[0]["id"], "rival")
    return token


async def test_the_list_pages_sorts_and_searches(site: AccountsPlatform) -> None:
    async with script(site) as admin:
        first = (await admin.get("/api/admin/cards", params={"limit": 4})).json()
        assert first["total"] >= 6
        assert first["offset"] == 0
        assert len(first["cards"]) == 4
        uids = [card["uid"] for card in first["cards"]]
        for offset in range(4, first["total"], 4):
            rest = await admin.get("/api/admin/cards", params={"limit": 4, "offset": offset})
            uids += [card["uid"] for card in rest.json()["cards"]]
        assert uids == sorted(uids)
        assert len(set(uids)) == first["total"]

        newest = (
            await admin.get("/api/admin/cards", params={"sort": "label", "desc": "true"})
        ).json()
        labels = [card["label"] for card in newest["cards"]]
        assert labels == sorted(labels, reverse=True)

        fleet = (await admin.get("/api/admin/cards", params={"q": "fleet"})).json()
        assert {card["uid"] for card in fleet["cards"]} == {"04FLEET0000001", "04FLEET0000002"}
        by_customer = (await admin.get("/api/admin/cards", params={"q": "Anna"})).json()
        assert ANNA_CARD in {card["uid"] for card in by_customer["cards"]}
        anna = next(card for card in by_customer["cards"] if card["uid"] == ANNA_CARD)
        assert anna["customer_name"]
        blocked = (await admin.get("/api/admin/cards", params={"status": "blocked"})).json()
        assert [card["uid"] for card in blocked["cards"]] == [LOST_CARD]

        wrong = await admin.get("/api/admin/cards", params={"sort": "password"})
        assert wrong.status_code == 400
        assert wrong.json()["code"] == "invalid_request"


async def test_an_admin_creates_edits_assigns_and_expires_and_the_log_has_it(
    site: AccountsPlatform, demo: Context
) -> None:
    admin = await site.logged_in(DEMO_OPERATOR_ADMIN_EMAIL)
    created = await admin.post("/api/admin/cards", {"uid": " 04abcdef01 ", "label": "Spare card 1"})
    assert created.status_code == 201, created.text
    card = created.json()
    assert (card["uid"], card["status"], card["type"]) == ("04ABCDEF01", "active", "RFID")
    again = await admin.post("/api/admin/cards", {"uid": "04ABCDEF01"})
    assert (again.status_code, again.json()["code"]) == (409, "card_exists")

    customer = await accounts.create_customer(
        demo,
        await demo_operator_id(),
        accounts.CustomerInput(name="Hotel Adler", customer_group="hotel"),
    )
    expiry = "2027-06-30T00:00:00Z"
    changed = await admin.send(
        "PATCH",
        f"/api/admin/cards/{card['id']}",
        {
            "label": "Hotel Adler, room 12",
            "expires_at": expiry,
            "group_id": "fleet-stadtwerke",
            "customer_id": customer.id,
        },
    )
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert after["label"] == "Hotel Adler, room 12"
    assert after["expires_at"].startswith("2027-06-30T00:00:00")
    assert after["group_id"] == "FLEET-STADTWERKE"
    assert (after["customer_id"], after["customer_name"]) == (customer.id, "Hotel Adler")
    assert after["customer_group"] == "hotel"  # from the customer
    cleared = await admin.send(
        "PATCH", f"/api/admin/cards/{card['id']}", {"expires_at": None, "customer_group": None}
    )
    assert cleared.json()["expires_at"] is None
    assert cleared.json()["customer_group"] is None
    assert cleared.json()["label"] == "Hotel Adler, room 12"  # left out: unchanged

    unknown = await admin.send("PATCH", f"/api/admin/cards/{card['id']}", {"customer_id": 999_999})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "customer_not_found")
    itself = await admin.send("PATCH", f"/api/admin/cards/{card['id']}", {"group_id": "04abcdef01"})
    assert (itself.status_code, itself.json()["code"]) == (422, "group_is_card")
    bad = await admin.send("PATCH", f"/api/admin/cards/{card['id']}", {"label": "x" * 201})
    assert bad.status_code == 400

    expired = await admin.post(f"/api/admin/cards/{card['id']}/expire")
    assert expired.status_code == 200
    assert expired.json()["status"] == "expired"
    answer = await authorize(demo, await station_ref("DEMO-AC-1"), "04ABCDEF01")
    assert answer.status is AuthorizationStatus.EXPIRED
    assert (await admin.post(f"/api/admin/cards/{card['id']}/unblock")).status_code == 409
    # A new expiry date renews it (and tells the stations).
    renewed = await admin.send(
        "PATCH", f"/api/admin/cards/{card['id']}", {"expires_at": "2099-01-01T00:00:00Z"}
    )
    assert renewed.json()["status"] == "active"
    answer = await authorize(demo, await station_ref("DEMO-AC-1"), "04ABCDEF01")
    assert answer.status is AuthorizationStatus.ACCEPTED
    assert {
        row["reason"] for row in await TokenPush.select().where(TokenPush.token == card["id"])
    } == {"renew"}

    log = (await admin.get("/api/admin/audit", params={"action": "card"})).json()["entries"]
    assert [entry["action"] for entry in log] == [
        "card.update",
        "card.expire",
        "card.update",
        "card.update",
        "card.create",
    ]
    assert {entry["target_id"] for entry in log} == {str(card["id"])}
    assert log[1]["actor"] == DEMO_OPERATOR_ADMIN_EMAIL
    assert (log[0]["before"]["status"], log[0]["after"]["status"]) == ("expired", "active")
    assert (log[1]["before"]["status"], log[1]["after"]["status"]) == ("active", "expired")
    assert log[3]["before"]["label"] == "Spare card 1"
    assert log[3]["after"]["label"] == "Hotel Adler, room 12"
    assert log[4]["before"] is None


async def test_staff_block_and_unblock_but_only_admins_change_the_rest(
    site: AccountsPlatform, demo: Context
) -> None:
    await accounts.create_user(
        demo,
        await demo_operator_id(),
        accounts.UserInput(email="staff@example.org", role=Role.OPERATOR_STAFF),
    )
    staff = await site.logged_in("staff@example.org")
    anna = await card_id(staff, ANNA_CARD)
    station = await station_ref("DEMO-AC-1")
    assert (await authorize(demo, station, ANNA_CARD)).status is AuthorizationStatus.ACCEPTED

    blocked = await staff.post(f"/api/admin/cards/{anna}/block")
    assert blocked.status_code == 200, blocked.text
    assert blocked.json()["status"] == "blocked"
    assert blocked.json()["blocked_at"] is not None
    # Refused at the very next Authorize, whatever the stations know yet.
    assert (await authorize(demo, station, ANNA_CARD)).status is AuthorizationStatus.BLOCKED

    # Queued for every station of the operator; none is connected, so they wait.
    results = (await staff.get(f"/api/admin/cards/{anna}/pushes")).json()
    assert {result["station"] for result in results} == {
        "DEMO-AC-1",
        "DEMO-AC-2",
        "DEMO-AC-3",
        "DEMO-DC-1",
    }
    assert {result["state"] for result in results} == {"pending"}
    assert {result["reason"] for result in results} == {"block"}

    unblocked = await staff.post(f"/api/admin/cards/{anna}/unblock")
    assert unblocked.json()["status"] == "active"
    assert (await authorize(demo, station, ANNA_CARD)).status is AuthorizationStatus.ACCEPTED
    results = (await staff.get(f"/api/admin/cards/{anna}/pushes")).json()
    assert {result["reason"] for result in results} == {"unblock"}
    # One row per card and station: the newer change replaced the older one.
    assert await TokenPush.count().where(TokenPush.token == anna) == 4
    assert (await staff.post(f"/api/admin/cards/{anna}/pushes")).status_code == 200

    for method, path, body in (
        ("POST", "/api/admin/cards", {"uid": "04NEW"}),
        ("PATCH", f"/api/admin/cards/{anna}", {"label": "mine"}),
        ("POST", f"/api/admin/cards/{anna}/expire", None),
        ("POST", "/api/admin/cards/import", {"csv": "uid\n04NEW\n"}),
    ):
        refused = await staff.send(method, path, body)
        assert refused.status_code == 403, (path, refused.text)
        assert refused.json()["code"] == "forbidden_role"
    dry_run = await staff.post("/api/admin/cards/import/dry-run", {"csv": "uid\n04NEW\n"})
    assert dry_run.status_code == 200
    assert (await staff.get("/api/admin/cards/export.csv")).status_code == 200

    log = (await staff.get("/api/admin/audit", params={"action": "card"})).json()["entries"]
    assert [entry["action"] for entry in log] == ["card.resend", "card.unblock", "card.block"]
    assert log[2]["actor"] == "staff@example.org"
    assert (log[2]["before"]["status"], log[2]["after"]["status"]) == ("active", "blocked")

    forged = await staff.post(f"/api/admin/cards/{anna}/block", csrf=False)
    assert forged.status_code == 403
    assert forged.json()["code"] == "csrf_failed"


async def test_import_reports_a_dry_run_then_applies_all_or_nothing(
    site: AccountsPlatform,
) -> None:
    async with script(site) as admin:
        exported = await admin.get("/api/admin/cards/export.csv")
        assert exported.status_code == 200
        assert exported.headers["content-type"].startswith("text/csv")
        assert "attachment" in exported.headers["content-disposition"]
        # An export imports again without changing anything.
        same = (
            await admin.post("/api/admin/cards/import/dry-run", json={"csv": exported.text})
        ).json()
        assert same["invalid"] == 0
        assert same["new"] == same["changed"] == 0
        assert same["unchanged"] == len(list(csv.DictReader(io.StringIO(exported.text))))
        assert "status" in same["ignored_columns"]

        upload = (
            "uid;label;expires_at;customer_group\n"
            f"{ANNA_CARD};Anna Schmidt;;\n"
            "04c0ffee000bad;Lost card, found again;;\n"
            '04NEW0001;=HYPERLINK("x");2027-01-31;visitors\n'
            ";no uid;;\n"
            "04NEW0002;bad date;31.01.2027;\n"
            "04NEW0001;twice;;\n"
        )
        report = (await admin.post("/api/admin/cards/import/dry-run", json={"csv": upload})).json()
        assert (report["new"], report["changed"], report["unchanged"], report["invalid"]) == (
            1,
            1,
            1,
            3,
        )
        rows = {row["line"]: row for row in report["rows"]}
        assert rows[2]["outcome"] == "unchanged"
        assert rows[3]["outcome"] == "changed"
        assert rows[3]["changes"] == {
            "label": {"before": "Lost card (blocked)", "after": "Lost card, found again"}
        }
        assert rows[4]["outcome"] == "new"
        assert rows[4]["changes"]["expires_at"]["after"].startswith("2027-01-31T00:00:00")
        assert rows[5]["reasons"] == ["uid_missing"]
        assert rows[6]["reasons"] == ["expires_at_invalid"]
        assert rows[7]["reasons"] == ["duplicate_uid"]

        refused = await admin.post("/api/admin/cards/import", json={"csv": upload})
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_rows")
        assert (await admin.get("/api/admin/cards", params={"q": "04NEW"})).json()["total"] == 0

        good = "\n".join(upload.splitlines()[:4]) + "\n"
        applied = await admin.post("/api/admin/cards/import", json={"csv": good})
        assert applied.status_code == 200, applied.text
        assert (applied.json()["new"], applied.json()["changed"]) == (1, 1)
        new = (await admin.get("/api/admin/cards", params={"q": "04NEW0001"})).json()["cards"]
        assert new[0]["label"] == '=HYPERLINK("x")'
        assert new[0]["customer_group"] == "visitors"
        lost = (await admin.get("/api/admin/cards", params={"q": LOST_CARD})).json()["cards"]
        assert lost[0]["label"] == "Lost card, found again"
        assert lost[0]["status"] == "blocked"  # import never unblocks
        again = (await admin.post("/api/admin/cards/import/dry-run", json={"csv": good})).json()
        assert again["unchanged"] == 3

        exported = await admin.get("/api/admin/cards/export.csv")
        row = next(
            row for row in csv.DictReader(io.StringIO(exported.text)) if row["uid"] == "04NEW0001"
        )
        assert row["label"] == '\'=HYPERLINK("x")'  # a spreadsheet shows it, never runs it
        log = (await admin.get("/api/admin/audit", params={"action": "card.import"})).json()
        assert len(log["entries"]) == 2

        for body in ({"csv": ""}, {"csv": "label\nx\n"}, {"csv": "uid\n" + "A" * 40 + "\n"}):
            checked = await admin.post("/api/admin/cards/import/dry-run", json=body)
            assert checked.status_code == 200
            assert checked.json()["problems"] or checked.json()["invalid"] == 1
        assert (await admin.post("/api/admin/cards/import/dry-run", json={})).status_code == 400


async def _session(card: int, identity: str, evse_id: str, started: datetime, wh: int) -> None:
    station = await station_ref(identity)
    evse = await Evse.select(Evse.id).where(Evse.evse_id == evse_id).first()
    assert evse is not None
    await ChargingSession.insert(
        ChargingSession(
            operator=station.operator_id,
            station=station.station_id,
            evse=evse["id"],
            ocpp_connector_id=1,
            state=SessionState.COMPLETED,
            id_tag=ANNA_CARD,
            id_token=card,
            started_at=started,
            stopped_at=started + timedelta(hours=1),
            energy_wh=wh,
        )
    )


async def test_where_a_card_charged_and_which_cards_charged_here(site: AccountsPlatform) -> None:
    async with script(site) as admin:
        anna = await card_id(admin, ANNA_CARD)
        lost = await card_id(admin, LOST_CARD)
        start = datetime(2026, 11, 1, 8, tzinfo=UTC)
        await _session(anna, "DEMO-AC-1", "DE*DEM*E0001*1", start, 10_000)
        await _session(anna, "DEMO-AC-2", "DE*DEM*E0002*1", start + timedelta(days=1), 5_000)
        await _session(lost, "DEMO-AC-1", "DE*DEM*E0001*2", start + timedelta(days=2), 1_000)

        used = (await admin.get(f"/api/admin/cards/{anna}/sessions")).json()
        assert [(use["station"], use["evse_id"]) for use in used] == [
            ("DEMO-AC-2", "DE*DEM*E0002*1"),
            ("DEMO-AC-1", "DE*DEM*E0001*1"),
        ]
        assert used[0]["energy_wh"] == 5_000

        here = (await admin.get("/api/admin/cards/used-at", params={"station": "DEMO-AC-1"})).json()
        assert [(use["uid"], use["sessions"], use["energy_wh"]) for use in here] == [
            (LOST_CARD, 1, 1_000),
            (ANNA_CARD, 1, 10_000),
        ]
        at_evse = (
            await admin.get("/api/admin/cards/used-at", params={"evse_id": "de*dem*e0002*1"})
        ).json()
        assert [use["uid"] for use in at_evse] == [ANNA_CARD]
        assert at_evse[0]["last_started_at"].startswith("2026-11-02T08:00:00")
        missing = await admin.get("/api/admin/cards/used-at")
        assert (missing.status_code, missing.json()["code"]) == (422, "station_or_evse_missing")
        unknown = await admin.get("/api/admin/cards/used-at", params={"station": "NOPE"})
        assert (unknown.status_code, unknown.json()["code"]) == (404, "station_not_found")


async def test_operators_never_see_or_change_each_others_cards(
    site: AccountsPlatform, demo: Context
) -> None:
    rival_token = await rival(demo)
    async with script(site) as owner:
        anna = await card_id(owner, ANNA_CARD)
        await _session(
            anna, "DEMO-AC-1", "DE*DEM*E0001*1", datetime(2026, 11, 1, tzinfo=UTC), 1_000
        )
        demo_customer = (await owner.get(f"/api/admin/cards/{anna}")).json()["customer_id"]
    async with script(site, rival_token) as other:
        listed = (await other.get("/api/admin/cards")).json()
        assert (listed["cards"], listed["total"]) == ([], 0)
        assert (await other.get("/api/admin/cards", params={"q": ANNA_CARD})).json()["total"] == 0
        for method, path, body in (
            ("GET", f"/api/admin/cards/{anna}", None),
            ("PATCH", f"/api/admin/cards/{anna}", {"label": "taken"}),
            ("POST", f"/api/admin/cards/{anna}/block", None),
            ("POST", f"/api/admin/cards/{anna}/unblock", None),
            ("POST", f"/api/admin/cards/{anna}/expire", None),
            ("GET", f"/api/admin/cards/{anna}/pushes", None),
            ("POST", f"/api/admin/cards/{anna}/pushes", None),
            ("GET", f"/api/admin/cards/{anna}/sessions", None),
            ("GET", "/api/admin/cards/used-at?station=DEMO-AC-1", None),
            ("GET", "/api/admin/cards/used-at?evse_id=DE*DEM*E0001*1", None),
        ):
            response = await other.request(method, path, json=body)
            assert response.status_code == 404, (method, path, response.text)
        exported = await other.get("/api/admin/cards/export.csv")
        assert len(list(csv.reader(io.StringIO(exported.text)))) == 1  # the header only
        # The rival's import never sees (or touches) the demo operator's cards or customers.
        upload = f"uid,label,customer_id\n{ANNA_CARD},taken,\n04RIVAL,x,{demo_customer}\n"
        report = (await other.post("/api/admin/cards/import/dry-run", json={"csv": upload})).json()
        assert report["rows"][0]["outcome"] == "new"
        assert report["rows"][1]["reasons"] == ["customer_unknown"]
        created = await other.post("/api/admin/cards", json={"uid": "04RIVAL1"})
        assert created.status_code == 201
        rival_card = created.json()["id"]
        assigned = await other.patch(
            f"/api/admin/cards/{rival_card}", json={"customer_id": demo_customer}
        )
        assert assigned.status_code == 404
        # Blocking the rival's card queues nothing for the demo operator's stations.
        await other.post(f"/api/admin/cards/{rival_card}/block")
        assert await TokenPush.count().where(TokenPush.token == rival_card) == 0
    async with script(site) as owner:
        card = (await owner.get(f"/api/admin/cards/{anna}")).json()
        assert (card["label"], card["status"]) == ("Anna Schmidt", "active")
        assert (await owner.get(f"/api/admin/cards/{rival_card}")).status_code == 404
        assert (await owner.post(f"/api/admin/cards/{rival_card}/block")).status_code == 404
        assert (await owner.get("/api/admin/audit", params={"action": "card"})).json()[
            "entries"
        ] == []


async def test_operators_see_and_set_cost_centres_in_the_screens_and_the_csv(
    site: AccountsPlatform,
) -> None:
    async with script(site) as admin:
        pool = await card_id(admin, "04D3A2B3C4D5E6")
        shown = (await admin.get(f"/api/admin/cards/{pool}")).json()
        assert (shown["cost_centre"], shown["blocked_by"]) == ("KST 200 Service", None)
        changed = await admin.patch(f"/api/admin/cards/{pool}", json={"cost_centre": "KST 9"})
        assert changed.json()["cost_centre"] == "KST 9"
        assert (await admin.post(f"/api/admin/cards/{pool}/block")).json()["blocked_by"] == (
            "operator"
        )

        exported = await admin.get("/api/admin/cards/export.csv")
        rows = {row["uid"]: row for row in csv.DictReader(io.StringIO(exported.text))}
        assert (rows["04D3A2B3C4D5E6"]["cost_centre"], rows["04D3A2B3C4D5E6"]["blocked_by"]) == (
            "KST 9",
            "operator",
        )
        assert rows["04D1A2B3C4D5E6"]["cost_centre"] == "KST 100 Vertrieb"
        upload = "uid,cost_centre\n04D3A2B3C4D5E6,KST 200 Service\n04D1A2B3C4D5E6,\n"
        report = (await admin.post("/api/admin/cards/import/dry-run", json={"csv": upload})).json()
        assert [row["changes"] for row in report["rows"]] == [
            {"cost_centre": {"before": "KST 9", "after": "KST 200 Service"}},
            {"cost_centre": {"before": "KST 100 Vertrieb", "after": ""}},
        ]
        assert (
            await admin.post("/api/admin/cards/import", json={"csv": upload})
        ).status_code == 200
        assert (await admin.get(f"/api/admin/cards/{pool}")).json()["cost_centre"] == (
            "KST 200 Service"
        )
        too_long = await admin.post(
            "/api/admin/cards/import/dry-run", json={"csv": f"uid,cost_centre\n04AB,{'x' * 65}\n"}
        )
        assert too_long.json()["rows"][0]["reasons"] == ["cost_centre_too_long"]
