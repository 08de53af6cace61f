"""Simulated OCPP 1.6J charge stations: well-behaved chargers for the demo, tests and benchmarks.

A `SimulatedStation` connects like a real charger (HTTP Basic auth, subprotocol ocpp1.6),
boots, reports its connectors, sends heartbeats and reconnects with capped exponential
backoff. It answers the central system's commands as a charger with the Core,
LocalAuthListManagement and RemoteTrigger profiles does, and it keeps charging while the
connection is down: StartTransaction, the transaction's MeterValues and StopTransaction wait
in one in-order queue and are delivered once connected again, retried until answered.

`speed` makes the vehicles and energy meters run faster than the wall clock (simulated
seconds per real second). Protocol timers (heartbeat, meter value interval, retries, backoff)
are real seconds.

It is built on the charge point side of the `ocpp` package and the `websockets` client.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import logging
import math
import random
import time
from collections import Counter, deque
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from ocpp.exceptions import OCPPError, UnknownCallErrorCodeError
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action, ChargePointErrorCode
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

from cpo.demo import DEMO_CARDS, DEMO_STATIONS, DemoCard, DemoStation
from cpo.stations.enums import CurrentType
from cpo.tokens.enums import TokenStatus

__all__ = [
    "SimulatedConnector",
    "SimulatedStation",
    "SimulatedTransaction",
    "demo_connectors",
    "run_demo_fleet",
    "run_fleet",
]

log = logging.getLogger(__name__)
# The ocpp package logs every frame at INFO: thousands of lines a minute for a fleet.
logging.getLogger("ocpp").setLevel(logging.WARNING)

SUBPROTOCOL = Subprotocol("ocpp1.6")
NO_ERROR = "NoError"
ACCEPTED = "Accepted"
CALL, CALL_RESULT, CALL_ERROR = 2, 3, 4

DEFAULT_HEARTBEAT_INTERVAL_S = 300
# A Pending or Rejected boot answer with interval 0 leaves the retry time to the charger.
DEFAULT_BOOT_RETRY_S = 60.0
OPEN_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 2.0
CANCEL_ROUND_S = 0.1
# Longest wait of a soft reset for its StopTransactions to be delivered before rebooting.
SOFT_RESET_DRAIN_S = 5.0
# Simulated reboot time after a Reset.
REBOOT_DELAY_S = 0.1
MAX_TRANSACTION_RETRY_DELAY_S = 60.0

# Vehicle and meter model.
MAX_TICK_S = 1.0
INTEGRATION_STEP_S = 1.0  # simulated seconds per integration step
MAX_INTEGRATION_STEPS = 500
POWER_NOISE = 0.02
DC_RAMP_S = 30.0
TAPER_FROM_SOC = 80.0
MIN_TAPER = 0.05
AC_VOLTAGE_V = 230.0
AC_PHASES = 3
DC_VOLTAGE_EMPTY_V = 350.0
DC_VOLTAGE_PER_SOC_V = 1.5
# A used charger's energy register: somewhere between 100 kWh and 2 MWh.
INITIAL_REGISTER_WH = (100_000, 2_000_000)

ENERGY_REGISTER = "Energy.Active.Import.Register"
SAMPLEABLE_MEASURANDS = frozenset(
    {
        ENERGY_REGISTER,
        "Power.Active.Import",
        "Current.Import",
        "Voltage",
        "Power.Offered",
        "SoC",
    }
)
ERROR_CODES = frozenset(code.value for code in ChargePointErrorCode)
TRIGGERABLE = frozenset(
    {
        "BootNotification",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "StatusNotification",
    }
)


def _utcnow() -> datetime:
    """Now, to the millisecond: what goes on the wire is what the station remembers."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _same_tag(first: str, second: str) -> bool:
    return first.casefold() == second.casefold()


def _message_type(frame: str) -> int:
    """The message type of an OCPP-J frame (`[2, ...`), without decoding the whole frame."""
    head = frame.lstrip().removeprefix("[").lstrip()[:1]
    return int(head) if head.isdigit() else 0


async def _cancel_all(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Cancel `tasks` and wait until they are done, cancelling again any that go on: Python
    3.11's asyncio.wait_for can lose a cancellation (see `_Link.request`)."""
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=CANCEL_ROUND_S)


def _fixed(payload: Any) -> Callable[[], Any]:
    """The payload builder of a message that is complete when queued."""
    return lambda: payload


async def _wait(event: asyncio.Event, timeout_s: float | None) -> bool:
    """Wait for `event` at most `timeout_s`; True if it was set."""
    try:
        async with asyncio.timeout(timeout_s):
            await event.wait()
    except TimeoutError:
        return False
    return True


# Configuration -----------------------------------------------------------------------------


def _any_value(value: str) -> bool:
    return True


def _is_bool(value: str) -> bool:
    return value.strip().lower() in {"true", "false"}


def _is_count(value: str) -> bool:
    return value.strip().isdigit()


def _is_seconds(value: str) -> bool:
    try:
        seconds = float(value)
    except ValueError:
        return False
    return math.isfinite(seconds) and seconds >= 0


def _is_measurand_list(value: str) -> bool:
    return all(item in SAMPLEABLE_MEASURANDS for item in _csl(value))


def _csl(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


@dataclass
class _Setting:
    value: str
    readonly: bool = False
    valid: Callable[[str], bool] = _any_value


def _standard_configuration(
    connectors: Sequence[SimulatedConnector], meter_interval_s: float
) -> dict[str, _Setting]:
    """The OCPP 1.6 standard keys of the profiles the simulator supports (§9.1, §9.2, §9.4)."""
    sampled = [ENERGY_REGISTER, "Power.Active.Import", "Current.Import"]
    if any(connector.dc for connector in connectors):
        sampled.append("SoC")
    return {
        "AllowOfflineTxForUnknownId": _Setting("false", valid=_is_bool),
        "AuthorizationCacheEnabled": _Setting("true", valid=_is_bool),
        "AuthorizeRemoteTxRequests": _Setting("false", valid=_is_bool),
        "ClockAlignedDataInterval": _Setting("0", valid=_is_count),
        "ConnectionTimeOut": _Setting("60", valid=_is_count),
        "ConnectorPhaseRotation": _Setting("NotApplicable"),
        "GetConfigurationMaxKeys": _Setting("50", readonly=True),
        "HeartbeatInterval": _Setting(str(DEFAULT_HEARTBEAT_INTERVAL_S), valid=_is_count),
        "LocalAuthListEnabled": _Setting("true", valid=_is_bool),
        "LocalAuthListMaxLength": _Setting("1000", readonly=True),
        "LocalAuthorizeOffline": _Setting("true", valid=_is_bool),
        "LocalPreAuthorize": _Setting("false", valid=_is_bool),
        "MeterValuesAlignedData": _Setting(ENERGY_REGISTER, valid=_is_measurand_list),
        "MeterValuesSampledData": _Setting(",".join(sampled), valid=_is_measurand_list),
        # Whole seconds in the standard; fractions are accepted to let tests run fast.
        "MeterValueSampleInterval": _Setting(f"{meter_interval_s:g}", valid=_is_seconds),
        "NumberOfConnectors": _Setting(str(len(connectors)), readonly=True),
        "ResetRetries": _Setting("3", valid=_is_count),
        "SendLocalListMaxLength": _Setting("100", readonly=True),
        "StopTransactionOnEVSideDisconnect": _Setting("true", valid=_is_bool),
        "StopTransactionOnInvalidId": _Setting("true", valid=_is_bool),
        "StopTxnAlignedData": _Setting("", valid=_is_measurand_list),
        "StopTxnSampledData": _Setting(ENERGY_REGISTER, valid=_is_measurand_list),
        "SupportedFeatureProfiles": _Setting(
            "Core,LocalAuthListManagement,RemoteTrigger", readonly=True
        ),
        "TransactionMessageAttempts": _Setting("3", valid=_is_count),
        "TransactionMessageRetryInterval": _Setting("2", valid=_is_count),
        "UnlockConnectorOnEVSideDisconnect": _Setting("true", valid=_is_bool),
        "WebSocketPingInterval": _Setting("60", valid=_is_count),
    }


# State ---------------------------------------------------------------------------------------


@dataclass(eq=False)
class SimulatedTransaction:
    """A transaction as the charger keeps it: known by a local handle until the central
    system's answer to StartTransaction gives it its transaction id."""

    handle: int
    connector_id: int
    id_tag: str
    meter_start_wh: int
    started_at: datetime
    transaction_id: int | None = None
    # The idTagInfo status in the StartTransaction answer.
    authorization_status: str | None = None
    # The StartTransaction was refused for good: the transaction never got an id.
    start_dropped: bool = False
    meter_stop_wh: int | None = None
    stopped_at: datetime | None = None
    stop_reason: str | None = None
    stop_delivered: bool = False
    # Timestamps of the periodic MeterValues taken, and how many were answered.
    sampled_at: list[datetime] = field(default_factory=list)
    meter_values_delivered: int = 0

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    @property
    def energy_wh(self) -> int | None:
        if self.meter_stop_wh is None:
            return None
        return self.meter_stop_wh - self.meter_start_wh


@dataclass(eq=False)
class SimulatedConnector:
    """One connector of a station (connector id = its position, from 1) and the vehicle
    plugged into it."""

    max_power_w: float
    dc: bool = False
    battery_wh: float = 60_000.0
    start_soc: float = 20.0
    # The energy register when the station is installed; a random used-charger value if None.
    initial_meter_wh: int | None = None

    connector_id: int = field(default=0, init=False)
    plugged: bool = field(default=False, init=False)
    operative: bool = field(default=True, init=False)
    error_code: str = field(default=NO_ERROR, init=False)
    # The transaction ended with the cable still in.
    finishing: bool = field(default=False, init=False)
    transaction: SimulatedTransaction | None = field(default=None, init=False)
    soc: float = field(default=0.0, init=False)
    power_w: float = field(default=0.0, init=False)
    register_wh: float = field(default=0.0, init=False)
    # A card accepted before the cable was plugged in: (id tag, monotonic deadline).
    _authorized: tuple[str, float] | None = field(default=None, init=False, repr=False)
    _remote_start_pending: bool = field(default=False, init=False, repr=False)
    # ReserveNow: (reservation id, id tag, expiry) until the holder starts or it is cancelled.
    reservation: tuple[int, str, datetime] | None = field(default=None, init=False)
    # ChangeAvailability that waits for the running transaction to end.
    _scheduled_operative: bool | None = field(default=None, init=False, repr=False)
    _charging_s: float = field(default=0.0, init=False, repr=False)
    _noise: float = field(default=1.0, init=False, repr=False)
    _next_sample_at: float = field(default=0.0, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_power_w <= 0:
            raise ValueError("a connector needs a positive max_power_w")
        if self.battery_wh <= 0:
            raise ValueError("a vehicle needs a positive battery_wh")
        initial = self.initial_meter_wh
        if initial is None:
            initial = random.randint(*INITIAL_REGISTER_WH)
        self.register_wh = float(initial)
        self.soc = self.start_soc

    @property
    def meter_wh(self) -> int:
        """The energy register as the meter shows it (whole Wh)."""
        return round(self.register_wh)

    @property
    def transaction_id(self) -> int | None:
        return None if self.transaction is None else self.transaction.transaction_id

    @property
    def ev_full(self) -> bool:
        return self.soc >= 100.0

    @property
    def is_free(self) -> bool:
        """May a transaction start here (a finishing connector counts: the driver re-plugs)."""
        return self.operative and self.error_code == NO_ERROR and self.transaction is None

    @property
    def status(self) -> str:
        """The OCPP 1.6 ChargePointStatus, derived from the state."""
        if self.error_code != NO_ERROR:
            return "Faulted"
        if self.transaction is not None:
            return "SuspendedEV" if self.ev_full else "Charging"
        if not self.operative:
            return "Unavailable"
        if self.finishing:
            return "Finishing"
        if self.plugged or self._authorized is not None or self._remote_start_pending:
            return "Preparing"
        if self.reservation is not None and self.reservation[2] > _utcnow():
            return "Reserved"
        return "Available"

    def _power_now(self, charging_s: float) -> float:
        if self.ev_full:
            return 0.0
        power = self.max_power_w * self._noise
        if self.dc:
            power *= min(1.0, charging_s / DC_RAMP_S)
            if self.soc > TAPER_FROM_SOC:
                power *= max(MIN_TAPER, (100.0 - self.soc) / (100.0 - TAPER_FROM_SOC))
        return power

    def _charge(self, seconds: float, rng: random.Random) -> None:
        """Let `seconds` of simulated time pass."""
        if self.transaction is None:
            self.power_w = 0.0
            return
        self._noise = 1.0 + rng.uniform(-POWER_NOISE, POWER_NOISE)
        steps = max(1, min(MAX_INTEGRATION_STEPS, math.ceil(seconds / INTEGRATION_STEP_S)))
        step = seconds / steps
        for _ in range(steps):
            power = self._power_now(self._charging_s + step / 2)
            self._charging_s += step
            energy_wh = power * step / 3600.0
            self.register_wh += energy_wh
            self.soc = min(100.0, self.soc + energy_wh / self.battery_wh * 100.0)
        self.power_w = self._power_now(self._charging_s)

    def _readings(self) -> dict[str, tuple[str, str]]:
        """Measurand → (value, unit) as the meter shows them now."""
        power = self.power_w
        if self.dc:
            voltage = DC_VOLTAGE_EMPTY_V + DC_VOLTAGE_PER_SOC_V * self.soc
            current = power / voltage
        else:
            voltage = AC_VOLTAGE_V
            current = power / (AC_PHASES * AC_VOLTAGE_V)
        readings = {
            ENERGY_REGISTER: (str(self.meter_wh), "Wh"),
            "Power.Active.Import": (f"{power:.1f}", "W"),
            "Current.Import": (f"{current:.2f}", "A"),
            "Voltage": (f"{voltage:.1f}", "V"),
            "Power.Offered": (f"{self.max_power_w:.0f}", "W"),
        }
        if self.dc:  # only a DC charger hears the state of charge from the vehicle
            readings["SoC"] = (f"{self.soc:.0f}", "Percent")
        return readings


def _sampled_values(
    readings: dict[str, tuple[str, str]], measurands: Iterable[str], context: str
) -> list[dict[str, str]]:
    values = []
    for measurand in measurands:
        if measurand not in readings:
            continue
        value, unit = readings[measurand]
        values.append(
            {
                "value": value,
                "context": context,
                "format": "Raw",
                "measurand": measurand,
                "location": "EV" if measurand == "SoC" else "Outlet",
                "unit": unit,
            }
        )
    return values


@dataclass(eq=False)
class _Outgoing:
    """A message waiting in the outbox. Transaction messages stay until answered."""

    action: str
    # Builds the payload at send time: a message queued offline learns its transaction id
    # only when the StartTransaction before it is answered. None: nothing to send any more.
    build: Callable[[], Any]
    transaction: SimulatedTransaction | None = None
    on_answer: Callable[[Any], None] | None = None
    attempts: int = 0


# The station -----------------------------------------------------------------------------


class SimulatedStation:
    """A charge station speaking OCPP 1.6J, with controls for tests and the demo."""

    def __init__(
        self,
        identity: str,
        password: str | None,
        url: str,
        connectors: Sequence[SimulatedConnector],
        *,
        meter_interval_s: float = 10.0,
        speed: float = 1.0,
        vendor: str = "CPO-Sim",
        model: str | None = None,
        firmware_version: str = "1.6.0-sim",
        response_timeout_s: float = 30.0,
        reconnect_initial_s: float = 0.2,
        reconnect_max_s: float = 5.0,
        answer_delay_s: float = 0.0,
        rng: random.Random | None = None,
    ) -> None:
        if not connectors:
            raise ValueError("a station needs at least one connector")
        if speed <= 0:
            raise ValueError("speed must be positive")
        if meter_interval_s < 0:
            raise ValueError("meter_interval_s must not be negative")
        self.identity = identity
        self.url = url
        self.speed = speed
        self.vendor = vendor[:20]
        self.model = (model or _default_model(connectors))[:20]
        self.firmware_version = firmware_version[:50]
        self.response_timeout_s = response_timeout_s
        self.reconnect_initial_s = reconnect_initial_s
        self.reconnect_max_s = reconnect_max_s
        # How long the station takes to answer a command (a slow charger), for tests.
        self.answer_delay_s = answer_delay_s
        self.connectors = tuple(connectors)
        for number, connector in enumerate(self.connectors, start=1):
            connector.connector_id = number
        self._password = password
        self._rng = rng or random.Random()
        self._config = _standard_configuration(self.connectors, meter_interval_s)

        # What happened, for tests and the demo.
        self.registration_status: str | None = None
        self.boot_count = 0
        self.connection_count = 0
        self.delivered: Counter[str] = Counter()
        self.commands_received = 0
        self.max_commands_in_flight = 0
        self.transactions: list[SimulatedTransaction] = []

        self._link: _Link | None = None
        self._websocket: ClientConnection | None = None
        self._booted = False
        self._needs_boot = True
        self._rebooting = False
        self._became_ready = False
        self._running = False
        self._commands_in_flight = 0
        self._awaiting_answer = 0
        self._handles = itertools.count(1)
        self._outbox: deque[_Outgoing] = deque()
        self._outbox_ready = asyncio.Event()
        self._changed = asyncio.Event()
        self._may_connect = asyncio.Event()
        self._may_connect.set()
        self._boot_requested = asyncio.Event()
        self._heartbeat_changed = asyncio.Event()
        self._meter_settings_changed = asyncio.Event()
        self._reported: dict[int, tuple[str, str]] = {}
        self._follow_ups: dict[str, Callable[[], None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._auth_cache: dict[str, dict[str, Any]] = {}
        self._local_list: dict[str, tuple[str, dict[str, Any]]] = {}
        self._local_list_version = 0
        self._station_operative = True
        self._station_error = NO_ERROR
        self._advanced_at = time.monotonic()

    def __repr__(self) -> str:
        return f"<SimulatedStation {self.identity} connected={self.connected}>"

    # Reading the state

    @property
    def connected(self) -> bool:
        return self._link is not None

    @property
    def booted(self) -> bool:
        """Connected and accepted by the central system."""
        return self._booted

    @property
    def awaiting_answer(self) -> int:
        """Calls of the station sent on the current connection and not answered yet."""
        return self._awaiting_answer

    @property
    def status(self) -> str:
        """The status of the station as a whole (connector id 0)."""
        if self._station_error != NO_ERROR:
            return "Faulted"
        return "Available" if self._station_operative else "Unavailable"

    @property
    def heartbeat_interval_s(self) -> float:
        return self._number("HeartbeatInterval")

    @property
    def meter_interval_s(self) -> float:
        return self._number("MeterValueSampleInterval")

    @property
    def configuration(self) -> dict[str, str]:
        return {key: setting.value for key, setting in self._config.items()}

    @property
    def local_list(self) -> dict[str, str]:
        """The local authorization list: id tag → status."""
        return {id_tag: info.get("status", "") for id_tag, info in self._local_list.values()}

    @property
    def local_list_version(self) -> int:
        """As GetLocalListVersion reports it: 0 for an empty list (OCPP 1.6 §5.10)."""
        return self._local_list_version if self._local_list else 0

    def connector(self, connector_id: int) -> SimulatedConnector:
        if not 1 <= connector_id <= len(self.connectors):
            raise ValueError(f"{self.identity} has no connector {connector_id}")
        return self.connectors[connector_id - 1]

    def queued(self, action: str | None = None) -> int:
        """Messages waiting in the outbox (of one action, or all)."""
        return sum(1 for item in self._outbox if action is None or item.action == action)

    # Waiting (a timeout parameter, not asyncio.timeout at the call site: a test reads as
    # one line, and the error names the station)

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float | None = 10.0,  # noqa: ASYNC109
    ) -> None:
        """Return once `predicate()` is true; it is checked whenever the station's state changes."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(f"{self.identity}: condition not met within {timeout} s") from None

    async def wait_connected(self, timeout: float | None = 10.0) -> None:  # noqa: ASYNC109
        await self.wait_for(lambda: self.connected, timeout)

    async def wait_booted(self, timeout: float | None = 10.0) -> None:  # noqa: ASYNC109
        await self.wait_for(lambda: self.booted, timeout)

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    # Controls: what a driver or the network does to the station

    async def plug_in(self, connector_id: int, *, soc: float | None = None) -> None:
        """A vehicle is plugged in (with `soc`, else the connector's start_soc)."""
        connector = self.connector(connector_id)
        if connector.plugged:
            return
        self._advance()
        connector.plugged = True
        connector.finishing = False
        connector.soc = connector.start_soc if soc is None else soc
        authorized = connector._authorized
        if authorized is not None and connector.is_free and authorized[1] >= time.monotonic():
            self._start_transaction(connector, authorized[0])
        self._report_statuses()
        self._notify()

    async def present_card(self, connector_id: int, id_tag: str) -> str:
        """An RFID card is held to the reader; returns the authorization status.

        Accepted and plugged in: the transaction starts. The card of the running transaction
        stops it.
        """
        connector = self.connector(connector_id)
        running = connector.transaction
        if running is not None and _same_tag(running.id_tag, id_tag):
            self._stop_transaction(connector, "Local", id_tag=id_tag)
            return ACCEPTED
        status = await self._authorize(id_tag)
        log.info("%s: card %s at connector %d: %s", self.identity, id_tag, connector_id, status)
        if status != ACCEPTED or running is not None or not connector.is_free:
            self._notify()
            return status
        if connector.plugged:
            self._start_transaction(connector, id_tag)
        else:
            deadline = time.monotonic() + self._number("ConnectionTimeOut")
            connector._authorized = (id_tag, deadline)
            self._report_statuses()
        self._notify()
        return status

    async def unplug(self, connector_id: int) -> None:
        """The vehicle is unplugged: a running transaction ends (EVDisconnected)."""
        connector = self.connector(connector_id)
        if connector.transaction is not None:
            self._stop_transaction(connector, "EVDisconnected")
        connector.plugged = False
        connector.finishing = False
        self._report_statuses()
        self._notify()

    async def stop_locally(
        self, connector_id: int, reason: str = "Local", id_tag: str | None = None
    ) -> bool:
        """Stop the connector's transaction at the station; False if none was running."""
        connector = self.connector(connector_id)
        if connector.transaction is None:
            return False
        self._stop_transaction(connector, reason, id_tag=id_tag)
        self._notify()
        return True

    async def report_fault(self, connector_id: int, error_code: str = "OtherError") -> None:
        """A fault (connector 0: the whole station); a transaction on the connector ends."""
        if error_code not in ERROR_CODES or error_code == NO_ERROR:
            raise ValueError(f"{error_code!r} is not an OCPP 1.6 fault error code")
        if connector_id == 0:
            self._station_error = error_code
        else:
            connector = self.connector(connector_id)
            if connector.transaction is not None:
                self._stop_transaction(connector, "Other")
            connector.error_code = error_code
        self._report_statuses()
        self._notify()

    async def clear_fault(self, connector_id: int) -> None:
        if connector_id == 0:
            self._station_error = NO_ERROR
        else:
            self.connector(connector_id).error_code = NO_ERROR
        self._report_statuses()
        self._notify()

    async def disconnect(self, *, stay_offline: bool = False) -> None:
        """Drop the connection now, as a network outage does. The run loop reconnects, or
        with `stay_offline` waits for `reconnect()` first."""
        if stay_offline:
            self._may_connect.clear()
        websocket = self._websocket
        if websocket is not None:
            websocket.transport.abort()
            await self.wait_for(lambda: self._websocket is not websocket, CLOSE_TIMEOUT_S)

    async def reconnect(self) -> None:
        """End an outage begun with `disconnect(stay_offline=True)`."""
        self._may_connect.set()

    # Running

    async def run(self) -> None:
        """Connect, boot and serve; reconnect whenever the connection is lost. Runs until
        cancelled."""
        if self._running:
            raise RuntimeError(f"{self.identity} is running already")
        self._running = True
        meters = asyncio.create_task(self._run_meters(), name=f"{self.identity} meters")
        failures = 0
        try:
            while True:
                await self._may_connect.wait()
                self._became_ready = False
                try:
                    await self._connect_and_serve()
                except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed) as error:
                    level = logging.INFO if failures == 0 else logging.DEBUG
                    log.log(level, "%s: connection failed: %s", self.identity, error)
                except InvalidURI:
                    raise
                except Exception:  # the station stays alive, as a charger's firmware would
                    log.exception("%s: connection failed", self.identity)
                if self._rebooting:
                    self._rebooting = False
                    self._needs_boot = True
                    delay = REBOOT_DELAY_S
                else:
                    if self._became_ready:
                        failures = 0
                    backoff = self.reconnect_initial_s * 2 ** min(failures, 30)
                    delay = min(backoff, self.reconnect_max_s) * self._rng.uniform(0.8, 1.0)
                    failures += 1
                await asyncio.sleep(delay)
        finally:
            await _cancel_all([meters, *self._tasks])
            self._running = False

    async def _connect_and_serve(self) -> None:
        headers = {}
        if self._password is not None:
            token = base64.b64encode(f"{self.identity}:{self._password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        ping_interval = self._number("WebSocketPingInterval")
        async with connect(
            f"{self.url.rstrip('/')}/{self.identity}",
            subprotocols=[SUBPROTOCOL],
            additional_headers=headers,
            user_agent_header=f"{self.vendor}/{self.firmware_version}",
            open_timeout=OPEN_TIMEOUT_S,
            close_timeout=CLOSE_TIMEOUT_S,
            ping_interval=ping_interval or None,
        ) as websocket:
            await self._serve(websocket)

    async def _serve(self, websocket: ClientConnection) -> None:
        wire = _Wire(self, websocket)
        link = _Link(self, wire)
        self._websocket = websocket
        self._link = link
        self.connection_count += 1
        log.info("%s: connected to %s", self.identity, self.url)
        self._notify()
        tasks = [
            asyncio.create_task(wire.pump(), name=f"{self.identity} receive"),
            asyncio.create_task(link.start(), name=f"{self.identity} route"),
            asyncio.create_task(self._session(), name=f"{self.identity} session"),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                error = task.exception()
                if error is not None and not isinstance(error, ConnectionClosed):
                    raise error
        finally:
            await _cancel_all(tasks)
            self._link = None
            self._websocket = None
            self._booted = False
            self._follow_ups.clear()
            self._commands_in_flight = 0
            self._awaiting_answer = 0
            # Status and other live messages are re-sent after reconnecting; only
            # transaction messages wait.
            self._outbox = deque(item for item in self._outbox if item.transaction is not None)
            log.info("%s: disconnected", self.identity)
            self._notify()

    async def _session(self) -> None:
        if self._needs_boot or self.registration_status != ACCEPTED:
            await self._boot()
        self._booted = True
        self._became_ready = True
        self._notify()
        self._report_statuses(force=True)
        heartbeats = asyncio.create_task(self._send_heartbeats(), name=f"{self.identity} heartbeat")
        try:
            await self._deliver_outbox()
        finally:
            await _cancel_all([heartbeats])

    def _boot_notification(self) -> Any:
        return call.BootNotification(
            charge_point_model=self.model,
            charge_point_vendor=self.vendor,
            charge_point_serial_number=f"SIM-{self.identity}"[:25],
            firmware_version=self.firmware_version,
            meter_type="Sim-Meter",
            meter_serial_number=f"M-{self.identity}"[:25],
        )

    async def _boot(self) -> None:
        """BootNotification until Accepted (OCPP 1.6 §4.2: retry after the given interval)."""
        link = self._link
        assert link is not None
        while True:
            self._boot_requested.clear()
            try:
                answer = await link.request(self._boot_notification())
            except (TimeoutError, OCPPError, UnknownCallErrorCodeError) as error:
                log.warning("%s: BootNotification failed: %s", self.identity, error)
                await _wait(self._boot_requested, self.reconnect_max_s)
                continue
            self._boot_answered(answer)
            if answer.status == ACCEPTED:
                return
            log.info("%s: boot answered %s", self.identity, answer.status)
            await _wait(self._boot_requested, answer.interval or DEFAULT_BOOT_RETRY_S)

    def _boot_answered(self, answer: Any) -> None:
        self.delivered["BootNotification"] += 1
        self.registration_status = answer.status
        if answer.status == ACCEPTED:
            self.boot_count += 1
            self._needs_boot = False
            if answer.interval > 0:
                self._config["HeartbeatInterval"].value = str(answer.interval)
                self._heartbeat_changed.set()
            log.info("%s: booted (heartbeat every %s s)", self.identity, answer.interval)
        self._notify()

    async def _send_heartbeats(self) -> None:
        while True:
            interval = self.heartbeat_interval_s
            self._heartbeat_changed.clear()
            if await _wait(self._heartbeat_changed, interval if interval > 0 else None):
                continue
            await self._send_now(call.Heartbeat())

    async def _send_now(self, payload: Any) -> Any | None:
        """Send a message that is not queued; None if it got no answer."""
        link = self._link
        if link is None:
            return None
        action = type(payload).__name__
        try:
            answer = await link.request(payload)
        except (ConnectionClosed, TimeoutError, OCPPError, UnknownCallErrorCodeError) as error:
            log.info("%s: %s not answered: %s", self.identity, action, error)
            return None
        self.delivered[action] += 1
        self._notify()
        return answer

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=f"{self.identity} {name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("%s: %s failed", self.identity, task.get_name(), exc_info=error)

    # The outbox

    def _enqueue(self, item: _Outgoing) -> None:
        if item.transaction is None and not self._booted:
            return  # a live message is pointless offline; the state is re-sent on reconnect
        self._outbox.append(item)
        self._outbox_ready.set()

    async def _deliver_outbox(self) -> None:
        """Send the outbox in order, one message at a time; a transaction message leaves
        it only once answered (or refused for good)."""
        link = self._link
        assert link is not None
        while True:
            if not self._outbox:
                self._outbox_ready.clear()
                await self._outbox_ready.wait()
                continue
            await self._deliver(link, self._outbox[0])

    async def _deliver(self, link: _Link, item: _Outgoing) -> None:
        payload = item.build()
        if payload is None:
            self._drop(item)
            return
        try:
            answer = await link.request(payload)
        except ConnectionClosed:
            raise
        except TimeoutError:
            problem, transient = "no answer in time", True
        except OCPPError as error:
            problem = f"{error.code} {error.description}"
            transient = error.code == "InternalError"
        except Exception as error:  # an unknown error code, an answer the schema refuses
            problem, transient = repr(error), False
        else:
            if self._outbox and self._outbox[0] is item:
                self._outbox.popleft()
            self.delivered[item.action] += 1
            if item.on_answer is not None:
                item.on_answer(answer)
            self._notify()
            return
        if item.transaction is None:
            log.info("%s: %s not delivered: %s", self.identity, item.action, problem)
            self._drop(item)
            return
        item.attempts += 1
        attempts = max(1, int(self._number("TransactionMessageAttempts")))
        if not transient and item.attempts >= attempts:
            log.error(
                "%s: %s refused %d times (%s); dropped",
                self.identity,
                item.action,
                item.attempts,
                problem,
            )
            if item.action == "StartTransaction":
                item.transaction.start_dropped = True
            self._drop(item)
            return
        log.warning("%s: %s not delivered (%s); will retry", self.identity, item.action, problem)
        interval = self._number("TransactionMessageRetryInterval")
        await asyncio.sleep(min(interval * item.attempts, MAX_TRANSACTION_RETRY_DELAY_S))

    def _drop(self, item: _Outgoing) -> None:
        with contextlib.suppress(ValueError):
            self._outbox.remove(item)
        self._notify()

    # Status

    def _statuses(self) -> Iterable[tuple[int, str, str]]:
        yield 0, self.status, self._station_error
        for connector in self.connectors:
            yield connector.connector_id, connector.status, connector.error_code

    def _report_statuses(self, *, force: bool = False, only: int | None = None) -> None:
        """StatusNotification for each connector whose status changed (or all, forced)."""
        for connector_id, status, error_code in self._statuses():
            if only is not None and connector_id != only:
                continue
            if not force and self._reported.get(connector_id) == (status, error_code):
                continue
            self._reported[connector_id] = (status, error_code)
            payload = call.StatusNotification(
                connector_id=connector_id,
                error_code=error_code,
                status=status,
                timestamp=_iso(_utcnow()),
            )
            log.debug("%s: connector %d is %s", self.identity, connector_id, status)
            self._enqueue(_Outgoing("StatusNotification", _fixed(payload)))

    # Vehicles and meters

    def _advance(self) -> None:
        """Let simulated time pass up to now."""
        now = time.monotonic()
        seconds = (now - self._advanced_at) * self.speed
        self._advanced_at = now
        if seconds <= 0:
            return
        for connector in self.connectors:
            connector._charge(seconds, self._rng)

    def _sampling_interval_s(self) -> float:
        return self._number("MeterValueSampleInterval")

    async def _run_meters(self) -> None:
        """The vehicles charge and the meters count whether or not the station is online."""
        interval = self._sampling_interval_s()
        while True:
            tick = min(interval, MAX_TICK_S) if interval > 0 else MAX_TICK_S
            self._meter_settings_changed.clear()
            changed = await _wait(self._meter_settings_changed, tick)
            self._advance()
            now = time.monotonic()
            if changed:
                interval = self._sampling_interval_s()
                for connector in self.connectors:
                    connector._next_sample_at = now + interval
            for connector in self.connectors:
                authorized = connector._authorized
                if authorized is not None and authorized[1] < now:
                    connector._authorized = None  # ConnectionTimeOut: nobody plugged in
                if (
                    connector.transaction is not None
                    and interval > 0
                    # Timers may fire a hair early.
                    and now + tick * 0.05 >= connector._next_sample_at
                ):
                    connector._next_sample_at = max(connector._next_sample_at + interval, now)
                    self._sample(connector, "Sample.Periodic")
            self._report_statuses()
            self._notify()

    def _sample(self, connector: SimulatedConnector, context: str) -> None:
        """MeterValues with the configured measurands, queued with the transaction's."""
        taken_at = _utcnow()
        values = _sampled_values(
            connector._readings(), _csl(self._config["MeterValuesSampledData"].value), context
        )
        if not values:
            return
        meter_value = {"timestamp": _iso(taken_at), "sampledValue": values}
        transaction = connector.transaction
        connector_id = connector.connector_id
        if transaction is None:
            payload = call.MeterValues(connector_id=connector_id, meter_value=[meter_value])
            self._enqueue(_Outgoing("MeterValues", _fixed(payload)))
            return
        if context == "Sample.Periodic":
            transaction.sampled_at.append(taken_at)

        def build() -> Any:
            return call.MeterValues(
                connector_id=connector_id,
                meter_value=[meter_value],
                transaction_id=transaction.transaction_id,
            )

        def answered(_: Any) -> None:
            transaction.meter_values_delivered += 1

        self._enqueue(_Outgoing("MeterValues", build, transaction, answered))

    # Transactions

    def _start_transaction(self, connector: SimulatedConnector, id_tag: str) -> None:
        self._advance()
        transaction = SimulatedTransaction(
            handle=next(self._handles),
            connector_id=connector.connector_id,
            id_tag=id_tag,
            meter_start_wh=connector.meter_wh,
            started_at=_utcnow(),
        )
        self.transactions.append(transaction)
        connector.transaction = transaction
        connector.finishing = False
        connector._authorized = None
        connector._remote_start_pending = False
        connector.reservation = None
        connector._charging_s = 0.0
        connector._next_sample_at = time.monotonic() + self._sampling_interval_s()
        payload = call.StartTransaction(
            connector_id=connector.connector_id,
            id_tag=id_tag,
            meter_start=transaction.meter_start_wh,
            timestamp=_iso(transaction.started_at),
        )

        def answered(answer: Any) -> None:
            self._start_answered(transaction, answer)

        self._enqueue(_Outgoing("StartTransaction", _fixed(payload), transaction, answered))
        log.info(
            "%s: transaction %d started on connector %d for %s",
            self.identity,
            transaction.handle,
            connector.connector_id,
            id_tag,
        )
        self._report_statuses()
        self._notify()

    def _start_answered(self, transaction: SimulatedTransaction, answer: Any) -> None:
        transaction.transaction_id = int(answer.transaction_id)
        info: dict[str, Any] = answer.id_tag_info
        transaction.authorization_status = info.get("status")
        self._remember(transaction.id_tag, info)
        log.info(
            "%s: transaction %d is %d (%s)",
            self.identity,
            transaction.handle,
            transaction.transaction_id,
            transaction.authorization_status,
        )
        connector = self.connector(transaction.connector_id)
        if (
            transaction.authorization_status != ACCEPTED
            and connector.transaction is transaction
            and self._flag("StopTransactionOnInvalidId")
        ):
            self._stop_transaction(connector, "DeAuthorized")

    def _stop_transaction(
        self, connector: SimulatedConnector, reason: str, *, id_tag: str | None = None
    ) -> None:
        transaction = connector.transaction
        if transaction is None:
            return
        self._advance()
        transaction.meter_stop_wh = connector.meter_wh
        transaction.stopped_at = _utcnow()
        transaction.stop_reason = reason
        connector.transaction = None
        connector.power_w = 0.0
        connector.finishing = connector.plugged
        if connector._scheduled_operative is not None:
            connector.operative = connector._scheduled_operative
            connector._scheduled_operative = None
        begin = _sampled_values(
            {ENERGY_REGISTER: (str(transaction.meter_start_wh), "Wh")},
            [ENERGY_REGISTER],
            "Transaction.Begin",
        )
        end = _sampled_values(connector._readings(), [ENERGY_REGISTER, "SoC"], "Transaction.End")
        transaction_data = [
            {"timestamp": _iso(transaction.started_at), "sampledValue": begin},
            {"timestamp": _iso(transaction.stopped_at), "sampledValue": end},
        ]

        def build() -> Any:
            if transaction.transaction_id is None:
                log.error(
                    "%s: stop of transaction %d dropped: it never got an id",
                    self.identity,
                    transaction.handle,
                )
                return None
            return call.StopTransaction(
                meter_stop=transaction.meter_stop_wh,
                timestamp=_iso(transaction.stopped_at or _utcnow()),
                transaction_id=transaction.transaction_id,
                reason=reason,
                id_tag=id_tag,
                transaction_data=transaction_data,
            )

        def answered(answer: Any) -> None:
            transaction.stop_delivered = True
            if id_tag is not None and answer.id_tag_info:
                self._remember(id_tag, answer.id_tag_info)

        self._enqueue(_Outgoing("StopTransaction", build, transaction, answered))
        log.info(
            "%s: transaction %d stopped (%s), %d Wh",
            self.identity,
            transaction.handle,
            reason,
            transaction.energy_wh,
        )
        self._report_statuses()
        self._notify()

    def _stop_if_running(self, transaction: SimulatedTransaction, reason: str) -> None:
        connector = self.connector(transaction.connector_id)
        if connector.transaction is transaction:
            self._stop_transaction(connector, reason)

    # Authorization

    async def _authorize(self, id_tag: str) -> str:
        """Authorize online; offline (or unanswered) from the local list and the cache."""
        local = self._local_authorization(id_tag)
        if self._booted:
            if local == ACCEPTED and self._flag("LocalPreAuthorize"):
                return ACCEPTED
            answer = await self._send_now(call.Authorize(id_tag=id_tag))
            if answer is not None:
                info: dict[str, Any] = answer.id_tag_info
                self._remember(id_tag, info)
                return str(info.get("status", "Invalid"))
        if not self._flag("LocalAuthorizeOffline"):
            return "Invalid"
        if local is not None:
            return local
        return ACCEPTED if self._flag("AllowOfflineTxForUnknownId") else "Invalid"

    def _local_authorization(self, id_tag: str) -> str | None:
        key = id_tag.casefold()
        info: dict[str, Any] | None = None
        if self._flag("LocalAuthListEnabled") and key in self._local_list:
            info = self._local_list[key][1]
        elif self._flag("AuthorizationCacheEnabled"):
            info = self._auth_cache.get(key)
        if info is None:
            return None
        status = str(info.get("status", "Invalid"))
        expiry = _parse_time(info.get("expiry_date"))
        if status == ACCEPTED and expiry is not None and expiry < datetime.now(UTC):
            return "Expired"
        return status

    def _remember(self, id_tag: str, info: dict[str, Any]) -> None:
        if self._flag("AuthorizationCacheEnabled"):
            self._auth_cache[id_tag.casefold()] = dict(info)

    # Configuration

    def _number(self, key: str) -> float:
        try:
            return float(self._config[key].value)
        except ValueError:
            return 0.0

    def _flag(self, key: str) -> bool:
        return self._config[key].value.strip().lower() == "true"

    def _setting(self, key: str) -> tuple[str, _Setting] | None:
        setting = self._config.get(key)
        if setting is not None:
            return key, setting
        for name, candidate in self._config.items():
            if name.casefold() == key.casefold():
                return name, candidate
        return None

    # Answers to the central system (called by _Link; follow-ups run after the answer is sent)

    def _command_received(self) -> None:
        self.commands_received += 1
        self._commands_in_flight += 1
        self.max_commands_in_flight = max(self.max_commands_in_flight, self._commands_in_flight)

    def _command_answered(self) -> None:
        self._commands_in_flight = max(0, self._commands_in_flight - 1)

    def _call_sent(self) -> None:
        self._awaiting_answer += 1
        self._notify()

    def _answer_received(self) -> None:
        self._awaiting_answer = max(0, self._awaiting_answer - 1)
        self._notify()

    def _follow_up(self, call_id: str) -> None:
        action = self._follow_ups.pop(call_id, None)
        if action is None:
            return
        try:
            action()
        except Exception:  # a broken follow-up must not take the connection down
            log.exception("%s: acting on command %s failed", self.identity, call_id)
        self._notify()

    def _answer_remote_start(self, call_id: str, id_tag: str, connector_id: int | None) -> str:
        connector = self._free_connector(connector_id)
        if connector is None:
            return "Rejected"
        connector._remote_start_pending = True
        self._follow_ups[call_id] = lambda: self._spawn(
            self._remote_start(connector, id_tag), "remote start"
        )
        return ACCEPTED

    def _free_connector(self, connector_id: int | None) -> SimulatedConnector | None:
        if not self._station_operative or self._station_error != NO_ERROR:
            return None
        if connector_id is None:
            free = [
                connector
                for connector in self.connectors
                if connector.is_free and not connector._remote_start_pending
            ]
            # A vehicle that is plugged in already is the one waiting for the start.
            free.sort(key=lambda connector: not connector.plugged)
            return free[0] if free else None
        if not 1 <= connector_id <= len(self.connectors):
            return None
        connector = self.connector(connector_id)
        if connector.is_free and not connector._remote_start_pending:
            return connector
        return None

    async def _remote_start(self, connector: SimulatedConnector, id_tag: str) -> None:
        try:
            if self._flag("AuthorizeRemoteTxRequests"):
                status = await self._authorize(id_tag)
                if status != ACCEPTED:
                    log.info(
                        "%s: remote start for %s not authorized: %s", self.identity, id_tag, status
                    )
                    return
            if not connector.is_free:
                return
            if not connector.plugged:
                # The driver who asked for the start plugs in.
                connector.plugged = True
                connector.soc = connector.start_soc
            self._start_transaction(connector, id_tag)
        finally:
            connector._remote_start_pending = False
            self._report_statuses()
            self._notify()

    def _answer_remote_stop(self, call_id: str, transaction_id: int) -> str:
        running = [
            connector.transaction
            for connector in self.connectors
            if connector.transaction is not None
            and connector.transaction.transaction_id == transaction_id
        ]
        if not running:
            return "Rejected"
        transaction = running[0]
        self._follow_ups[call_id] = lambda: self._stop_if_running(transaction, "Remote")
        return ACCEPTED

    def _answer_reset(self, call_id: str, kind: str) -> str:
        self._follow_ups[call_id] = lambda: self._spawn(self._reboot(kind), "reset")
        return ACCEPTED

    async def _reboot(self, kind: str) -> None:
        reason = "HardReset" if kind == "Hard" else "SoftReset"
        log.info("%s: %s", self.identity, reason)
        for connector in self.connectors:
            self._stop_transaction(connector, reason)
        self._rebooting = True
        if kind != "Hard":
            # A soft reset is graceful: what the station has to say (the stops first of all)
            # is answered before it reboots.
            with contextlib.suppress(TimeoutError):
                await self.wait_for(
                    lambda: not self.connected or self.queued() == 0, SOFT_RESET_DRAIN_S
                )
        websocket = self._websocket
        if websocket is not None:
            await websocket.close(reason=reason)

    def _answer_unlock(self, call_id: str, connector_id: int) -> str:
        if not 1 <= connector_id <= len(self.connectors):
            return "UnlockFailed"
        transaction = self.connector(connector_id).transaction
        if transaction is not None:
            self._follow_ups[call_id] = lambda: self._stop_if_running(transaction, "UnlockCommand")
        return "Unlocked"

    def _answer_reserve_now(
        self, call_id: str, connector_id: int, id_tag: str, reservation_id: int, expiry: datetime
    ) -> str:
        if not 1 <= connector_id <= len(self.connectors):
            return "Rejected"
        connector = self.connector(connector_id)
        if connector.error_code != NO_ERROR:
            return "Faulted"
        if not connector.operative or not self._station_operative:
            return "Unavailable"
        if connector.transaction is not None or connector.plugged:
            return "Occupied"
        connector.reservation = (reservation_id, id_tag, expiry)
        self._follow_ups[call_id] = self._report_statuses
        return ACCEPTED

    def _answer_cancel_reservation(self, call_id: str, reservation_id: int) -> str:
        for connector in self.connectors:
            if connector.reservation is not None and connector.reservation[0] == reservation_id:
                connector.reservation = None
                self._follow_ups[call_id] = self._report_statuses
                return ACCEPTED
        return "Rejected"

    def _answer_change_availability(self, call_id: str, connector_id: int, kind: str) -> str:
        if not 0 <= connector_id <= len(self.connectors):
            return "Rejected"
        operative = kind == "Operative"
        targets = self.connectors if connector_id == 0 else (self.connector(connector_id),)
        busy = any(connector.transaction is not None for connector in targets)

        def apply() -> None:
            if connector_id == 0:
                self._station_operative = operative
            for connector in targets:
                if connector.transaction is not None and not operative:
                    connector._scheduled_operative = False
                else:
                    connector.operative = operative
                    connector._scheduled_operative = None
            self._report_statuses()

        self._follow_ups[call_id] = apply
        return "Scheduled" if busy and not operative else ACCEPTED

    def _answer_trigger(self, call_id: str, message: str, connector_id: int | None) -> str:
        if message not in TRIGGERABLE:
            return "NotImplemented"
        if connector_id is not None and not 0 <= connector_id <= len(self.connectors):
            return "Rejected"
        self._follow_ups[call_id] = lambda: self._send_triggered(message, connector_id)
        return ACCEPTED

    def _send_triggered(self, message: str, connector_id: int | None) -> None:
        if message == "StatusNotification":
            self._report_statuses(force=True, only=connector_id)
        elif message == "MeterValues":
            self._advance()
            for connector in self.connectors:
                if connector_id in (None, 0, connector.connector_id):
                    self._sample(connector, "Trigger")
        elif message == "BootNotification":
            if self._booted:
                self._spawn(self._send_boot(), "triggered boot")
            else:
                self._boot_requested.set()
        elif message == "Heartbeat":
            self._spawn(self._send_and_forget(call.Heartbeat()), "triggered heartbeat")
        elif message == "DiagnosticsStatusNotification":
            payload = call.DiagnosticsStatusNotification(status="Idle")
            self._spawn(self._send_and_forget(payload), "triggered diagnostics status")
        elif message == "FirmwareStatusNotification":
            payload = call.FirmwareStatusNotification(status="Idle")
            self._spawn(self._send_and_forget(payload), "triggered firmware status")

    async def _send_boot(self) -> None:
        link = self._link
        if link is None:
            return
        try:
            answer = await link.request(self._boot_notification())
        except (ConnectionClosed, TimeoutError, OCPPError, UnknownCallErrorCodeError) as error:
            log.info("%s: BootNotification not answered: %s", self.identity, error)
            return
        self._boot_answered(answer)

    async def _send_and_forget(self, payload: Any) -> None:
        await self._send_now(payload)

    def _answer_get_configuration(self, keys: list[str] | None) -> Any:
        if not keys:
            found = list(self._config.items())
            unknown: list[str] = []
        else:
            found = []
            unknown = []
            for key in keys:
                setting = self._setting(key)
                if setting is None:
                    unknown.append(key)
                else:
                    found.append(setting)
        return call_result.GetConfiguration(
            configuration_key=[
                {"key": name, "readonly": setting.readonly, "value": setting.value}
                for name, setting in found
            ],
            unknown_key=unknown or None,
        )

    def _answer_change_configuration(self, key: str, value: str) -> str:
        setting = self._setting(key)
        if setting is None:
            return "NotSupported"
        name, current = setting
        if current.readonly or not current.valid(value):
            return "Rejected"
        current.value = value.strip()
        log.info("%s: %s set to %s", self.identity, name, current.value)
        if name == "HeartbeatInterval":
            self._heartbeat_changed.set()
        elif name == "MeterValueSampleInterval":
            self._meter_settings_changed.set()
        return ACCEPTED

    def _answer_clear_cache(self) -> str:
        self._auth_cache.clear()
        return ACCEPTED

    def _answer_send_local_list(
        self, version: int, update_type: str, entries: list[dict[str, Any]]
    ) -> str:
        if len(entries) > self._number("SendLocalListMaxLength"):
            return "Failed"
        if update_type == "Full":
            updated: dict[str, tuple[str, dict[str, Any]]] = {}
        else:
            if version <= self.local_list_version:
                return "VersionMismatch"
            updated = dict(self._local_list)
        for entry in entries:
            id_tag = str(entry["id_tag"])
            info = entry.get("id_tag_info")
            if info is None:  # a differential update removes the entry
                updated.pop(id_tag.casefold(), None)
            else:
                updated[id_tag.casefold()] = (id_tag, dict(info))
        if len(updated) > self._number("LocalAuthListMaxLength"):
            return "Failed"
        self._local_list = updated
        self._local_list_version = version
        log.info("%s: local list version %d, %d entries", self.identity, version, len(updated))
        return ACCEPTED


def _default_model(connectors: Sequence[SimulatedConnector]) -> str:
    kind = "DC" if any(connector.dc for connector in connectors) else "AC"
    kilowatts = round(max(connector.max_power_w for connector in connectors) / 1000)
    return f"Sim-{kind}-{kilowatts}kW"


# The connection ------------------------------------------------------------------------------


class _Wire:
    """The socket as the ocpp package reads and writes it.

    Frames are read eagerly into an inbox, so that the station sees a command arrive even
    while it is still answering the previous one (the central system must not do that: one
    call in flight per direction, OCPP-J §4.1.1)."""

    def __init__(self, station: SimulatedStation, websocket: ClientConnection) -> None:
        self._station = station
        self._websocket = websocket
        self._inbox: asyncio.Queue[str] = asyncio.Queue()

    async def pump(self) -> None:
        async for message in self._websocket:
            frame = message if isinstance(message, str) else message.decode()
            kind = _message_type(frame)
            if kind == CALL:
                self._station._command_received()
            elif kind in (CALL_RESULT, CALL_ERROR):
                self._station._answer_received()
            self._inbox.put_nowait(frame)

    async def recv(self) -> str:
        return await self._inbox.get()

    async def send(self, frame: str) -> None:
        kind = _message_type(frame)
        if kind in (CALL_RESULT, CALL_ERROR):
            if self._station.answer_delay_s > 0:
                await asyncio.sleep(self._station.answer_delay_s)
            # Counted before the write: nothing can answer a frame that has not left yet.
            self._station._command_answered()
        elif kind == CALL:
            self._station._call_sent()
        await self._websocket.send(frame)


_Handler = TypeVar("_Handler", bound=Callable[..., Any])


def _on(action: Action) -> Callable[[_Handler], _Handler]:
    """`ocpp.routing.on`, typed."""
    decorator: Callable[[_Handler], _Handler] = on(action)
    return decorator


def _after(action: Action) -> Callable[[_Handler], _Handler]:
    """`ocpp.routing.after`, typed."""
    decorator: Callable[[_Handler], _Handler] = after(action)
    return decorator


class _Link(ChargePoint):  # type: ignore[misc]
    """One connection of a station: the ocpp package's charge point, answering commands
    through the station. An `@after` hook carries out what the answer promised."""

    def __init__(self, station: SimulatedStation, wire: _Wire) -> None:
        super().__init__(station.identity, wire, response_timeout=station.response_timeout_s)
        self._station = station

    async def request(self, payload: Any) -> Any:
        """Send a call and return the answer; a CallError is raised as OCPPError."""
        answer = await self.call(payload, suppress=False)
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            # Python 3.11's asyncio.wait_for (inside the ocpp package) returns an answer that
            # arrives together with a cancellation and drops the cancellation.
            raise asyncio.CancelledError
        return answer

    @_on(Action.remote_start_transaction)
    def on_remote_start_transaction(
        self, id_tag: str, call_unique_id: str, connector_id: int | None = None, **_: Any
    ) -> Any:
        status = self._station._answer_remote_start(call_unique_id, id_tag, connector_id)
        return call_result.RemoteStartTransaction(status=status)

    @_after(Action.remote_start_transaction)
    def after_remote_start_transaction(self, call_unique_id: str, **_: Any) -> None:
        self._station._follow_up(call_unique_id)

    @_on(Action.remote_stop_transaction)
    def on_remote_stop_transaction(self, transaction_id: int, call_unique_id: str, **_: Any) -> Any:
        status = self._station._answer_remote_stop(call_unique_id, transaction_id)
        return call_result.RemoteStopTransaction(status=status)

    @_after(Action.remote_stop_transaction)
    def after_remote_stop_transaction(self, call_unique_id: str, **_: Any) -> None:
        self._station._follow_up(call_unique_id)

    @_on(Action.reset)
    def on_reset(self, type: str, call_unique_id: str, **_: Any) -> Any:
        return call_result.Reset(status=self._station._answer_reset(call_unique_id, type))

    @_after(Action.reset)
    def after_reset(self, call_unique_id: str, **_: Any) -> None:
        self._station._follow_up(call_unique_id)

    @_on(Action.unlock_connector)
    def on_unlock_connector(self, connector_id: int, call_unique_id: str, **_: Any) -> Any:
        status = self._station._answer_unlock(call_unique_id, connector_id)
        return call_result.UnlockConnector(status=status)

    @_after(Action.unlock_connector)
    def after_unlock_connector(self, call_unique_id: str, **_: Any) -> None:
        self._station._follow_up(call_unique_id)

    @_on(Action.reserve_now)
    def on_reserve_now(
        self,
        connector_id: int,
        expiry_date: str,
        id_tag: str,
        reservation_id: int,
        call_unique_id: str,
        **_: Any,
    ) -> Any:
        expiry = datetime.fromisoformat(expiry_date.replace("Z", "+00:00"))
        status = self._station._answer_reserve_now(
            call_unique_id, connector_id, id_tag, reservation_id, expiry
        )
        return call_result.ReserveNow(status=status)

    @_after(Action.reserve_now)
    def after_reserve_now(self, call_unique_id: str, **_: Any) -> None:
        self._station._follow_up(call_unique_id)

    @_on(Action.cancel_reservation)
    def on_cancel_reservation(self, reservation_id: int, call_unique_id: str, **_: Any) -> Any:
        status = self._station._answer_cancel_reservation(call_unique_id, reservation_id)
        return call_result.CancelReservation(status=status)

    @_after(Action.cancel_reservation)
    def after_cancel_reservation(self, call_unique_id: str, **_: Any) -> None:
        self._station._follow_up(call_unique_id)

    @_on(Action.change_availability)
    def on_change_availability(
        self, connector_id: int, type: str, call_unique_id: str, **_: Any
    ) -> Any:
        status = self._station._answer_change_availability(call_unique_id, connector_id, type)
        return call_result.ChangeAvailability(status=status)

    @_after(Action.change_availability)
    def after_change_availability(self, call_unique_id: str, **_: Any) -> None:
        self._station._follow_up(call_unique_id)

    @_on(Action.trigger_message)
    def on_trigger_message(
        self,
        requested_message: str,
        call_unique_id: str,
        connector_id: int | None = None,
        **_: Any,
    ) -> Any:
        status = self._station._answer_trigger(call_unique_id, requested_message, connector_id)
        return call_result.TriggerMessage(status=status)

    @_after(Action.trigger_message)
    def after_trigger_message(self, call_unique_id: str, **_: Any) -> None:
        self._station._follow_up(call_unique_id)

    @_on(Action.get_configuration)
    def on_get_configuration(self, key: list[str] | None = None, **_: Any) -> Any:
        return self._station._answer_get_configuration(key)

    @_on(Action.change_configuration)
    def on_change_configuration(self, key: str, value: str, **_: Any) -> Any:
        status = self._station._answer_change_configuration(key, value)
        return call_result.ChangeConfiguration(status=status)

    @_on(Action.clear_cache)
    def on_clear_cache(self, **_: Any) -> Any:
        return call_result.ClearCache(status=self._station._answer_clear_cache())

    @_on(Action.send_local_list)
    def on_send_local_list(
        self,
        list_version: int,
        update_type: str,
        local_authorization_list: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> Any:
        status = self._station._answer_send_local_list(
            list_version, update_type, local_authorization_list or []
        )
        return call_result.SendLocalList(status=status)

    @_on(Action.get_local_list_version)
    def on_get_local_list_version(self, **_: Any) -> Any:
        return call_result.GetLocalListVersion(list_version=self._station.local_list_version)

    @_on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **_: Any) -> Any:
        return call_result.DataTransfer(status="UnknownVendorId")


# Fleets --------------------------------------------------------------------------------------

FLEET_CONNECTOR_POWER_W = 22_000.0
# How often a demo driver arrives at a connector, and how long a demo session lasts (seconds).
DEMO_FIRST_ARRIVAL_S = (5.0, 90.0)
DEMO_IDLE_S = (90.0, 420.0)
DEMO_PLUG_TO_CARD_S = (3.0, 15.0)
DEMO_CHARGING_S = (120.0, 480.0)
DEMO_LINGER_S = (5.0, 30.0)


async def run_fleet(
    url: str,
    stations: Sequence[tuple[str, str | None]],
    *,
    connectors: int = 2,
    meter_interval_s: float = 10.0,
) -> None:
    """Run stations of `connectors` 22 kW AC connectors each until cancelled."""
    fleet = [
        SimulatedStation(
            identity,
            password,
            url,
            [SimulatedConnector(FLEET_CONNECTOR_POWER_W) for _ in range(connectors)],
            meter_interval_s=meter_interval_s,
        )
        for identity, password in stations
    ]
    log.info("simulating %d stations at %s", len(fleet), url)
    async with asyncio.TaskGroup() as group:
        for station in fleet:
            group.create_task(station.run(), name=f"{station.identity} run")


def demo_connectors(demo: DemoStation) -> list[SimulatedConnector]:
    """The connectors of a demo station: one per EVSE, with its power and current type."""
    return [
        SimulatedConnector(
            float(evse.max_power_w),
            dc=evse.current_type is CurrentType.DC,
            battery_wh=77_000.0 if evse.current_type is CurrentType.DC else 60_000.0,
        )
        for evse in sorted(demo.evses, key=lambda evse: evse.ocpp_connector_id)
    ]


async def run_demo_fleet(url: str, *, meter_interval_s: float = 10.0) -> None:
    """Run the demo stations until cancelled, with drivers coming and going."""
    rng = random.Random()
    fleet = [
        SimulatedStation(
            demo.identity,
            demo.password,
            url,
            demo_connectors(demo),
            meter_interval_s=meter_interval_s,
        )
        for demo in DEMO_STATIONS
    ]
    log.info("simulating the %d demo stations at %s", len(fleet), url)
    # A card is a driver, who charges at one place at a time.
    cards_in_use: set[str] = set()
    async with asyncio.TaskGroup() as group:
        for station in fleet:
            group.create_task(station.run(), name=f"{station.identity} run")
            for connector in station.connectors:
                driver = _demo_driver(
                    station, connector.connector_id, random.Random(rng.random()), cards_in_use
                )
                group.create_task(
                    driver, name=f"{station.identity} driver {connector.connector_id}"
                )


def _demo_card(rng: random.Random, cards_in_use: set[str]) -> DemoCard | None:
    """A card not charging elsewhere: mostly good ones, now and then the blocked or the
    expired one, as in real life."""
    cards = [card for card in DEMO_CARDS if card.uid not in cards_in_use]
    if not cards:
        return None
    weights = [1 if card.status is TokenStatus.BLOCKED or card.expired else 8 for card in cards]
    return rng.choices(cards, weights=weights)[0]


async def _demo_driver(
    station: SimulatedStation, connector_id: int, rng: random.Random, cards_in_use: set[str]
) -> None:
    """Now and then a vehicle arrives: plug in, card, charge a few minutes, leave."""
    await station.wait_booted(None)
    await asyncio.sleep(rng.uniform(*DEMO_FIRST_ARRIVAL_S))
    while True:
        connector = station.connector(connector_id)
        if connector.plugged or connector.transaction is not None:
            # Someone else is here (a remote start from the app): they leave in a while.
            await asyncio.sleep(rng.uniform(*DEMO_CHARGING_S))
            await station.unplug(connector_id)
        elif connector.status == "Available":
            card = _demo_card(rng, cards_in_use)
            if card is not None:
                cards_in_use.add(card.uid)
                try:
                    await _demo_session(station, connector_id, card, rng)
                finally:
                    cards_in_use.discard(card.uid)
        await asyncio.sleep(rng.uniform(*DEMO_IDLE_S))


async def _demo_session(
    station: SimulatedStation, connector_id: int, card: DemoCard, rng: random.Random
) -> None:
    connector = station.connector(connector_id)
    await station.plug_in(connector_id, soc=rng.uniform(10.0, 60.0))
    await asyncio.sleep(rng.uniform(*DEMO_PLUG_TO_CARD_S))
    status = await station.present_card(connector_id, card.uid)
    if status == ACCEPTED and connector.transaction is not None:
        await asyncio.sleep(rng.uniform(*DEMO_CHARGING_S))
        if connector.transaction is not None and rng.random() < 0.5:
            await station.present_card(connector_id, card.uid)  # ends it with the card
        await asyncio.sleep(rng.uniform(*DEMO_LINGER_S))
    else:
        await asyncio.sleep(rng.uniform(*DEMO_PLUG_TO_CARD_S))
    await station.unplug(connector_id)
