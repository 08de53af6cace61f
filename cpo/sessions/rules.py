"""Pure rules about sessions and meter data."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation

from cpo.clock import as_utc
from cpo.sessions.enums import ReconciliationReason
from cpo.sessions.schemas import LiveValues, MeterReading, SampledValue, StartReport

# OCPP 1.6 §7.45 defaults for a sampled value that leaves these out.
DEFAULT_MEASURAND = "Energy.Active.Import.Register"
DEFAULT_CONTEXT = "Sample.Periodic"
DEFAULT_FORMAT = "Raw"
DEFAULT_LOCATION = "Outlet"
SIGNED_FORMAT = "SignedData"
TRANSACTION_BEGIN = "Transaction.Begin"
ENERGY_REGISTER = "Energy.Active.Import.Register"
ACTIVE_POWER = "Power.Active.Import"
STATE_OF_CHARGE = "SoC"

_KILO_UNITS = {"kWh": "Wh", "kvarh": "varh", "kW": "W", "kvar": "var"}
_DEFAULT_UNIT = {"SoC": "Percent", "Temperature": "Celsius"}


def effective_measurand(value: SampledValue) -> str:
    return value.measurand or DEFAULT_MEASURAND


def effective_unit(value: SampledValue) -> str:
    if value.unit:
        return value.unit
    measurand = effective_measurand(value)
    if measurand.startswith("Energy.Active") or measurand.startswith("Energy.Reactive"):
        return "Wh" if "Active" in measurand else "varh"
    if measurand.startswith("Power."):
        return "W"
    if measurand.startswith("Current."):
        return "A"
    if measurand == "Voltage":
        return "V"
    return _DEFAULT_UNIT.get(measurand, "")


def normalized_value(value: SampledValue) -> float | None:
    """The value in base units (Wh, W, A, V, %, °C); None for signed or unreadable data."""
    if (value.format or DEFAULT_FORMAT) == SIGNED_FORMAT:
        return None
    try:
        number = Decimal(value.value.strip())
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    unit = effective_unit(value)
    if unit in _KILO_UNITS:
        number *= 1000
    elif unit == "Fahrenheit":
        number = (number - 32) * 5 / 9
    elif unit == "K":
        number -= Decimal("273.15")
    result = float(number)
    return result if math.isfinite(result) else None


def is_total(value: SampledValue) -> bool:
    """A reading for the whole outlet, not one phase of it, nor the grid side (Inlet)."""
    return not value.phase and (value.location or DEFAULT_LOCATION) in {"Outlet", "Body", "EV"}


def energy_register_wh(value: SampledValue) -> int | None:
    if effective_measurand(value) != ENERGY_REGISTER or not is_total(value):
        return None
    wh = normalized_value(value)
    return None if wh is None else round(wh)


def live_values(readings: Iterable[MeterReading]) -> LiveValues | None:
    """The most recent meter reading, power and state of charge among `readings`."""
    meter_wh: int | None = None
    power_w: float | None = None
    soc: float | None = None
    latest: datetime | None = None
    for reading in sorted(readings, key=lambda reading: as_utc(reading.timestamp)):
        at = as_utc(reading.timestamp)
        latest = at
        phase_power = 0.0
        phase_power_seen = False
        for value in reading.values:
            measurand = effective_measurand(value)
            if (wh := energy_register_wh(value)) is not None:
                meter_wh = wh
            elif measurand == ACTIVE_POWER:
                number = normalized_value(value)
                if number is None:
                    continue
                if is_total(value):
                    power_w = number
                elif value.phase in {"L1", "L2", "L3", "L1-N", "L2-N", "L3-N"}:
                    phase_power += number
                    phase_power_seen = True
            elif measurand == STATE_OF_CHARGE:
                soc = normalized_value(value)
        if phase_power_seen and not any(
            effective_measurand(value) == ACTIVE_POWER and is_total(value)
            for value in reading.values
        ):
            power_w = phase_power
    if latest is None:
        return None
    return LiveValues(at=latest, meter_wh=meter_wh, power_w=power_w, soc_percent=soc)


def transaction_begin_wh(readings: Iterable[MeterReading]) -> tuple[int, datetime] | None:
    """Meter start recovered from a StopTransaction's transactionData (Transaction.Begin)."""
    for reading in readings:
        for value in reading.values:
            if value.context == TRANSACTION_BEGIN and (wh := energy_register_wh(value)) is not None:
                return wh, as_utc(reading.timestamp)
    return None


def energy_wh(
    meter_start_wh: int | None, meter_stop_wh: int
) -> tuple[int | None, ReconciliationReason | None]:
    """Energy of a session; None with a reason when the meter readings cannot be trusted."""
    if meter_start_wh is None:
        return None, ReconciliationReason.STOP_WITHOUT_START
    if meter_stop_wh < meter_start_wh:
        return None, ReconciliationReason.METER_WENT_BACKWARDS
    return meter_stop_wh - meter_start_wh, None


def start_key(station_id: int, report: StartReport) -> str:
    """Identifies one StartTransaction so that its retry (lost answer) finds the same session."""
    raw = "|".join(
        (
            str(station_id),
            str(report.connector_id),
            report.id_tag.strip().upper(),
            str(report.meter_start_wh),
            as_utc(report.timestamp).isoformat(),
            str(report.reservation_id),
        )
    )
    return hashlib.sha256(raw.encode()).hexdigest()
