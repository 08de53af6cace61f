"""The price of a session: worked examples checked by hand, then invariants (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpo.money import allocate, round_half_up, split_vat
from cpo.tariffs.pricing import CHARGING_THRESHOLD_W, SessionUsage, UsagePoint, price_session
from cpo.tariffs.schemas import (
    ComponentType,
    PriceBreakdown,
    PriceComponent,
    Restrictions,
    TariffDefinition,
    TariffElement,
    TariffProblem,
    check_definition,
)

BERLIN = ZoneInfo("Europe/Berlin")
ENERGY, TIME, PARKING, FLAT = (
    ComponentType.ENERGY,
    ComponentType.TIME,
    ComponentType.PARKING_TIME,
    ComponentType.FLAT,
)


def euros(amount: str) -> int:
    """Unit prices as operators write them: '0.39' → 390 000 millionths."""
    return int(Fraction(amount) * 1_000_000)


def component(kind: ComponentType, price: str, **extra: int) -> PriceComponent:
    return PriceComponent(type=kind, price_micro=euros(price), **extra)  # type: ignore[arg-type]


def tariff(*elements: TariffElement, **extra: object) -> TariffDefinition:
    definition = TariffDefinition(
        currency=str(extra.pop("currency", "EUR")),
        vat_rate_bp=int(extra.pop("vat_rate_bp", 1900)),  # type: ignore[call-overload]
        elements=elements,
        **extra,  # type: ignore[arg-type]
    )
    check_definition(definition)
    return definition


def element(*components: PriceComponent, **restrictions: object) -> TariffElement:
    return TariffElement(
        components=components,
        restrictions=Restrictions(**restrictions) if restrictions else None,  # type: ignore[arg-type]
    )


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def steady(start: datetime, *stretches: tuple[timedelta, float]) -> SessionUsage:
    """A session made of stretches of constant power (kW); power 0 is parking."""
    points = [UsagePoint(start, 0)]
    moment, energy = start, 0.0
    for length, kilowatts in stretches:
        moment += length
        energy += kilowatts * length.total_seconds() / 3.6
        points.append(UsagePoint(moment, round(energy)))
    return SessionUsage(start, moment, tuple(points))


def h(hours: float) -> timedelta:
    return timedelta(hours=hours)


def amounts(breakdown: PriceBreakdown) -> dict[str, int]:
    return {str(line.type): line.amount_minor for line in breakdown.lines}


# --- worked examples, each checked by hand ---------------------------------------------------


def test_energy_only() -> None:
    # 12.345 kWh × 0.39 €/kWh = 4.81455 € → 4.81 €; net 4.81 / 1.19 = 4.0420 → 4.04 €.
    price = price_session(
        tariff(element(component(ENERGY, "0.39"))),
        SessionUsage(
            local("2026-11-25T08:00"),
            local("2026-11-25T09:30"),
            (UsagePoint(local("2026-11-25T09:30"), 12_345),),
        ),
    )
    assert (price.gross_minor, price.net_minor, price.vat_minor) == (481, 404, 77)
    assert price.lines[0].quantity == 12_345
    assert price.energy_wh == 12_345


def test_energy_flat_fee_and_capped_blocking_fee_after_grace() -> None:
    # 1.5 h charging (12.345 kWh), then 1.5 h parked; the first hour of parking is free.
    # 4.81455 € energy + 30 min × 0.10 € parking + 0.50 € flat = 8.31455 € → 8.31 €.
    definition = tariff(
        element(component(ENERGY, "0.39"), component(FLAT, "0.50")),
        element(component(PARKING, "0.10", grace_s=3600, cap_micro=euros("12"))),
    )
    start = local("2026-11-25T08:00")
    usage = SessionUsage(
        start,
        start + h(3),
        (UsagePoint(start + h(1), 11_000), UsagePoint(start + h(1.5), 12_345)),
    )
    price = price_session(definition, usage)
    assert amounts(price) == {"ENERGY": 481, "PARKING_TIME": 300, "FLAT": 50}
    assert price.gross_minor == 831
    assert (price.charging_s, price.parking_s) == (5400, 5400)
    # Parked for ten hours: 9 h billable × 6 €/h = 54 €, capped at 12 €.
    longer = msgspec_replace(usage, ended_at=start + h(11.5))
    assert amounts(price_session(definition, longer))["PARKING_TIME"] == 1200


def msgspec_replace(usage: SessionUsage, **changes: object) -> SessionUsage:
    import msgspec

    return msgspec.structs.replace(usage, **changes)


def test_minimum_and_maximum_session_price() -> None:
    minimum = tariff(
        element(component(ENERGY, "0.39"), component(FLAT, "1.00")), min_price_micro=euros("3")
    )
    small = price_session(minimum, steady(local("2026-11-25T08:00"), (h(0.25), 8)))  # 2 kWh
    # 0.78 € + 1.00 € = 1.78 €, raised to 3.00 € by a line of +1.22 €.
    assert amounts(small) == {"ENERGY": 78, "FLAT": 100, "MINIMUM_PRICE": 122}
    assert small.gross_minor == 300

    maximum = tariff(element(component(ENERGY, "0.79")), max_price_micro=euros("25"))
    large = price_session(maximum, steady(local("2026-11-25T08:00"), (h(1), 40)))  # 40 kWh
    # 40 × 0.79 = 31.60 €, capped at 25.00 € by a line of −6.60 €.
    assert amounts(large) == {"ENERGY": 3160, "MAXIMUM_PRICE": -660}
    assert large.gross_minor == 2500


def test_day_and_night_prices_by_local_time_of_day() -> None:
    definition = tariff(
        element(component(ENERGY, "0.29"), start_time="22:00", end_time="06:00"),
        element(component(ENERGY, "0.49")),
    )
    # 21:00–23:00 Berlin at 11 kW: 11 kWh day (5.39 €) + 11 kWh night (3.19 €) = 8.58 €.
    price = price_session(definition, steady(local("2026-11-25T21:00"), (h(2), 11)))
    assert price.gross_minor == 858
    assert [(line.unit_price_micro, line.quantity) for line in price.lines] == [
        (490_000, 11_000),
        (290_000, 11_000),
    ]


def test_energy_tiers() -> None:
    definition = tariff(
        element(component(ENERGY, "0.59"), max_energy_wh=20_000),
        element(component(ENERGY, "0.45")),
    )
    # 30 kWh: 20 × 0.59 + 10 × 0.45 = 11.80 + 4.50 = 16.30 €; the tier changes mid-reading.
    price = price_session(definition, steady(local("2026-11-25T10:00"), (h(0.5), 60)))
    assert price.gross_minor == 1630
    assert [line.quantity for line in price.lines] == [20_000, 10_000]


def test_charging_time_per_started_minute() -> None:
    definition = tariff(element(component(TIME, "0.05", step_size=60)))
    # 61 min 30 s charging → 62 started minutes × 0.05 € = 3.10 €.
    price = price_session(
        definition, steady(local("2026-11-25T10:00"), (timedelta(minutes=61, seconds=30), 11))
    )
    assert price.gross_minor == 310
    assert price.lines[0].quantity == 62 * 60


def test_energy_per_started_kilowatt_hour() -> None:
    definition = tariff(element(component(ENERGY, "0.40", step_size=1000)))
    usage = SessionUsage(
        local("2026-11-25T10:00"),
        local("2026-11-25T11:00"),
        (UsagePoint(local("2026-11-25T11:00"), 12_345),),
    )
    # 12.345 kWh → 13 kWh × 0.40 € = 5.20 €.
    assert price_session(definition, usage).gross_minor == 520


def test_blocking_fee_from_the_241st_minute_of_the_session() -> None:
    # The German "Blockiergebühr ab der 241. Minute": parking costs only after 4 h plugged in.
    definition = tariff(
        element(component(ENERGY, "0.39")),
        element(component(PARKING, "0.10", cap_micro=euros("12")), min_duration_s=4 * 3600),
    )
    # 2 h charging at 11 kW (22 kWh: 8.58 €), then parked until 5 h: 60 min × 0.10 € = 6.00 €.
    price = price_session(definition, steady(local("2026-11-25T10:00"), (h(2), 11), (h(3), 0)))
    assert amounts(price) == {"ENERGY": 858, "PARKING_TIME": 600}


def test_net_prices_get_vat_on_top() -> None:
    definition = tariff(element(component(ENERGY, "0.30")), prices_include_vat=False)
    price = price_session(definition, steady(local("2026-11-25T10:00"), (h(1), 10)))
    # 10 kWh × 0.30 € = 3.00 € net, 19 % VAT 0.57 €, 3.57 € gross.
    assert (price.net_minor, price.vat_minor, price.gross_minor) == (300, 57, 357)
    assert price.amounts_include_vat is False


def test_no_energy_costs_only_parking() -> None:
    definition = tariff(
        element(component(ENERGY, "0.39"), component(FLAT, "1.00"), component(PARKING, "0.10")),
        min_price_micro=euros("2"),
    )
    start = local("2026-11-25T10:00")
    nothing = price_session(definition, SessionUsage(start, start + timedelta(minutes=1)))
    assert nothing.gross_minor == 10  # one minute parked; no flat fee, no minimum
    assert nothing.lines[0].type == PARKING


def test_weekend_price_changes_at_local_midnight() -> None:
    definition = tariff(
        element(component(ENERGY, "0.35"), day_of_week=("SATURDAY", "SUNDAY")),
        element(component(ENERGY, "0.45")),
    )
    # Friday 23:00 to Saturday 01:00 at 10 kW: 10 kWh × 0.45 + 10 kWh × 0.35 = 8.00 €.
    assert (
        price_session(definition, steady(local("2026-11-27T23:00"), (h(2), 10))).gross_minor == 800
    )


def test_power_restriction_prices_fast_charging_differently() -> None:
    definition = tariff(
        element(component(ENERGY, "0.69"), min_power_w=50_000),
        element(component(ENERGY, "0.59")),
    )
    # 15 min at 100 kW (25 kWh × 0.69 = 17.25) + 20 min at 30 kW (10 kWh × 0.59 = 5.90) = 23.15 €.
    price = price_session(
        definition, steady(local("2026-11-25T10:00"), (h(0.25), 100), (timedelta(minutes=20), 30))
    )
    assert price.gross_minor == 2315


def test_daylight_saving_time_change() -> None:
    definition = tariff(
        element(component(ENERGY, "0.29"), start_time="03:00"),
        element(component(ENERGY, "0.49")),
    )
    # 29 March 2026, clocks jump from 02:00 to 03:00: 01:30–03:30 local is 1 h of real time;
    # 30 min before the jump (0.49 €) and 30 min after 03:00 (0.29 €) at 12 kW: 6 + 6 kWh.
    start = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET
    price = price_session(definition, steady(start, (h(1), 12)))
    assert price.duration_s == 3600
    assert price.gross_minor == round_half_up(Fraction(6 * 49 + 6 * 29))


def test_running_cost_is_the_price_so_far() -> None:
    definition = tariff(element(component(ENERGY, "0.39")))
    start = local("2026-11-25T10:00")
    so_far = SessionUsage(start, start + h(0.5), (UsagePoint(start + h(0.5), 5_500),))
    assert price_session(definition, so_far).gross_minor == 215  # 5.5 × 0.39 = 2.145 → 2.15


def test_definitions_that_make_no_sense_are_refused() -> None:
    with pytest.raises(TariffProblem, match="minimum price is above"):
        tariff(
            element(component(ENERGY, "0.39")),
            min_price_micro=euros("5"),
            max_price_micro=euros("1"),
        )
    with pytest.raises(TariffProblem, match="twice"):
        tariff(element(component(ENERGY, "0.39"), component(ENERGY, "0.49")))
    with pytest.raises(TariffProblem, match="grace"):
        tariff(element(component(ENERGY, "0.39", grace_s=60)))
    with pytest.raises(TariffProblem, match="below the maximum"):
        tariff(element(component(ENERGY, "0.39"), min_energy_wh=5000, max_energy_wh=1000))
    with pytest.raises(TariffProblem, match="unsupported currency"):
        tariff(element(component(ENERGY, "0.39")), currency="XYZ")


# --- money helpers -----------------------------------------------------------------------------


@given(st.integers(0, 10**9), st.integers(0, 10_000), st.booleans())
def test_net_plus_vat_is_gross(amount: int, rate: int, includes_vat: bool) -> None:
    net, vat, gross = split_vat(amount, rate, includes_vat=includes_vat)
    assert net + vat == gross
    assert min(net, vat) >= 0
    assert (gross if includes_vat else net) == amount


@given(
    st.lists(
        st.fractions(min_value=-(10**6), max_value=10**6, max_denominator=10**6),
        min_size=1,
        max_size=12,
    )
)
def test_allocated_lines_add_up_to_the_rounded_total(parts: list[Fraction]) -> None:
    total = round_half_up(sum(parts, Fraction(0)))
    allocated = allocate(total, parts)
    assert sum(allocated) == total
    assert all(
        abs(allocated_part - part) < 1
        for allocated_part, part in zip(allocated, parts, strict=True)
    )


# --- invariants over generated tariffs and sessions ----------------------------------------------

prices = st.integers(0, 2_000_000)
times_of_day = st.sampled_from(["00:00", "06:00", "07:30", "12:00", "18:00", "22:00", "23:59"])


@st.composite
def restrictions(draw: st.DrawFn, *, with_power: bool, with_energy: bool) -> dict[str, object]:
    chosen: dict[str, object] = {}
    if draw(st.booleans()):
        chosen["start_time"] = draw(times_of_day)
    if draw(st.booleans()):
        end = draw(times_of_day)
        if end != chosen.get("start_time"):
            chosen["end_time"] = end
    if draw(st.booleans()):
        chosen["day_of_week"] = tuple(
            draw(
                st.sets(st.sampled_from(["MONDAY", "SATURDAY", "SUNDAY", "WEDNESDAY"]), min_size=1)
            )
        )
    if with_energy and draw(st.booleans()):
        low = draw(st.integers(0, 40_000))
        chosen["min_energy_wh"] = low
        if draw(st.booleans()):
            chosen["max_energy_wh"] = low + draw(st.integers(1, 40_000))
    if draw(st.booleans()):
        low = draw(st.integers(0, 6 * 3600))
        chosen["min_duration_s"] = low
        if draw(st.booleans()):
            chosen["max_duration_s"] = low + draw(st.integers(1, 6 * 3600))
    if with_power and draw(st.booleans()):
        chosen["min_power_w"] = draw(st.integers(0, 60_000))
    return chosen


@st.composite
def tariffs(
    draw: st.DrawFn, *, with_power: bool = True, with_energy: bool = True
) -> TariffDefinition:
    elements = []
    for _ in range(draw(st.integers(1, 4))):
        kinds = draw(
            st.lists(
                st.sampled_from([ENERGY, TIME, PARKING, FLAT]), min_size=1, max_size=4, unique=True
            )
        )
        components = []
        for kind in kinds:
            extra: dict[str, int] = {}
            if kind is not FLAT:
                extra["step_size"] = draw(st.sampled_from([1, 1, 60, 300, 1000]))
            if kind is PARKING:
                extra["grace_s"] = draw(st.sampled_from([0, 0, 900, 3600]))
            if draw(st.integers(0, 4)) == 0:
                extra["cap_micro"] = draw(prices)
            components.append(PriceComponent(type=kind, price_micro=draw(prices), **extra))  # type: ignore[arg-type]
        chosen = (
            draw(restrictions(with_power=with_power, with_energy=with_energy))
            if draw(st.booleans())
            else {}
        )
        elements.append(element(*components, **chosen))
    minimum = draw(st.none() | prices)
    maximum = draw(st.none() | st.integers(minimum or 0, 100_000_000))
    return tariff(
        *elements,
        vat_rate_bp=draw(st.sampled_from([0, 700, 1900, 2500])),
        prices_include_vat=draw(st.booleans()),
        min_price_micro=minimum,
        max_price_micro=maximum,
    )


@st.composite
def usages(draw: st.DrawFn) -> SessionUsage:
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(
        minutes=draw(st.integers(0, 365 * 24 * 60))
    )
    points = []
    moment, energy = start, 0
    for _ in range(draw(st.integers(0, 8))):
        seconds = draw(st.integers(1, 3 * 3600))
        moment += timedelta(seconds=seconds)
        # A stretch is clearly charging or clearly parked, as real sessions are; scaling the
        # energy then never turns parking into charging (which may well cost less).
        if draw(st.booleans()):
            energy += draw(
                st.integers(seconds * CHARGING_THRESHOLD_W // 3600 + 1, 40_000 + seconds)
            )
        points.append(UsagePoint(moment, energy))
    end = moment + timedelta(seconds=draw(st.integers(0, 4 * 3600)))
    return SessionUsage(start, end, tuple(points))


def scaled(usage: SessionUsage, factor: Fraction) -> SessionUsage:
    return msgspec_replace(
        usage,
        points=tuple(UsagePoint(point.at, int(point.energy_wh * factor)) for point in usage.points),
    )


@settings(max_examples=300, deadline=None)
@given(tariffs(), usages())
def test_prices_are_never_negative_and_always_add_up(
    definition: TariffDefinition, usage: SessionUsage
) -> None:
    price = price_session(definition, usage)
    assert price.gross_minor >= 0
    assert price.net_minor + price.vat_minor == price.gross_minor
    basis = price.gross_minor if price.amounts_include_vat else price.net_minor
    assert sum(line.amount_minor for line in price.lines) == basis
    assert price.charging_s + price.parking_s == price.duration_s
    if definition.max_price_micro is not None:
        assert basis <= round_half_up(Fraction(definition.max_price_micro, 10_000))
    if definition.min_price_micro is not None and price.energy_wh > 0:
        assert basis >= round_half_up(Fraction(definition.min_price_micro, 10_000))


@settings(max_examples=300, deadline=None)
@given(tariffs(with_power=False, with_energy=False), usages(), st.integers(1, 3))
def test_more_energy_never_costs_less(
    definition: TariffDefinition, usage: SessionUsage, factor: int
) -> None:
    # Not for power or energy restrictions: they may rightly make more energy cheaper
    # (a lower fast-charging price, free parking after a minimum energy).
    assert (
        price_session(definition, scaled(usage, Fraction(factor))).gross_minor
        >= price_session(definition, usage).gross_minor - 1
    )


@settings(max_examples=300, deadline=None)
@given(tariffs(), usages(), st.integers(0, 5 * 3600))
def test_staying_longer_never_costs_less(
    definition: TariffDefinition, usage: SessionUsage, extra_s: int
) -> None:
    longer = msgspec_replace(usage, ended_at=usage.ended_at + timedelta(seconds=extra_s))
    assert (
        price_session(definition, longer).gross_minor
        >= price_session(definition, usage).gross_minor - 1
    )


@settings(max_examples=200, deadline=None)
@given(tariffs(), usages())
def test_component_caps_are_respected(definition: TariffDefinition, usage: SessionUsage) -> None:
    capped = [
        component
        for element_ in definition.elements
        for component in element_.components
        if component.cap_micro is not None
    ]
    if not capped:
        return
    price = price_session(definition, usage)
    for line in price.lines:
        caps = [
            c.cap_micro
            for c in capped
            if c.type == line.type and c.price_micro == line.unit_price_micro
        ]
        if caps and len(caps) == 1 and caps[0] is not None:
            assert line.amount_minor <= round_half_up(Fraction(caps[0], 10_000)) + 1


@pytest.mark.parametrize(
    ("energy_wh", "price_minor"), [(19_999, 1180), (20_000, 1180), (20_001, 1180)]
)
def test_energy_tier_boundary_is_inclusive_at_the_minimum(energy_wh: int, price_minor: int) -> None:
    definition = tariff(
        element(component(ENERGY, "0.59"), max_energy_wh=20_000),
        element(component(ENERGY, "0.45")),
    )
    start = local("2026-11-25T10:00")
    usage = SessionUsage(start, start + h(1), (UsagePoint(start + h(1), energy_wh),))
    # 20 kWh at 0.59 € = 11.80 €; one Wh more or less changes less than half a cent.
    assert price_session(definition, usage).gross_minor == price_minor
