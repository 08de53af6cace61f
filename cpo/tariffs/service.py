"""Tariff use cases: define, change, assign, and find the tariff a session starts under."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from cpo import database
from cpo.audit import service as audit
from cpo.context import Context
from cpo.errors import Conflict, InvalidInput, NotFound
from cpo.money import micro_to_minor
from cpo.operators.service import OperatorRef
from cpo.stations.tables import Evse, Site
from cpo.tariffs.enums import AssignmentScope, TariffKind
from cpo.tariffs.pricing import SessionUsage, UsagePoint, price_session
from cpo.tariffs.schemas import TariffDefinition, TariffProblem, check_definition
from cpo.tariffs.tables import Tariff, TariffAssignment

# The ad hoc hold covers at most this much charging at the EVSE's full power.
HOLD_HORIZON = timedelta(hours=12)
# Below this a card pre-authorisation is not worth asking for (and some issuers refuse it).
MINIMUM_HOLD_MINOR = 100


class TariffInput(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    kind: TariffKind = TariffKind.AD_HOC
    description: str = ""
    definition: TariffDefinition
    valid_from: datetime | None = None
    valid_to: datetime | None = None


class TariffView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    kind: TariffKind
    description: str
    currency: str
    version: int
    valid_from: datetime | None
    valid_to: datetime | None
    definition: TariffDefinition
    updated_at: datetime


class FrozenTariff(msgspec.Struct, frozen=True):
    """The tariff a session runs under, as it was when the session started."""

    tariff_id: int
    version: int
    name: str
    definition: TariffDefinition


def check(definition: TariffDefinition) -> None:
    """InvalidInput (`invalid_tariff`) with a sentence an operator understands."""
    try:
        check_definition(definition)
    except TariffProblem as problem:
        raise InvalidInput(str(problem), code="invalid_tariff") from None


def _checked(tariff: TariffInput) -> None:
    check(tariff.definition)
    if tariff.valid_from and tariff.valid_to and tariff.valid_from >= tariff.valid_to:
        raise InvalidInput("a tariff must become valid before it ends", code="invalid_tariff")
    if not tariff.name.strip():
        raise InvalidInput("a tariff needs a name", code="invalid_tariff")


def _view(row: dict[str, Any]) -> TariffView:
    definition = row["definition"]
    return TariffView(
        id=row["id"],
        name=row["name"],
        kind=TariffKind(row["kind"]),
        description=row["description"],
        currency=row["currency"],
        version=row["version"],
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
        definition=database.from_json_column(definition, TariffDefinition),
        updated_at=row["updated_at"],
    )


async def create_tariff(
    ctx: Context, operator_id: int, tariff: TariffInput, *, by: OperatorRef | None = None
) -> TariffView:
    _checked(tariff)
    now = ctx.clock.now()
    async with database.transaction():
        rows = await Tariff.insert(
            Tariff(
                operator=operator_id,
                name=tariff.name.strip(),
                kind=tariff.kind,
                description=tariff.description,
                currency=tariff.definition.currency,
                definition=msgspec.json.encode(tariff.definition).decode(),
                valid_from=tariff.valid_from,
                valid_to=tariff.valid_to,
                created_at=now,
                updated_at=now,
            )
        ).returning(Tariff.id)
        created = await get_tariff(operator_id, rows[0]["id"])
        if by is not None:
            await audit.record(by, "tariff.create", "tariff", created.id, at=now, after=created)
    return created


async def update_tariff(
    ctx: Context,
    operator_id: int,
    tariff_id: int,
    tariff: TariffInput,
    *,
    by: OperatorRef | None = None,
) -> TariffView:
    """A new version; sessions already running keep the version they started under."""
    _checked(tariff)
    async with database.transaction():
        current = await get_tariff(operator_id, tariff_id)
        await Tariff.update(
            {
                Tariff.name: tariff.name.strip(),
                Tariff.kind: tariff.kind,
                Tariff.description: tariff.description,
                Tariff.currency: tariff.definition.currency,
                Tariff.definition: msgspec.json.encode(tariff.definition).decode(),
                Tariff.valid_from: tariff.valid_from,
                Tariff.valid_to: tariff.valid_to,
                Tariff.version: current.version + 1,
                Tariff.updated_at: ctx.clock.now(),
            }
        ).where((Tariff.id == tariff_id) & (Tariff.operator == operator_id))
        updated = await get_tariff(operator_id, tariff_id)
        if by is not None:
            await audit.record(
                by,
                "tariff.update",
                "tariff",
                tariff_id,
                at=updated.updated_at,
                before=current,
                after=updated,
            )
    return updated


async def get_tariff(operator_id: int, tariff_id: int) -> TariffView:
    row = (
        await Tariff.select()
        .where(
            (Tariff.id == tariff_id) & (Tariff.operator == operator_id) & Tariff.archived.eq(False)
        )
        .first()
    )
    if row is None:
        raise NotFound(f"no tariff {tariff_id}")
    return _view(row)


async def list_tariffs(operator_id: int) -> list[TariffView]:
    rows = (
        await Tariff.select()
        .where((Tariff.operator == operator_id) & Tariff.archived.eq(False))
        .order_by(Tariff.id)
    )
    return [_view(row) for row in rows]


async def archive_tariff(
    ctx: Context, operator_id: int, tariff_id: int, *, by: OperatorRef | None = None
) -> None:
    now = ctx.clock.now()
    async with database.transaction():
        current = await get_tariff(operator_id, tariff_id)
        if await TariffAssignment.exists().where(TariffAssignment.tariff == tariff_id):
            raise Conflict("the tariff is still assigned; assign another one first")
        await Tariff.update({Tariff.archived: True, Tariff.updated_at: now}).where(
            Tariff.id == tariff_id
        )
        if by is not None:
            await audit.record(by, "tariff.archive", "tariff", tariff_id, at=now, before=current)


class Assignment(msgspec.Struct, frozen=True, kw_only=True):
    scope: AssignmentScope
    target: str | None = None  # EVSE ID, site id or customer group; None for the operator
    tariff_id: int


async def assign_tariff(
    ctx: Context, operator_id: int, assignment: Assignment, *, by: OperatorRef | None = None
) -> Assignment:
    """Make `tariff_id` the tariff of a scope (replacing what was assigned there)."""
    tariff = await get_tariff(operator_id, assignment.tariff_id)
    values: dict[str, Any] = {"site": None, "evse": None, "customer_group": None}
    target = assignment.target
    if assignment.scope is AssignmentScope.OPERATOR:
        key = "operator"
        target = None
    elif assignment.scope is AssignmentScope.EVSE:
        evse = await own_evse(operator_id, target or "")
        key, values["evse"], target = f"evse:{evse['id']}", evse["id"], evse["evse_id"]
    elif assignment.scope is AssignmentScope.SITE:
        site = await _own_site(operator_id, target or "")
        key, values["site"] = f"site:{site}", site
    else:
        group = (target or "").strip()
        if not group or len(group) > 64:
            raise InvalidInput("a customer group has 1 to 64 characters")
        key, values["customer_group"], target = f"group:{group}", group, group
        if tariff.kind is not TariffKind.REGULAR:
            raise InvalidInput("customer groups take contract (REGULAR) tariffs")
    assigned = Assignment(scope=assignment.scope, target=target, tariff_id=tariff.id)
    now = ctx.clock.now()
    async with database.transaction():
        previous = (
            await TariffAssignment.select(TariffAssignment.tariff)
            .where((TariffAssignment.operator == operator_id) & (TariffAssignment.scope_key == key))
            .first()
        )
        await TariffAssignment.delete().where(
            (TariffAssignment.operator == operator_id) & (TariffAssignment.scope_key == key)
        )
        await TariffAssignment.insert(
            TariffAssignment(
                operator=operator_id,
                scope=assignment.scope,
                scope_key=key,
                tariff=tariff.id,
                created_at=now,
                **values,
            )
        )
        if by is not None:
            before = None
            if previous is not None:
                before = Assignment(
                    scope=assignment.scope, target=target, tariff_id=previous["tariff"]
                )
            await audit.record(
                by, "tariff.assign", "tariff_assignment", key, at=now, before=before, after=assigned
            )
    return assigned


class AssignmentView(msgspec.Struct, frozen=True, kw_only=True):
    scope: AssignmentScope
    target: str | None  # as Assignment.target
    target_name: str  # the EVSE ID, the site's name, the group; "" for the operator
    tariff_id: int
    tariff_name: str


async def list_assignments(operator_id: int) -> list[AssignmentView]:
    """Where the operator's tariffs apply, the operator's default first."""
    rows = await TariffAssignment.select(
        TariffAssignment.scope,
        TariffAssignment.site,
        TariffAssignment.site.name,
        TariffAssignment.evse.evse_id,
        TariffAssignment.customer_group,
        TariffAssignment.tariff,
        TariffAssignment.tariff.name,
    ).where(TariffAssignment.operator == operator_id)
    order = list(AssignmentScope)
    views = []
    for row in rows:
        scope = AssignmentScope(row["scope"])
        target: str | None = None
        name = ""
        if scope is AssignmentScope.EVSE:
            target = name = row["evse.evse_id"]
        elif scope is AssignmentScope.SITE:
            target, name = str(row["site"]), row["site.name"]
        elif scope is AssignmentScope.CUSTOMER_GROUP:
            target = name = row["customer_group"]
        views.append(
            AssignmentView(
                scope=scope,
                target=target,
                target_name=name,
                tariff_id=row["tariff"],
                tariff_name=row["tariff.name"],
            )
        )
    return sorted(views, key=lambda view: (order.index(view.scope), view.target_name))


async def own_evse(operator_id: int, evse_id: str) -> dict[str, Any]:
    """The operator's EVSE (`id`, `evse_id` as registered) in any spelling of its ID;
    NotFound for another operator's, as for one that does not exist."""
    from cpo.stations.rules import compact_evse_id

    row: dict[str, Any] | None = (
        await Evse.select(Evse.id, Evse.evse_id)
        .where(
            (Evse.evse_id_compact == compact_evse_id(evse_id))
            & (Evse.station.operator == operator_id)
        )
        .first()
    )
    if row is None:
        raise NotFound(f"no EVSE {evse_id}")
    return row


async def _own_site(operator_id: int, site: str) -> int:
    if not site.isdigit():
        raise InvalidInput("a site is given by its number")
    row = (
        await Site.select(Site.id)
        .where((Site.id == int(site)) & (Site.operator == operator_id))
        .first()
    )
    if row is None:
        raise NotFound(f"no site {site}")
    return int(row["id"])


async def tariff_for_session(
    operator_id: int,
    *,
    evse_pk: int | None,
    customer_group: str | None,
    at: datetime,
) -> FrozenTariff | None:
    """The tariff a session starting now gets: the customer group's contract tariff, else
    the EVSE's, the site's or the operator's ad hoc tariff — the first that is valid now."""
    keys = []
    if customer_group:
        keys.append(f"group:{customer_group}")
    if evse_pk is not None:
        keys.append(f"evse:{evse_pk}")
        evse = await Evse.select(Evse.station.site).where(Evse.id == evse_pk).first()
        if evse is not None and evse["station.site"] is not None:
            keys.append(f"site:{evse['station.site']}")
    keys.append("operator")
    rows = await TariffAssignment.select(
        TariffAssignment.scope_key,
        TariffAssignment.tariff.id,
        TariffAssignment.tariff.version,
        TariffAssignment.tariff.name,
        TariffAssignment.tariff.definition,
        TariffAssignment.tariff.valid_from,
        TariffAssignment.tariff.valid_to,
        TariffAssignment.tariff.archived,
    ).where((TariffAssignment.operator == operator_id) & TariffAssignment.scope_key.is_in(keys))
    by_key = {row["scope_key"]: row for row in rows}
    for key in keys:
        row = by_key.get(key)
        if row is None or row["tariff.archived"]:
            continue
        if row["tariff.valid_from"] is not None and at < row["tariff.valid_from"]:
            continue
        if row["tariff.valid_to"] is not None and at >= row["tariff.valid_to"]:
            continue
        definition = row["tariff.definition"]
        return FrozenTariff(
            tariff_id=row["tariff.id"],
            version=row["tariff.version"],
            name=row["tariff.name"],
            definition=database.from_json_column(definition, TariffDefinition),
        )
    return None


def hold_amount_minor(definition: TariffDefinition, max_power_w: int, default_minor: int) -> int:
    """What to pre-authorise for an ad hoc session: the configured default, but never more
    than the most the session could cost charging at the EVSE's full power for
    HOLD_HORIZON (a 3.7 kW socket does not need a 50 € hold)."""
    worst = worst_case_minor(definition, max_power_w, HOLD_HORIZON)
    return max(MINIMUM_HOLD_MINOR, min(default_minor, worst))


@functools.lru_cache(maxsize=1024)
def worst_case_minor(definition: TariffDefinition, max_power_w: int, horizon: timedelta) -> int:
    """The dearest session of `horizon` at full power, over every start hour of a week
    (time-of-day and weekday prices differ)."""
    monday = datetime(2026, 1, 5, tzinfo=UTC)
    energy_wh = round(max_power_w * horizon.total_seconds() / 3600)
    worst = 0
    for hour in range(7 * 24):
        begin = monday + timedelta(hours=hour)
        usage = SessionUsage(begin, begin + horizon, (UsagePoint(begin + horizon, energy_wh),))
        worst = max(worst, price_session(definition, usage).gross_minor)
    return worst


def estimate_minor(
    definition: TariffDefinition, energy_wh: int, power_w: int, at: datetime, time_zone: str
) -> int:
    """What charging `energy_wh` at `power_w` starting `at` costs (the driver's estimate)."""
    seconds = energy_wh * 3600 / max(power_w, 1)
    end = at + timedelta(seconds=seconds)
    usage = SessionUsage(at, end, (UsagePoint(end, energy_wh),))
    return price_session(definition, usage, time_zone).gross_minor


def price_micro_to_minor(amount_micro: int, currency: str) -> int:
    return micro_to_minor(amount_micro, currency)
