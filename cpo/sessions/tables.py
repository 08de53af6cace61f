from piccolo.columns import (
    JSON,
    BigInt,
    BigSerial,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from cpo.operators.tables import Operator
from cpo.sessions.enums import SessionState
from cpo.stations.tables import ChargeStation, Evse
from cpo.tariffs.tables import Tariff
from cpo.tokens.enums import AuthorizationStatus
from cpo.tokens.tables import IdToken


class ChargingSession(Table, tablename="charging_sessions"):
    """One charging session, from the charger's start to its stop.

    For OCPP 1.6 the session id doubles as the transaction id the charger is given.
    """

    id = Serial(primary_key=True)

    operator = ForeignKey(references=Operator, on_delete=OnDelete.restrict, index=True)
    station = ForeignKey(references=ChargeStation, on_delete=OnDelete.restrict, index=True)
    evse = ForeignKey(references=Evse, on_delete=OnDelete.set_null, null=True, default=None)
    ocpp_connector_id = Integer()
    ocpp_transaction_id = Varchar(length=36, null=True, default=None, index=True)
    # Identifies a StartTransaction, so that its retry finds the same session.
    start_key = Varchar(length=200, null=True, default=None, unique=True)
    state = Varchar(length=12, choices=SessionState, default=SessionState.ACTIVE, index=True)
    id_tag = Varchar(length=36, default="")
    id_token = ForeignKey(references=IdToken, on_delete=OnDelete.set_null, null=True, default=None)
    authorization_status = Varchar(
        length=16, choices=AuthorizationStatus, default=AuthorizationStatus.INVALID
    )
    reservation_id = Integer(null=True, default=None)
    started_at = Timestamptz(null=True, default=None)
    start_received_at = Timestamptz(null=True, default=None)
    stopped_at = Timestamptz(null=True, default=None)
    stop_received_at = Timestamptz(null=True, default=None)
    stop_reason = Varchar(length=32, default="")
    stop_id_tag = Varchar(length=36, default="")
    meter_start_wh = BigInt(null=True, default=None)
    meter_stop_wh = BigInt(null=True, default=None)
    energy_wh = BigInt(null=True, default=None)
    # Live values from the latest meter sample, for the session view.
    last_meter_wh = BigInt(null=True, default=None)
    last_power_w = DoublePrecision(null=True, default=None)
    last_soc_percent = DoublePrecision(null=True, default=None)
    last_sample_at = Timestamptz(null=True, default=None)
    # The tariff the session started under, frozen: later edits never reach the session.
    tariff = ForeignKey(references=Tariff, on_delete=OnDelete.set_null, null=True, default=None)
    tariff_version = Integer(null=True, default=None)
    tariff_snapshot = JSON(null=True, default=None)
    time_zone = Varchar(length=64, default="Europe/Berlin")
    needs_reconciliation = Boolean(default=False, index=True)
    reconciliation_reason = Varchar(length=32, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class MeterSample(Table, tablename="meter_samples"):
    """One sampled value of a MeterValues or StopTransaction message, kept verbatim.

    `value` is the string the charger sent (signed data included, untouched);
    `value_normalized` is in base units: Wh, varh, W, var, A, V, Hz, %, Celsius.
    """

    id = BigSerial(primary_key=True)
    station = ForeignKey(references=ChargeStation, on_delete=OnDelete.cascade)
    session = ForeignKey(
        references=ChargingSession, on_delete=OnDelete.cascade, null=True, default=None, index=True
    )
    ocpp_connector_id = Integer()
    ocpp_transaction_id = Varchar(length=36, null=True, default=None, index=True)
    measured_at = Timestamptz()
    received_at = Timestamptz()
    measurand = Varchar(length=48)
    phase = Varchar(length=8, default="")
    location = Varchar(length=8, default="")
    unit = Varchar(length=16, default="")
    context = Varchar(length=24, default="")
    format = Varchar(length=12, default="Raw")
    value = Text()
    value_normalized = DoublePrecision(null=True, default=None)
