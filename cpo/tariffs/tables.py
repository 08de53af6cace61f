from piccolo.columns import (
    JSON,
    Boolean,
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
from cpo.stations.tables import Evse, Site
from cpo.tariffs.enums import AssignmentScope, TariffKind


class Tariff(Table, tablename="tariffs"):
    """A named tariff of an operator; `definition` is a TariffDefinition (see schemas).

    Every change raises `version`. Sessions keep a copy of the definition they started
    under, so a change never reaches a running or finished session.
    """

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    kind = Varchar(length=16, choices=TariffKind, default=TariffKind.AD_HOC)
    description = Text(default="")
    currency = Varchar(length=3)
    definition = JSON()
    version = Integer(default=1)
    valid_from = Timestamptz(null=True, default=None)
    valid_to = Timestamptz(null=True, default=None)
    archived = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class TariffAssignment(Table, tablename="tariff_assignments"):
    """Which tariff applies where: an EVSE, a site, the whole operator (ad hoc), or a
    customer group (contract tariffs, e.g. employees)."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.cascade, index=True)
    scope = Varchar(length=16, choices=AssignmentScope)
    # "operator", "site:<id>", "evse:<id>" or "group:<name>": one assignment per key.
    scope_key = Varchar(length=120)
    site = ForeignKey(references=Site, on_delete=OnDelete.cascade, null=True, default=None)
    evse = ForeignKey(references=Evse, on_delete=OnDelete.cascade, null=True, default=None)
    customer_group = Varchar(length=64, null=True, default=None)
    tariff = ForeignKey(references=Tariff, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())
