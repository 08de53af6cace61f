"""Charge detail records: written once per session, priced under the frozen tariff, numbered
without gaps, never changed (corrections are new records)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cpo.cdrs import service as cdrs
from cpo.cdrs.enums import CdrKind
from cpo.cdrs.tables import Cdr
from cpo.context import Context
from cpo.errors import Conflict
from cpo.operators.tables import Operator
from cpo.sessions import service as sessions
from cpo.sessions.schemas import MeterReading, SampledValue, StartReport, StopReport
from cpo.stations.schemas import StationRef
from cpo.stations.tables import ChargeStation
from cpo.tariffs import service as tariffs
from cpo.tariffs.enums import AssignmentScope, TariffKind
from cpo.tariffs.schemas import ComponentType, PriceComponent, TariffDefinition, TariffElement
from cpo.tariffs.tables import TariffAssignment
from cpo.tokens.tables import IdToken

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ANNA = "04A2B3C4D5E6F7"


@pytest.fixture(autouse=True)
async def without_demo_tariffs(demo: Context) -> None:
    """These tests bring their own tariffs; the demo's would only be in the way."""
    await TariffAssignment.delete(force=True)
    await IdToken.update({IdToken.customer_group: None}, force=True)


def energy_and_flat(kwh_price: int, flat: int = 0) -> TariffDefinition:
    components = [PriceComponent(type=ComponentType.ENERGY, price_micro=kwh_price)]
    if flat:
        components.append(PriceComponent(type=ComponentType.FLAT, price_micro=flat))
    return TariffDefinition(
        currency="EUR", vat_rate_bp=1900, elements=(TariffElement(components=tuple(components)),)
    )


async def station(identity: str = "DEMO-AC-1") -> StationRef:
    row = await ChargeStation.select().where(ChargeStation.identity == identity).first()
    assert row is not None
    return StationRef(row["id"], row["operator"], identity)


async def assign_ad_hoc(
    ctx: Context,
    definition: TariffDefinition,
    *,
    scope: AssignmentScope = AssignmentScope.OPERATOR,
    target: str | None = None,
    name: str = "Ad hoc",
) -> int:
    created = await tariffs.create_tariff(
        ctx, 1, tariffs.TariffInput(name=name, definition=definition)
    )
    await tariffs.assign_tariff(
        ctx, 1, tariffs.Assignment(scope=scope, target=target, tariff_id=created.id)
    )
    return created.id


async def charge(
    ctx: Context,
    *,
    energy_wh: int,
    minutes: int = 60,
    id_tag: str = ANNA,
    connector: int = 1,
    start: datetime = START,
    signed: str | None = None,
) -> int:
    ref = await station()
    started = await sessions.start_transaction(
        ctx,
        ref,
        StartReport(connector_id=connector, id_tag=id_tag, meter_start_wh=50_000, timestamp=start),
    )
    readings: tuple[MeterReading, ...] = ()
    if signed is not None:
        readings = (
            MeterReading(
                start + timedelta(minutes=minutes),
                (SampledValue(value=signed, format="SignedData", context="Transaction.End"),),
            ),
        )
    await sessions.stop_transaction(
        ctx,
        ref,
        StopReport(
            transaction_id=started.transaction_id,
            meter_stop_wh=50_000 + energy_wh,
            timestamp=start + timedelta(minutes=minutes),
            id_tag=id_tag,
            transaction_data=readings,
        ),
    )
    return started.session_id


async def test_a_finished_session_gets_its_priced_record(demo: Context) -> None:
    await assign_ad_hoc(demo, energy_and_flat(490_000, flat=350_000))
    ocmf = 'OCMF|{"FV":"1.0","RD":[{"RV":22.5,"RU":"kWh"}]}|{"SD":"30450221"}'
    session_id = await charge(demo, energy_wh=22_500, signed=ocmf)
    cdr = await cdrs.cdr_of_session(session_id)
    assert cdr is not None
    # 22.5 kWh × 0.49 € = 11.025 € + 0.35 € = 11.375 € → 11.38 €; net 11.38 / 1.19 = 9.56 €.
    assert (cdr.gross_minor, cdr.net_minor, cdr.vat_minor) == (1138, 956, 182)
    assert [(line.type, line.amount_minor) for line in cdr.lines] == [
        (ComponentType.ENERGY, 1103),
        (ComponentType.FLAT, 35),
    ]
    assert cdr.number == "DEM-00000001"
    assert (cdr.energy_wh, cdr.meter_start_wh, cdr.meter_stop_wh) == (22_500, 50_000, 72_500)
    assert (cdr.evse_id, cdr.station_identity, cdr.site_name) == (
        "DE*DEM*E0001*1",
        "DEMO-AC-1",
        "Parkhaus Mitte",
    )
    assert cdr.address == "Alexanderplatz 1, 10178 Berlin"
    assert cdr.id_tag == ANNA
    assert cdr.token_type == "RFID"
    assert cdr.tariff_name == "Ad hoc"
    assert [value.value for value in cdr.signed_data] == [ocmf]
    assert len(cdr.receipt_token) >= 40
    assert (await cdrs.cdr_for_receipt(cdr.receipt_token)).id == cdr.id


async def test_numbers_have_no_gaps_and_count_per_operator(demo: Context) -> None:
    await assign_ad_hoc(demo, energy_and_flat(390_000))
    first = await charge(demo, energy_wh=1_000)
    second = await charge(demo, energy_wh=2_000, connector=2, start=START + timedelta(hours=2))
    numbers = [(await cdrs.cdr_of_session(session)).number for session in (first, second)]  # type: ignore[union-attr]
    assert numbers == ["DEM-00000001", "DEM-00000002"]


async def test_a_tariff_change_never_reaches_a_running_session(demo: Context) -> None:
    tariff_id = await assign_ad_hoc(demo, energy_and_flat(390_000))
    ref = await station()
    started = await sessions.start_transaction(
        demo, ref, StartReport(connector_id=1, id_tag=ANNA, meter_start_wh=0, timestamp=START)
    )
    await tariffs.update_tariff(
        demo, 1, tariff_id, tariffs.TariffInput(name="Dearer", definition=energy_and_flat(990_000))
    )
    await sessions.stop_transaction(
        demo,
        ref,
        StopReport(
            transaction_id=started.transaction_id,
            meter_stop_wh=10_000,
            timestamp=START + timedelta(hours=1),
        ),
    )
    cdr = await cdrs.cdr_of_session(started.session_id)
    assert cdr is not None
    assert cdr.gross_minor == 390  # 10 kWh × 0.39 €, the price when it started
    assert cdr.tariff_version == 1


async def test_records_cannot_be_changed_or_deleted(demo: Context) -> None:
    await assign_ad_hoc(demo, energy_and_flat(390_000))
    session_id = await charge(demo, energy_wh=1_000)
    cdr = await cdrs.cdr_of_session(session_id)
    assert cdr is not None
    with pytest.raises(Exception, match="immutable"):
        await Cdr.update({Cdr.gross_minor: 1}).where(Cdr.id == cdr.id)
    with pytest.raises(Exception, match="immutable"):
        await Cdr.delete().where(Cdr.id == cdr.id)
    assert (await cdrs.cdr_of_session(session_id)) == cdr


async def test_issuing_is_idempotent_and_the_sweeper_fills_gaps(demo: Context) -> None:
    await assign_ad_hoc(demo, energy_and_flat(390_000))
    session_id = await charge(demo, energy_wh=1_000)
    assert await cdrs.issue_cdr(demo, session_id) == await cdrs.cdr_of_session(session_id)
    assert await cdrs.issue_missing_cdrs(demo) == 0
    assert await Cdr.count() == 1


async def test_sessions_awaiting_reconciliation_get_no_record_yet(demo: Context) -> None:
    ref = await station()
    await sessions.stop_transaction(
        demo, ref, StopReport(transaction_id="999", meter_stop_wh=5_000, timestamp=START)
    )
    assert await Cdr.count() == 0
    assert await cdrs.issue_missing_cdrs(demo) == 0


async def test_the_most_specific_assignment_wins(demo: Context) -> None:
    await assign_ad_hoc(demo, energy_and_flat(490_000), name="Everywhere")
    await assign_ad_hoc(
        demo, energy_and_flat(450_000), scope=AssignmentScope.SITE, target="1", name="Car park"
    )
    await assign_ad_hoc(
        demo,
        energy_and_flat(390_000),
        scope=AssignmentScope.EVSE,
        target="de*dem*e0001*1",
        name="Bay 1",
    )
    on_bay_1 = await cdrs.cdr_of_session(await charge(demo, energy_wh=10_000))
    on_bay_2 = await cdrs.cdr_of_session(await charge(demo, energy_wh=10_000, connector=2))
    assert on_bay_1 is not None
    assert on_bay_2 is not None
    assert (on_bay_1.tariff_name, on_bay_1.gross_minor) == ("Bay 1", 390)
    assert (on_bay_2.tariff_name, on_bay_2.gross_minor) == ("Car park", 450)


async def test_without_a_tariff_the_session_is_recorded_free(demo: Context) -> None:
    session_id = await charge(demo, energy_wh=3_000)
    cdr = await cdrs.cdr_of_session(session_id)
    assert cdr is not None
    assert (cdr.gross_minor, cdr.energy_wh, cdr.currency, cdr.lines) == (0, 3_000, "EUR", ())


async def test_customer_groups_charge_under_their_contract_tariff(demo: Context) -> None:
    await assign_ad_hoc(demo, energy_and_flat(490_000))
    employees = await tariffs.create_tariff(
        demo,
        1,
        tariffs.TariffInput(
            name="Employees", kind=TariffKind.REGULAR, definition=energy_and_flat(0)
        ),
    )
    await tariffs.assign_tariff(
        demo,
        1,
        tariffs.Assignment(
            scope=AssignmentScope.CUSTOMER_GROUP, target="employees", tariff_id=employees.id
        ),
    )
    await IdToken.update({IdToken.customer_group: "employees"}).where(IdToken.uid == ANNA)
    employee = await cdrs.cdr_of_session(await charge(demo, energy_wh=10_000))
    guest = await cdrs.cdr_of_session(
        await charge(demo, energy_wh=10_000, id_tag="04B1C2D3E4F5A6", connector=2)
    )
    assert employee is not None
    assert guest is not None
    assert (employee.gross_minor, employee.tariff_name) == (0, "Employees")
    assert (guest.gross_minor, guest.tariff_name) == (490, "Ad hoc")


async def test_corrections_are_credit_and_rebill_records(demo: Context) -> None:
    await assign_ad_hoc(demo, energy_and_flat(400_000))
    original = await cdrs.cdr_of_session(await charge(demo, energy_wh=10_000))
    assert original is not None
    credit, rebill = await cdrs.correct_cdr(
        demo, 1, original.id, reason="meter replaced, reading was wrong", energy_wh=8_000
    )
    assert (credit.kind, credit.corrects_id, credit.gross_minor) == (
        CdrKind.CREDIT,
        original.id,
        -400,
    )
    assert [line.amount_minor for line in credit.lines] == [-400]
    assert rebill is not None
    assert (rebill.kind, rebill.corrects_id, rebill.gross_minor, rebill.energy_wh) == (
        CdrKind.REBILL,
        original.id,
        320,
        8_000,
    )
    assert (credit.number, rebill.number) == ("DEM-00000002", "DEM-00000003")
    assert await cdrs.get_cdr(1, original.id) == original
    with pytest.raises(Conflict, match="corrected already"):
        await cdrs.correct_cdr(demo, 1, original.id, reason="again")


async def test_another_operator_counts_from_one(demo: Context) -> None:
    rows = await Operator.insert(
        Operator(slug="other", name="Other", country_code="DE", party_id="OTH")
    ).returning(Operator.id)
    other_id: Any = rows[0]["id"]
    from cpo import database
    from cpo.cdrs.service import _next_number

    async with database.transaction():
        assert await _next_number(other_id, "OTH") == (1, "OTH-00000001")
        assert await _next_number(1, "DEM") == (1, "DEM-00000001")
        assert await _next_number(other_id, "OTH") == (2, "OTH-00000002")
