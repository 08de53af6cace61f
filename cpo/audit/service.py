"""Writing and reading the audit log.

`record` is called by the services that change something for an admin caller, inside the
transaction of the change. Reading pages backwards by id (newest first) with a cursor; the
CSV export walks forward by id a batch at a time, so a long history never sits in memory.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Final, Protocol

import msgspec

from cpo.accounts.service import UserRef
from cpo.audit.tables import AuditEntry
from cpo.errors import InvalidPeriod
from cpo.operators.service import ActorKind
from cpo.spreadsheets import csv_stream, defused

DEFAULT_PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 500
EXPORT_BATCH_SIZE: Final = 1000
CSV_COLUMNS: Final = (
    "id",
    "at",
    "actor_kind",
    "actor_id",
    "actor",
    "action",
    "target_type",
    "target_id",
    "before",
    "after",
)


class AuditView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    at: datetime
    actor_kind: str
    actor_id: int | None
    actor: str
    action: str
    target_type: str
    target_id: str
    before: Any
    after: Any


class AuditPage(msgspec.Struct, frozen=True, kw_only=True):
    entries: list[AuditView]
    # Pass as `before` for the next (older) page; None on the last page.
    next_before: int | None


class AuditFilter(msgspec.Struct, frozen=True, kw_only=True):
    action: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    target_type: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    target_id: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None


class Actor(Protocol):
    """Who made a change, for the log: an operator's script or staff (`OperatorRef`), or
    a customer's user acting on what is theirs (`CustomerActor`)."""

    @property
    def operator_id(self) -> int: ...

    @property
    def actor_kind(self) -> ActorKind: ...

    @property
    def actor_id(self) -> int | None: ...

    @property
    def actor_name(self) -> str: ...


class CustomerActor(msgspec.Struct, frozen=True, kw_only=True):
    """A contract customer's user as the actor of a change (blocking their own card, a
    fleet manager's cost centre): logged under the operator the customer belongs to."""

    operator_id: int
    actor_id: int
    actor_name: str
    actor_kind: ActorKind = ActorKind.CUSTOMER


def customer_actor(user: UserRef) -> CustomerActor:
    return CustomerActor(operator_id=user.operator_id, actor_id=user.user_id, actor_name=user.email)


def snapshot(value: Any) -> Any:
    """A JSON-able copy of a Struct, dict or list (datetimes as ISO text)."""
    if value is None:
        return None
    return msgspec.json.decode(msgspec.json.encode(value))


async def record(
    caller: Actor,
    action: str,
    target_type: str,
    target_id: str | int,
    *,
    at: datetime,
    before: Any = None,
    after: Any = None,
) -> None:
    """Write one entry; call it inside the transaction of the change."""
    await AuditEntry.insert(
        AuditEntry(
            operator=caller.operator_id,
            at=at,
            actor_kind=caller.actor_kind.value,
            actor_id=caller.actor_id,
            actor_name=caller.actor_name[:254] or caller.actor_kind.value,
            action=action,
            target_type=target_type,
            target_id=str(target_id)[:100],
            before=_json(before),
            after=_json(after),
        )
    )


def _json(value: Any) -> str | None:
    return None if value is None else msgspec.json.encode(snapshot(value)).decode()


def _decoded(value: Any) -> Any:
    # SQLite hands JSON columns back as text, PostgreSQL's driver as text or decoded.
    if isinstance(value, str):
        return json.loads(value)
    return value


def _view(row: dict[str, Any]) -> AuditView:
    return AuditView(
        id=row["id"],
        at=row["at"],
        actor_kind=row["actor_kind"],
        actor_id=row["actor_id"],
        actor=row["actor_name"],
        action=row["action"],
        target_type=row["target_type"],
        target_id=row["target_id"],
        before=_decoded(row["before"]),
        after=_decoded(row["after"]),
    )


def _where(operator_id: int, criteria: AuditFilter) -> Any:
    if criteria.date_from and criteria.date_to and criteria.date_from >= criteria.date_to:
        raise InvalidPeriod("date_from must be before date_to")
    condition: Any = AuditEntry.operator == operator_id
    if criteria.action:
        # "token" finds every token action, "token.block" only blocks.
        if "." in criteria.action:
            condition &= AuditEntry.action == criteria.action
        else:
            condition &= AuditEntry.action.like(criteria.action.replace("%", "") + ".%")
    if criteria.target_type:
        condition &= AuditEntry.target_type == criteria.target_type
    if criteria.target_id:
        condition &= AuditEntry.target_id == criteria.target_id
    if criteria.date_from:
        condition &= AuditEntry.at >= criteria.date_from
    if criteria.date_to:
        condition &= AuditEntry.at < criteria.date_to
    return condition


async def entries(
    operator_id: int,
    criteria: AuditFilter,
    *,
    limit: int = DEFAULT_PAGE_SIZE,
    before: int | None = None,
) -> AuditPage:
    """Newest first; `before` (an entry id) continues where the previous page ended."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    condition = _where(operator_id, criteria)
    if before is not None:
        condition &= AuditEntry.id < before
    rows = (
        await AuditEntry.select()
        .where(condition)
        .order_by(AuditEntry.id, ascending=False)
        .limit(limit + 1)
    )
    page = [_view(row) for row in rows[:limit]]
    return AuditPage(entries=page, next_before=page[-1].id if len(rows) > limit else None)


def _csv_row(entry: AuditView) -> tuple[object, ...]:
    def text(value: Any) -> str:
        return "" if value is None else json.dumps(value, ensure_ascii=False)

    return (
        entry.id,
        entry.at.isoformat(),
        entry.actor_kind,
        "" if entry.actor_id is None else entry.actor_id,
        defused(entry.actor),
        entry.action,
        entry.target_type,
        defused(entry.target_id),
        text(entry.before),
        text(entry.after),
    )


async def _csv_batches(
    operator_id: int, criteria: AuditFilter
) -> AsyncIterator[list[tuple[object, ...]]]:
    condition = _where(operator_id, criteria)
    after_id = 0
    while rows := (
        await AuditEntry.select()
        .where(condition & (AuditEntry.id > after_id))
        .order_by(AuditEntry.id)
        .limit(EXPORT_BATCH_SIZE)
    ):
        yield [_csv_row(_view(row)) for row in rows]
        after_id = rows[-1]["id"]


def export_csv(operator_id: int, criteria: AuditFilter) -> AsyncIterator[bytes]:
    """The log as CSV (UTF-8, header row, oldest first), streamed a batch at a time."""
    return csv_stream(CSV_COLUMNS, _csv_batches(operator_id, criteria))
