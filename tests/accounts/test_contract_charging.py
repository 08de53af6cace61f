"""Charging under a contract from the phone, with a simulated charger: the customer's price,
start with the app token, watch, stop, and the session with the cost of its record in the
customer's list — app and card sessions alike. Ben (employees) charges free, Anna under the
AC price."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from cpo.cdrs.tables import Cdr
from ocpp_bridge.simulator import SimulatedStation
from tests.support.accounts import AccountsPlatform, Browser
from tests.support.shop import simulated_charger

EVSE = "DE*DEM*E0001*1"
WAIT_S = 15.0


@pytest.fixture
async def charger(site: AccountsPlatform) -> AsyncIterator[SimulatedStation]:
    async with simulated_charger(site.platform) as station:
        yield station


async def charging_until(charger: SimulatedStation, connector_id: int, energy_wh: int) -> None:
    connector = charger.connector(connector_id)

    def charged() -> bool:
        transaction = connector.transaction
        return (
            transaction is not None
            and transaction.transaction_id is not None
            and transaction.meter_values_delivered > 0
            and connector.meter_wh - transaction.meter_start_wh >= energy_wh
        )

    await charger.wait_for(charged, WAIT_S)


async def stopped(charger: SimulatedStation) -> None:
    transaction = charger.transactions[-1]
    await charger.wait_for(lambda: transaction.stop_delivered, WAIT_S)


async def sessions(browser: Browser, **query: Any) -> list[dict[str, Any]]:
    answer = await browser.get("/api/me/sessions", params=query)
    assert answer.status_code == 200, answer.text
    listed: list[dict[str, Any]] = answer.json()
    return listed


async def test_anna_charges_from_her_phone_and_sees_the_cost(
    site: AccountsPlatform, charger: SimulatedStation
) -> None:
    anna = await site.logged_in("anna@example.org")
    price = (await anna.get(f"/api/me/evses/{EVSE}/price")).json()
    assert price["tariff_name"] == "AC ad hoc"
    assert price["price"]["language"] == "de"  # Anna's language
    assert price["price"]["items"][0]["price"] == "0,49\N{NO-BREAK SPACE}€/kWh"

    started = await anna.post(f"/api/evses/{EVSE}/contract-sessions")
    assert started.status_code == 202, started.text
    assert started.json()["evse_id"] == EVSE
    assert started.json()["message"].startswith("Der Ladepunkt startet")
    await charging_until(charger, 1, 2_000)
    app_tag = charger.connector(1).transaction.id_tag  # type: ignore[union-attr]
    assert app_tag.startswith("AP")
    assert len(app_tag) == 20  # an OCPP 1.6 idTag

    [running] = await sessions(anna)
    assert running["state"] == "active"
    assert running["via"] == "app"
    assert running["evse_id"] == EVSE
    assert running["tariff_name"] == "AC ad hoc"
    assert running["final"] is False
    assert running["energy_wh"] >= 1_000
    assert running["cost_minor"] > 0
    assert running["currency"] == "EUR"

    twice = await anna.post(f"/api/evses/{EVSE}/contract-sessions")
    assert twice.status_code == 409
    assert twice.json()["code"] in {"already_charging", "evse_occupied"}
    elsewhere = await anna.post("/api/evses/DE*DEM*E0001*2/contract-sessions")
    assert elsewhere.status_code == 409
    assert elsewhere.json()["code"] == "already_charging"

    stop = await anna.post(f"/api/me/sessions/{running['id']}/stop")
    assert stop.status_code == 200, stop.text
    await stopped(charger)
    [done] = await sessions(anna)
    cdr = await Cdr.select().where(Cdr.session == running["id"]).first()
    assert cdr is not None
    assert done["id"] == running["id"]
    assert done["state"] == "completed"
    assert done["final"] is True
    assert done["cost_minor"] == cdr["gross_minor"] > 0
    assert done["energy_wh"] == cdr["energy_wh"]
    assert done["cdr_number"] == cdr["number"]
    assert done["receipt_token"] == cdr["receipt_token"]
    assert done["cost"].endswith("€")
    assert cdr["tariff_name"] == "AC ad hoc"
    assert cdr["token_type"] == "APP_USER"
    # Stopping it again changes nothing.
    assert (await anna.post(f"/api/me/sessions/{running['id']}/stop")).json()["final"] is True

    # Her RFID card charges under the same contract and shows in the same list.
    await charger.plug_in(2)
    assert await charger.present_card(2, "04A2B3C4D5E6F7") == "Accepted"
    await charging_until(charger, 2, 500)
    newest, older = await sessions(anna, lang="en")
    assert newest["via"] == "card"
    assert newest["state"] == "active"
    assert newest["evse_id"] == "DE*DEM*E0001*2"
    assert older["id"] == running["id"]
    assert older["cost"].startswith("€")  # in English this time
    assert [s["id"] for s in await sessions(anna, limit=1)] == [newest["id"]]
    assert [s["id"] for s in await sessions(anna, before=newest["id"])] == [running["id"]]
    by_card = await anna.post(f"/api/me/sessions/{newest['id']}/stop")
    assert by_card.status_code == 200
    await stopped(charger)

    # Ben sees none of Anna's sessions, and cannot stop them.
    ben = await site.logged_in("ben@example.org")
    assert await sessions(ben) == []
    foreign = await ben.post(f"/api/me/sessions/{running['id']}/stop")
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "session_not_found"


async def test_ben_charges_free_as_an_employee(
    site: AccountsPlatform, charger: SimulatedStation
) -> None:
    ben = await site.logged_in("ben@example.org")
    price = (await ben.get(f"/api/me/evses/{EVSE}/price", params={"lang": "en"})).json()
    assert price["tariff_name"] == "Employees"
    assert price["price"]["items"][0]["price_micro"] == 0
    assert (await ben.post(f"/api/evses/{EVSE}/contract-sessions")).status_code == 202
    await charging_until(charger, 1, 2_000)
    [running] = await sessions(ben)
    assert running["tariff_name"] == "Employees"
    assert running["cost_minor"] == 0
    assert (await ben.post(f"/api/me/sessions/{running['id']}/stop")).status_code == 200
    await stopped(charger)
    [done] = await sessions(ben)
    assert done["final"] is True
    assert done["energy_wh"] > 2_000
    assert done["cost_minor"] == 0
    cdr = await Cdr.select().where(Cdr.session == running["id"]).first()
    assert cdr is not None
    assert cdr["gross_minor"] == 0


async def test_a_busy_or_unknown_charge_point_is_said_so(
    site: AccountsPlatform, charger: SimulatedStation
) -> None:
    ben = await site.logged_in("ben@example.org")
    unknown = await ben.post("/api/evses/DE*DEM*E9999*1/contract-sessions")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "evse_not_found"
    assert unknown.json()["title"].startswith("Wir konnten diesen Ladepunkt nicht finden")
    offline = await ben.post("/api/evses/DE*DEM*E0004*1/contract-sessions")  # no charger runs
    assert offline.status_code == 409
    assert offline.json()["code"] == "evse_offline"
    anna = await site.logged_in("anna@example.org")
    assert (await anna.post(f"/api/evses/{EVSE}/contract-sessions")).status_code == 202
    await charging_until(charger, 1, 100)
    busy = await ben.post(f"/api/evses/{EVSE}/contract-sessions")
    assert busy.status_code == 409
    assert busy.json()["code"] == "evse_occupied"
