"""Every table of the core, in dependency order (what migrations and tests iterate)."""

from piccolo.table import Table

from cpo.operators.tables import Operator
from cpo.sessions.tables import ChargingSession, MeterSample
from cpo.stations.tables import (
    ChargeStation,
    Connector,
    ConnectorStatusEvent,
    Evse,
    Fault,
    Site,
    StationEvent,
)
from cpo.tokens.tables import IdToken

ALL_TABLES: tuple[type[Table], ...] = (
    Operator,
    Site,
    ChargeStation,
    Evse,
    Connector,
    ConnectorStatusEvent,
    Fault,
    StationEvent,
    IdToken,
    ChargingSession,
    MeterSample,
)
