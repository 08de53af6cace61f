"""Pure rules of the core, tested without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cpo.sessions import rules as session_rules
from cpo.sessions.enums import ReconciliationReason
from cpo.sessions.schemas import MeterReading, SampledValue, StartReport
from cpo.stations import rules as station_rules
from cpo.stations.enums import RegistrationStatus
from cpo.tokens import rules as token_rules
from cpo.tokens.enums import AuthorizationStatus, TokenStatus

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (SampledValue(value="1234"), 1234.0),
        (SampledValue(value="1.5", unit="kWh"), 1500.0),
        (SampledValue(value="11.04", measurand="Power.Active.Import", unit="kW"), 11_040.0),
        (SampledValue(value="7360", measurand="Power.Active.Import"), 7360.0),
        (SampledValue(value="77", measurand="SoC"), 77.0),
        (SampledValue(value="98.6", measurand="Temperature", unit="Fahrenheit"), 37.0),
        (SampledValue(value="300.15", measurand="Temperature", unit="K"), 27.0),
        (SampledValue(value="OCMF|{...}", format="SignedData"), None),
        (SampledValue(value="n/a"), None),
        (SampledValue(value="NaN"), None),
        (SampledValue(value="Infinity"), None),
    ],
)
def test_sampled_values_in_base_units(value: SampledValue, expected: float | None) -> None:
    result = session_rules.normalized_value(value)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_energy_register_ignores_phases_and_the_grid_side() -> None:
    assert session_rules.energy_register_wh(SampledValue(value="5", unit="kWh")) == 5000
    assert session_rules.energy_register_wh(SampledValue(value="5000", phase="L1")) is None
    assert session_rules.energy_register_wh(SampledValue(value="5000", location="Inlet")) is None
    assert (
        session_rules.energy_register_wh(
            SampledValue(value="5000", measurand="Energy.Active.Export.Register")
        )
        is None
    )


def test_live_values_take_the_newest_reading_and_sum_phase_power() -> None:
    older = MeterReading(NOW - timedelta(minutes=1), (SampledValue(value="900"),))
    newer = MeterReading(
        NOW,
        (
            SampledValue(value="1000"),
            SampledValue(value="3680", measurand="Power.Active.Import", phase="L1"),
            SampledValue(value="3680", measurand="Power.Active.Import", phase="L2"),
            SampledValue(value="3600", measurand="Power.Active.Import", phase="L3"),
        ),
    )
    live = session_rules.live_values([newer, older])
    assert live is not None
    assert (live.at, live.meter_wh, live.power_w) == (NOW, 1000, 10_960.0)


@given(start=st.integers(0, 10**12), used=st.integers(0, 10**9))
def test_energy_is_stop_minus_start(start: int, used: int) -> None:
    assert session_rules.energy_wh(start, start + used) == (used, None)


@given(start=st.integers(1, 10**12), back=st.integers(1, 10**9))
def test_a_meter_that_went_backwards_yields_no_energy(start: int, back: int) -> None:
    assert session_rules.energy_wh(start, start - back) == (
        None,
        ReconciliationReason.METER_WENT_BACKWARDS,
    )


def test_start_key_identifies_a_start_and_its_retries_only() -> None:
    report = StartReport(connector_id=1, id_tag="04ab", meter_start_wh=5, timestamp=NOW)
    naive_retry = StartReport(
        connector_id=1, id_tag="04AB ", meter_start_wh=5, timestamp=NOW.replace(tzinfo=None)
    )
    other = StartReport(connector_id=2, id_tag="04ab", meter_start_wh=5, timestamp=NOW)
    assert session_rules.start_key(1, report) == session_rules.start_key(1, naive_retry)
    assert session_rules.start_key(1, report) != session_rules.start_key(1, other)
    assert session_rules.start_key(1, report) != session_rules.start_key(2, report)


@pytest.mark.parametrize(
    ("evse_id", "valid"),
    [
        ("DE*ABC*E0001*1", True),
        ("de*abc*e0001*1", True),
        ("DEABCE00011", True),
        ("DE*ABC*E0001", True),
        ("DE*AB*E0001*1", False),
        ("D1*ABC*E0001*1", False),
        ("DE*ABC*0001*1", False),
        ("", False),
    ],
)
def test_evse_ids(evse_id: str, valid: bool) -> None:
    assert station_rules.is_valid_evse_id(evse_id) is valid


def test_every_spelling_of_an_evse_id_compacts_alike() -> None:
    spellings = ["DE*ABC*E0001*1", "de*abc*e0001*1", "DEABCE00011", " DE*ABC*E00011"]
    assert {station_rules.compact_evse_id(spelling) for spelling in spellings} == {"DEABCE00011"}


def test_boot_interval() -> None:
    assert station_rules.boot_interval_s(RegistrationStatus.ACCEPTED, 300) == 300
    assert station_rules.boot_interval_s(RegistrationStatus.PENDING, 300) == 60


ACTIVE = token_rules.TokenFacts(TokenStatus.ACTIVE, None)


@pytest.mark.parametrize(
    ("token", "group", "concurrent", "accepted_station", "expected"),
    [
        (ACTIVE, None, False, True, AuthorizationStatus.ACCEPTED),
        (None, None, False, True, AuthorizationStatus.INVALID),
        (ACTIVE, None, False, False, AuthorizationStatus.INVALID),
        (
            token_rules.TokenFacts(TokenStatus.BLOCKED, None),
            None,
            False,
            True,
            AuthorizationStatus.BLOCKED,
        ),
        (
            ACTIVE,
            token_rules.TokenFacts(TokenStatus.BLOCKED, None),
            False,
            True,
            AuthorizationStatus.BLOCKED,
        ),
        (
            token_rules.TokenFacts(TokenStatus.EXPIRED, None),
            None,
            False,
            True,
            AuthorizationStatus.EXPIRED,
        ),
        (
            token_rules.TokenFacts(TokenStatus.ACTIVE, NOW),
            None,
            False,
            True,
            AuthorizationStatus.EXPIRED,
        ),
        (
            token_rules.TokenFacts(TokenStatus.ACTIVE, NOW + timedelta(seconds=1)),
            None,
            False,
            True,
            AuthorizationStatus.ACCEPTED,
        ),
        (
            ACTIVE,
            token_rules.TokenFacts(TokenStatus.ACTIVE, NOW - timedelta(days=1)),
            False,
            True,
            AuthorizationStatus.EXPIRED,
        ),
        (ACTIVE, None, True, True, AuthorizationStatus.CONCURRENT_TX),
        (
            token_rules.TokenFacts(TokenStatus.ACTIVE, None, allow_concurrent_sessions=True),
            None,
            True,
            True,
            AuthorizationStatus.ACCEPTED,
        ),
        # A block beats an expiry, an expiry beats a concurrent session.
        (
            token_rules.TokenFacts(TokenStatus.BLOCKED, NOW - timedelta(days=1)),
            None,
            True,
            True,
            AuthorizationStatus.BLOCKED,
        ),
        (
            token_rules.TokenFacts(TokenStatus.ACTIVE, NOW - timedelta(days=1)),
            None,
            True,
            True,
            AuthorizationStatus.EXPIRED,
        ),
    ],
)
def test_authorization_decisions(
    token: token_rules.TokenFacts | None,
    group: token_rules.TokenFacts | None,
    concurrent: bool,
    accepted_station: bool,
    expected: AuthorizationStatus,
) -> None:
    decision = token_rules.decide(
        token,
        group,
        now=NOW,
        has_other_active_session=concurrent,
        station_accepted=accepted_station,
    )
    assert decision is expected


@given(st.text(min_size=1, max_size=20).filter(lambda tag: tag.strip()))
def test_uids_normalise_idempotently(id_tag: str) -> None:
    once = token_rules.normalize_uid(id_tag)
    assert token_rules.normalize_uid(once) == once
    assert token_rules.normalize_uid(id_tag.lower()) == token_rules.normalize_uid(id_tag.upper())


def test_the_hold_guard_stops_short_of_the_hold_but_never_a_free_session() -> None:
    from cpo.payments.rules import hold_margin_minor, must_stop_for_hold

    assert hold_margin_minor(5000) == 250
    assert not must_stop_for_hold(4749, 5000)
    assert must_stop_for_hold(4750, 5000)
    assert hold_margin_minor(100) == 50
    assert not must_stop_for_hold(0, 100)
