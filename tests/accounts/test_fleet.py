"""The fleet manager of Musterbau GmbH (the demo's company): sees the company's people and
cards, sets a card's cost centre, label and holder, and sees October per cost centre — a
session stays booked where it was charged after its card moves to another cost centre, and
corrections count. The CSV has one row per record, for German Excel. Drivers get 403."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from cpo.cdrs import service as cdrs
from cpo.cdrs.tables import Cdr
from cpo.demo import DEMO_FLEET_MANAGER_EMAIL
from tests.accounts.test_my_cards import (
    ANNA_CARD,
    CARLA,
    CARLA_CARD,
    DAVID_CARD,
    POOL_CARD,
    operator_script,
)
from tests.accounts.test_my_cards import card_id as card_of
from tests.support.accounts import AccountsPlatform, Browser
from tests.support.contract_sessions import Charger

BERLIN = ZoneInfo("Europe/Berlin")


def october(day: int, hour: int) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=BERLIN).astimezone(UTC)


async def gross(session_id: int) -> int:
    row = await Cdr.select(Cdr.gross_minor).where(Cdr.session == session_id).first()
    assert row is not None
    return int(row["gross_minor"])


def by_centre(month: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {centre["cost_centre"]: centre for centre in month["cost_centres"]}


async def month(manager: Browser, period: str = "2026-10") -> dict[str, Any]:
    answer = await manager.get("/api/me/fleet/sessions", params={"period": period})
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def test_the_month_per_cost_centre_keeps_where_a_session_was_charged(
    site: AccountsPlatform,
) -> None:
    manager = await site.logged_in(DEMO_FLEET_MANAGER_EMAIL)
    charger = Charger(site.ctx)
    first = await charger.charge(CARLA_CARD, october(5, 8), 10_000)
    # The card moves to another cost centre; its next session is booked there.
    moved = await manager.send(
        "PATCH",
        f"/api/me/fleet/cards/{await card_of(CARLA_CARD)}",
        {"cost_centre": "KST 300 Projekte", "label": "Carla (Projekte)"},
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["cost_centre"], moved.json()["label"]) == (
        "KST 300 Projekte",
        "Carla (Projekte)",
    )
    second = await charger.charge(CARLA_CARD, october(6, 8), 5_000)
    david = await charger.charge(DAVID_CARD, october(7, 8), 2_000)
    pool = await charger.charge(POOL_CARD, october(8, 8), 1_000)
    await charger.charge(ANNA_CARD, october(9, 8), 3_000)  # another customer's
    await charger.charge(CARLA_CARD, datetime(2026, 11, 1, 8, tzinfo=BERLIN), 4_000)  # November
    running = await charger.start(DAVID_CARD, datetime.now(UTC))

    shown = await month(manager)
    centres = by_centre(shown)
    assert list(centres) == ["KST 100 Vertrieb", "KST 200 Service", "KST 300 Projekte"]
    sales, service, projects = centres.values()
    assert (sales["sessions"], sales["energy_wh"]) == (1, 10_000)
    assert sales["cost"] == [
        {"currency": "EUR", "gross_minor": await gross(first), "text": sales["cost"][0]["text"]}
    ]
    assert (projects["sessions"], projects["energy_wh"]) == (1, 5_000)
    assert projects["cost"][0]["gross_minor"] == await gross(second) > 0
    assert (service["sessions"], service["energy_wh"]) == (2, 3_000)
    assert service["cost"][0]["gross_minor"] == await gross(david) + await gross(pool)
    assert [(d["name"], d["sessions"], d["energy_wh"]) for d in service["drivers"]] == [
        ("David Klein", 1, 2_000),
        ("", 1, 1_000),  # the pool car's card: nobody holds it
    ]
    assert shown["sessions"] == 4
    assert shown["energy_wh"] == 18_000
    (now,) = shown["running"]
    assert (now["session_id"], now["cost_centre"], now["holder_name"]) == (
        running.session_id,
        "KST 200 Service",
        "David Klein",
    )

    # A correction counts in the month of the session: 10 kWh were really 8 kWh.
    original = await cdrs.cdr_of_session(first)
    assert original is not None
    _, rebill = await cdrs.correct_cdr(
        site.ctx, original.operator_id, original.id, reason="meter fault", energy_wh=8_000
    )
    assert rebill is not None
    assert rebill.cost_centre == "KST 100 Vertrieb"  # corrections keep it too
    sales = by_centre(await month(manager))["KST 100 Vertrieb"]
    assert (sales["sessions"], sales["energy_wh"]) == (1, 8_000)
    assert sales["cost"][0]["gross_minor"] == rebill.gross_minor

    november = by_centre(await month(manager, "2026-11"))
    assert list(november) == ["KST 300 Projekte"]
    bad = await manager.get("/api/me/fleet/sessions", params={"period": "October"})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_period")

    # One row per record: German Excel's dialect, the credit's energy negative.
    export = await manager.get(
        "/api/me/fleet/sessions.csv", params={"date_from": "2026-10-01", "date_to": "2026-11-01"}
    )
    assert export.status_code == 200, export.text
    assert export.headers["content-disposition"].startswith("attachment;")
    assert export.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert [row["kind"] for row in rows] == [
        "session",
        "session",
        "session",
        "session",
        "credit",
        "rebill",
    ]
    carla = rows[0]
    assert carla["card_uid"] == CARLA_CARD
    assert carla["driver"] == "Carla Weber"
    assert carla["cost_centre"] == "KST 100 Vertrieb"
    assert carla["evse_id"] == "DE*DEM*E0001*1"
    assert carla["energy_kwh"] == "10,000"
    assert carla["started_at"] == "05.10.2026 08:00"
    assert carla["record_number"] == original.number
    assert carla["gross"] == f"{original.gross_minor // 100},{original.gross_minor % 100:02d}"
    assert rows[1]["cost_centre"] == "KST 300 Projekte"
    assert rows[3]["driver"] == ""
    assert rows[4]["energy_kwh"] == "-10,000"
    assert rows[4]["gross"].startswith("-")
    assert rows[5]["energy_kwh"] == "8,000"
    backwards = await manager.get(
        "/api/me/fleet/sessions.csv", params={"date_from": "2026-11-01", "date_to": "2026-10-01"}
    )
    assert (backwards.status_code, backwards.json()["code"]) == (400, "invalid_period")


async def test_the_fleet_manager_sees_people_and_cards_and_hands_cards_out(
    site: AccountsPlatform,
) -> None:
    manager = await site.logged_in(DEMO_FLEET_MANAGER_EMAIL)
    fleet = (await manager.get("/api/me/fleet")).json()
    assert fleet["customer_name"] == "Musterbau GmbH"
    people = {person["name"]: person for person in fleet["people"]}
    assert set(people) == {"Carla Weber", "David Klein", "Fatma Yilmaz"}
    assert people["Fatma Yilmaz"]["role"] == "fleet_manager"
    assert people["Fatma Yilmaz"]["last_login_at"] is not None
    assert people["Carla Weber"]["last_login_at"] is None
    carla_holds = {token["uid"] for token in people["Carla Weber"]["tokens"]}
    assert CARLA_CARD in carla_holds
    assert len(carla_holds) == 2
    cards = {card["uid"]: card for card in fleet["cards"]}
    assert ANNA_CARD not in cards
    assert (cards[POOL_CARD]["holder_id"], cards[POOL_CARD]["cost_centre"]) == (
        None,
        "KST 200 Service",
    )
    assert fleet["cost_centres"] == ["KST 100 Vertrieb", "KST 200 Service"]

    pool = await card_of(POOL_CARD)
    handed = await manager.send(
        "PATCH", f"/api/me/fleet/cards/{pool}", {"holder_id": people["Carla Weber"]["id"]}
    )
    assert handed.status_code == 200, handed.text
    assert handed.json()["holder_name"] == "Carla Weber"
    assert handed.json()["cost_centre"] == "KST 200 Service"  # left out: unchanged
    cleared = await manager.send("PATCH", f"/api/me/fleet/cards/{pool}", {"cost_centre": None})
    assert cleared.json()["cost_centre"] == ""
    anna = await site.logged_in("anna@example.org")
    anna_id = (await anna.get("/api/me")).json()["user"]["id"]
    stranger = await manager.send("PATCH", f"/api/me/fleet/cards/{pool}", {"holder_id": anna_id})
    assert (stranger.status_code, stranger.json()["code"]) == (422, "holder_not_of_customer")
    foreign = await manager.send(
        "PATCH", f"/api/me/fleet/cards/{await card_of(ANNA_CARD)}", {"cost_centre": "X"}
    )
    assert (foreign.status_code, foreign.json()["code"]) == (404, "card_not_found")
    app_token = next(
        token["id"] for token in people["Carla Weber"]["tokens"] if token["type"] == "APP_USER"
    )
    given_away = await manager.send(
        "PATCH", f"/api/me/fleet/cards/{app_token}", {"holder_id": people["David Klein"]["id"]}
    )
    assert (given_away.status_code, given_away.json()["code"]) == (422, "app_token_holder")

    # Carla now sees the pool car's card among hers; the log says who handed it to her.
    carla = await site.logged_in(CARLA)
    assert POOL_CARD in {card["uid"] for card in (await carla.get("/api/me/cards")).json()}
    async with operator_script(site) as operator:
        log = (await operator.get("/api/admin/audit", params={"action": "card.update"})).json()
        assert {entry["actor"] for entry in log["entries"]} == {DEMO_FLEET_MANAGER_EMAIL}
        assert {entry["actor_kind"] for entry in log["entries"]} == {"customer"}


async def test_drivers_and_other_customers_get_no_fleet_view(site: AccountsPlatform) -> None:
    for email in (CARLA, "anna@example.org"):
        driver = await site.logged_in(email)
        for path, params in (
            ("/api/me/fleet", {}),
            ("/api/me/fleet/sessions", {"period": "2026-10"}),
            ("/api/me/fleet/sessions.csv", {"date_from": "2026-10-01", "date_to": "2026-11-01"}),
        ):
            refused = await driver.get(path, params=params)
            assert (refused.status_code, refused.json()["code"]) == (403, "forbidden_role"), path
        change = await driver.send(
            "PATCH", f"/api/me/fleet/cards/{await card_of(CARLA_CARD)}", {"cost_centre": "X"}
        )
        assert change.status_code == 403
    anonymous = site.browser()
    assert (await anonymous.get("/api/me/fleet")).status_code == 401
