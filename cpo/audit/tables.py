from piccolo.columns import JSON, ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from cpo.operators.tables import Operator


class AuditEntry(Table, tablename="audit_log"):
    """One admin action. Written in the transaction of the change it records (so there is
    never a change without its entry, nor an entry without its change) and never updated.
    The actor's name is kept as it was: a renamed token or user does not rewrite history."""

    id = Serial(primary_key=True)
    operator = ForeignKey(references=Operator, on_delete=OnDelete.cascade, index=True)
    at = Timestamptz(index=True)
    actor_kind = Varchar(length=16)
    actor_id = Integer(null=True, default=None)
    actor_name = Varchar(length=254)
    # "<object>.<verb>", e.g. "tariff.update", "token.block", "station.reset".
    action = Varchar(length=64, index=True)
    target_type = Varchar(length=32)
    target_id = Varchar(length=100, index=True)
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)
