"""The operator's cards in admin mode: list, search, create, edit, assign, expire, block,
import and export, and where cards were used.

Every change is written to the audit log with the card before and after, in the
transaction of the change. Blocking and unblocking also queue the card's new status for
every station of the operator (cpo/tokens/pushes.py), in the same transaction, and wake
the pusher once it is committed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Final

import msgspec
from piccolo.query.functions.aggregate import Count, Max, Sum

from cpo import database
from cpo.accounts.rules import contract_expiry
from cpo.accounts.tables import Customer, User
from cpo.audit import service as audit
from cpo.context import Context
from cpo.errors import Conflict, InvalidInput, NotFound
from cpo.operators.service import OperatorRef, require_admin
from cpo.sessions.enums import SessionState
from cpo.sessions.tables import ChargingSession
from cpo.spreadsheets import csv_stream
from cpo.stations.tables import ChargeStation, Evse
from cpo.tokens import card_csv, pushes
from cpo.tokens.enums import BlockedBy, TokenStatus, TokenType
from cpo.tokens.rules import normalize_uid
from cpo.tokens.tables import IdToken

DEFAULT_PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 200
EXPORT_BATCH_SIZE: Final = 1000
# One-time tokens of ad hoc payment are not cards: they never show in admin mode.
CARD_TYPES: Final = (TokenType.RFID, TokenType.APP_USER, TokenType.OTHER)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

Uid = Annotated[str, msgspec.Meta(min_length=1, max_length=card_csv.MAX_UID_LENGTH)]
Label = Annotated[str, msgspec.Meta(max_length=card_csv.MAX_LABEL_LENGTH)]
GroupName = Annotated[str, msgspec.Meta(min_length=1, max_length=card_csv.MAX_GROUP_LENGTH)]
CostCentre = Annotated[str, msgspec.Meta(max_length=card_csv.MAX_COST_CENTRE_LENGTH)]
Id = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]


class CardSort(StrEnum):
    UID = "uid"
    LABEL = "label"
    STATUS = "status"
    EXPIRES_AT = "expires_at"
    CREATED_AT = "created_at"


class CardView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    uid: str
    type: TokenType
    status: TokenStatus
    label: str
    expires_at: datetime | None
    # OCPP parentIdTag: the group card whose block or expiry also holds for this one.
    group_id: str | None
    customer_group: str | None
    customer_id: int | None
    customer_name: str | None
    holder_id: int | None
    holder_name: str | None
    contract_id: str | None
    # Roaming tokens: the issuing provider (country code and party id); empty for own cards.
    issuer: str
    # The company's cost centre its sessions are booked to ("" for none).
    cost_centre: str
    blocked_at: datetime | None
    # Who blocked it, while it is blocked: the operator, or the customer in the app.
    blocked_by: BlockedBy | None
    created_at: datetime
    updated_at: datetime


class CardPage(msgspec.Struct, frozen=True, kw_only=True):
    cards: list[CardView]
    total: int
    offset: int
    limit: int


class CardInput(msgspec.Struct, frozen=True, kw_only=True):
    uid: Uid
    label: Label = ""
    type: TokenType = TokenType.RFID
    expires_at: datetime | None = None
    group_id: Uid | None = None
    customer_group: GroupName | None = None
    customer_id: Id | None = None
    holder_id: Id | None = None
    cost_centre: CostCentre = ""


class CardChange(msgspec.Struct, frozen=True, kw_only=True):
    """Fields to change; a field left out stays, `null` clears it."""

    label: Label | msgspec.UnsetType = msgspec.UNSET
    expires_at: datetime | msgspec.UnsetType | None = msgspec.UNSET
    group_id: Uid | msgspec.UnsetType | None = msgspec.UNSET
    customer_group: GroupName | msgspec.UnsetType | None = msgspec.UNSET
    # Assigning a customer also gives the card the customer's tariff group, unless the
    # change sets `customer_group` itself.
    customer_id: Id | msgspec.UnsetType | None = msgspec.UNSET
    holder_id: Id | msgspec.UnsetType | None = msgspec.UNSET
    # "" or null: none.
    cost_centre: CostCentre | msgspec.UnsetType | None = msgspec.UNSET


class CardSession(msgspec.Struct, frozen=True, kw_only=True):
    session_id: int
    station: str
    evse_id: str | None
    state: SessionState
    started_at: datetime | None
    stopped_at: datetime | None
    energy_wh: int | None
    authorization_status: str | None


class CardUse(msgspec.Struct, frozen=True, kw_only=True):
    """A card that charged at a station or EVSE: how often and when last."""

    card_id: int
    uid: str
    label: str
    status: TokenStatus
    sessions: int
    energy_wh: int
    last_started_at: datetime | None


_CARD_COLUMNS = (
    IdToken.id,
    IdToken.uid,
    IdToken.type,
    IdToken.status,
    IdToken.label,
    IdToken.expires_at,
    IdToken.group_id,
    IdToken.customer_group,
    IdToken.customer.as_alias("customer_id"),
    IdToken.customer.name.as_alias("customer_name"),
    IdToken.holder.as_alias("holder_id"),
    IdToken.holder.display_name.as_alias("holder_display_name"),
    IdToken.holder.email.as_alias("holder_email"),
    IdToken.contract_id,
    IdToken.issuer_country_code,
    IdToken.issuer_party_id,
    IdToken.cost_centre,
    IdToken.blocked_at,
    IdToken.blocked_by,
    IdToken.created_at,
    IdToken.updated_at,
)


def _view(row: dict[str, Any]) -> CardView:
    holder = row["holder_display_name"] or row["holder_email"]
    return CardView(
        id=row["id"],
        uid=row["uid"],
        type=TokenType(row["type"]),
        status=TokenStatus(row["status"]),
        label=row["label"],
        expires_at=row["expires_at"],
        group_id=row["group_id"],
        customer_group=row["customer_group"],
        customer_id=row["customer_id"],
        customer_name=row["customer_name"],
        holder_id=row["holder_id"],
        holder_name=holder,
        contract_id=row["contract_id"],
        issuer=f"{row['issuer_country_code']}{row['issuer_party_id']}",
        cost_centre=row["cost_centre"],
        blocked_at=row["blocked_at"],
        blocked_by=blocked_by(row["status"], row["blocked_by"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def blocked_by(status: str, recorded: str) -> BlockedBy | None:
    """Who blocked a token, while it is blocked; blocks from before this was recorded were
    the operator's (customers could not block)."""
    if status != TokenStatus.BLOCKED:
        return None
    return BlockedBy.CUSTOMER if recorded == BlockedBy.CUSTOMER else BlockedBy.OPERATOR


def _cards_of(operator_id: int) -> Any:
    return (IdToken.operator == operator_id) & IdToken.type.is_in(list(CARD_TYPES))


def _search(text: str) -> Any:
    pattern = "%" + text.replace("%", "").replace("_", "") + "%"
    columns = (
        IdToken.uid,
        IdToken.label,
        IdToken.customer.name,
        IdToken.holder.display_name,
        IdToken.holder.email,
        IdToken.contract_id,
    )
    # SQLite's LIKE ignores the case of ASCII letters already (and has no ILIKE).
    matches = [
        column.like(pattern) if database.is_sqlite() else column.ilike(pattern)
        for column in columns
    ]
    condition = matches[0]
    for match in matches[1:]:
        condition |= match
    return condition


async def list_cards(
    operator_id: int,
    *,
    query: str = "",
    status: TokenStatus | None = None,
    sort: CardSort = CardSort.UID,
    descending: bool = False,
    offset: int = 0,
    limit: int = DEFAULT_PAGE_SIZE,
) -> CardPage:
    """A page of cards; `query` finds uid, label, customer, holder or contract id."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, offset)
    condition = _cards_of(operator_id)
    if query.strip():
        condition &= _search(query.strip())
    if status is not None:
        condition &= IdToken.status == status
    total = await IdToken.count().where(condition)
    order = getattr(IdToken, sort.value)
    rows = (
        await IdToken.select(*_CARD_COLUMNS)
        .where(condition)
        .order_by(order, ascending=not descending)
        .order_by(IdToken.id, ascending=not descending)
        .offset(offset)
        .limit(limit)
    )
    return CardPage(cards=[_view(row) for row in rows], total=total, offset=offset, limit=limit)


async def get_card(operator_id: int, card_id: int) -> CardView:
    row = (
        await IdToken.select(*_CARD_COLUMNS)
        .where(_cards_of(operator_id) & (IdToken.id == card_id))
        .first()
    )
    if row is None:
        raise NotFound(f"no card {card_id}", code="card_not_found")
    return _view(row)


async def cards_by_id(operator_id: int, card_ids: list[int]) -> dict[int, CardView]:
    """Several cards at once (those of another operator are left out)."""
    if not card_ids:
        return {}
    rows = await IdToken.select(*_CARD_COLUMNS).where(
        _cards_of(operator_id) & IdToken.id.is_in(card_ids)
    )
    return {row["id"]: _view(row) for row in rows}


class _Contract(msgspec.Struct, frozen=True):
    """What a card takes from the customer it is assigned to."""

    customer_group: str | None = None
    expires_at: datetime | None = None  # the contract's end


async def _check_customer(operator_id: int, customer_id: int | None) -> _Contract:
    """The customer's tariff group and contract end; NotFound unless the customer is the
    operator's."""
    if customer_id is None:
        return _Contract()
    row = (
        await Customer.select(Customer.customer_group, Customer.contract_ends_on)
        .where((Customer.id == customer_id) & (Customer.operator == operator_id))
        .first()
    )
    if row is None:
        raise NotFound(f"no customer {customer_id}", code="customer_not_found")
    return _Contract(row["customer_group"], contract_expiry(row["contract_ends_on"]))


async def _check_holder(operator_id: int, holder_id: int | None, customer_id: int | None) -> None:
    if holder_id is None:
        return
    row = (
        await User.select(User.customer)
        .where((User.id == holder_id) & (User.operator == operator_id))
        .first()
    )
    if row is None:
        raise NotFound(f"no user {holder_id}", code="holder_not_found")
    if row["customer"] != customer_id:
        raise InvalidInput(
            "the holder must be a user of the card's customer", code="holder_not_of_customer"
        )


async def create_card(ctx: Context, caller: OperatorRef, card: CardInput) -> CardView:
    require_admin(caller)
    if card.type not in CARD_TYPES:
        raise InvalidInput("cards are RFID, APP_USER or OTHER tokens", code="invalid_card_type")
    uid = normalize_uid(card.uid)
    if not uid:
        raise InvalidInput("a card needs a uid", code="uid_missing")
    now = ctx.clock.now()
    async with database.transaction():
        contract = await _check_customer(caller.operator_id, card.customer_id)
        await _check_holder(caller.operator_id, card.holder_id, card.customer_id)
        if await IdToken.exists().where(
            (IdToken.operator == caller.operator_id) & (IdToken.uid == uid)
        ):
            raise Conflict(f"a token {uid} exists", code="card_exists")
        created = await _insert(
            caller,
            uid,
            card.type,
            card_csv.CardFields(
                label=card.label.strip(),
                expires_at=card.expires_at or contract.expires_at,
                group_id=(card.group_id and normalize_uid(card.group_id)) or None,
                customer_group=card.customer_group or contract.customer_group,
                customer_id=card.customer_id,
                cost_centre=card.cost_centre.strip(),
            ),
            action="card.create",
            now=now,
            holder_id=card.holder_id,
        )
    return created


async def _insert(
    caller: OperatorRef,
    uid: str,
    token_type: TokenType,
    fields: card_csv.CardFields,
    *,
    action: str,
    now: datetime,
    holder_id: int | None = None,
) -> CardView:
    """A new card, written to the audit log (inside the caller's transaction)."""
    rows = await IdToken.insert(
        IdToken(
            operator=caller.operator_id,
            uid=uid,
            type=token_type,
            label=fields.label,
            expires_at=fields.expires_at,
            group_id=fields.group_id,
            customer_group=fields.customer_group,
            customer=fields.customer_id,
            holder=holder_id,
            cost_centre=fields.cost_centre,
            created_at=now,
            updated_at=now,
        )
    ).returning(IdToken.id)
    created = await get_card(caller.operator_id, rows[0]["id"])
    await audit.record(caller, action, "card", created.id, at=now, after=created)
    return created


async def update_card(
    ctx: Context, caller: OperatorRef, card_id: int, change: CardChange
) -> CardView:
    require_admin(caller)
    return await change_card(ctx, caller, card_id, change)


async def change_card(
    ctx: Context,
    actor: audit.Actor,
    card_id: int,
    change: CardChange,
    *,
    check: Callable[[CardView], None] | None = None,
) -> CardView:
    """Change a card's fields and log it: for an operator admin, or a fleet manager (whose
    `check` refuses cards not of their company, inside the transaction)."""
    now = ctx.clock.now()
    async with database.transaction():
        before = await get_card(actor.operator_id, card_id)
        if check is not None:
            check(before)
        values: dict[Any, Any] = {}
        if change.cost_centre is not msgspec.UNSET:
            values[IdToken.cost_centre] = (change.cost_centre or "").strip()
        if change.label is not msgspec.UNSET:
            values[IdToken.label] = change.label.strip()
        if change.expires_at is not msgspec.UNSET:
            values[IdToken.expires_at] = change.expires_at
        if change.group_id is not msgspec.UNSET:
            group_id = (change.group_id and normalize_uid(change.group_id)) or None
            if group_id == before.uid:
                raise InvalidInput("a card cannot be its own group", code="group_is_card")
            values[IdToken.group_id] = group_id
        customer_id = before.customer_id
        if change.customer_id is not msgspec.UNSET:
            customer_id = change.customer_id
            contract = await _check_customer(actor.operator_id, customer_id)
            values[IdToken.customer] = customer_id
            if customer_id is not None and change.customer_group is msgspec.UNSET:
                values[IdToken.customer_group] = contract.customer_group
            if (
                customer_id is not None
                and contract.expires_at is not None
                and change.expires_at is msgspec.UNSET
            ):
                values[IdToken.expires_at] = contract.expires_at
            if customer_id != before.customer_id and change.holder_id is msgspec.UNSET:
                values[IdToken.holder] = None  # a holder belongs to the former customer
        if change.customer_group is not msgspec.UNSET:
            values[IdToken.customer_group] = change.customer_group
        if change.holder_id is not msgspec.UNSET:
            await _check_holder(actor.operator_id, change.holder_id, customer_id)
            values[IdToken.holder] = change.holder_id
        renewed = (
            before.status is TokenStatus.EXPIRED
            and change.expires_at is not msgspec.UNSET
            and (change.expires_at is None or change.expires_at > now)
        )
        if renewed:  # a new expiry date makes an expired card work again
            values[IdToken.status] = TokenStatus.ACTIVE
        if not values:
            return before
        values[IdToken.updated_at] = now
        await IdToken.update(values).where(IdToken.id == card_id)
        after = await get_card(actor.operator_id, card_id)
        await audit.record(
            actor, "card.update", "card", card_id, at=now, before=before, after=after
        )
        # Stations that keep a local list hold the card's expiry: they learn the new one.
        expiry_moved = after.expires_at != before.expires_at
        if renewed or expiry_moved:
            reason = "renew" if renewed else "expire"
            await pushes.enqueue(actor.operator_id, card_id, reason, now=now)
    if renewed or expiry_moved:
        await pushes.wake(ctx)
    return after


async def expire_card(ctx: Context, caller: OperatorRef, card_id: int) -> CardView:
    """The card stops working now (its expiry is set to now; the status says expired)."""
    require_admin(caller)
    now = ctx.clock.now()
    async with database.transaction():
        before = await get_card(caller.operator_id, card_id)
        if before.status is TokenStatus.EXPIRED:
            return before
        await IdToken.update(
            {IdToken.status: TokenStatus.EXPIRED, IdToken.expires_at: now, IdToken.updated_at: now}
        ).where(IdToken.id == card_id)
        after = await get_card(caller.operator_id, card_id)
        await audit.record(
            caller, "card.expire", "card", card_id, at=now, before=before, after=after
        )
        queued = await pushes.enqueue(caller.operator_id, card_id, "expire", now=now)
    if queued:
        await pushes.wake(ctx)
    return after


async def set_blocked(ctx: Context, caller: OperatorRef, card_id: int, blocked: bool) -> CardView:
    """Block (or unblock) a card for the operator. Operator staff may do this."""
    return await change_blocking(ctx, caller, card_id, blocked, by=BlockedBy.OPERATOR)


async def change_blocking(
    ctx: Context,
    actor: audit.Actor,
    card_id: int,
    blocked: bool,
    *,
    by: BlockedBy,
    check: Callable[[CardView], None] | None = None,
) -> CardView:
    """Block (or unblock) a card or app token: refused at the next Authorize at once, and
    its new status is queued for every station of the operator. The one way a token is
    blocked, whoever does it: the operator in admin mode, or its customer in the app.

    `by` is recorded on the token: a customer may lift only a customer's block (the caller's
    `check` sees the token as it is, in the transaction, and may refuse). The operator
    blocking a token the customer blocked takes the block over.
    """
    now = ctx.clock.now()
    async with database.transaction():
        before = await get_card(actor.operator_id, card_id)
        if check is not None:
            check(before)
        if before.issuer:
            raise InvalidInput("roaming tokens are blocked by their provider", code="roaming_token")
        wanted = TokenStatus.BLOCKED if blocked else TokenStatus.ACTIVE
        if before.status is TokenStatus.EXPIRED and not blocked:
            raise Conflict("an expired card is not blocked", code="card_expired")
        values: dict[Any, Any] = {}
        if before.status is not wanted:
            values = {
                IdToken.status: wanted,
                IdToken.blocked_at: now if blocked else None,
                IdToken.blocked_by: by.value if blocked else "",
            }
        elif blocked and by is BlockedBy.OPERATOR and before.blocked_by is not by:
            values = {IdToken.blocked_by: by.value}
        if values:
            await IdToken.update({**values, IdToken.updated_at: now}).where(IdToken.id == card_id)
        after = await get_card(actor.operator_id, card_id)
        action = "card.block" if blocked else "card.unblock"
        await audit.record(actor, action, "card", card_id, at=now, before=before, after=after)
        # Queued even when the status was already so: blocking again re-sends to stations
        # whose earlier push failed.
        queued = await pushes.enqueue(
            actor.operator_id, card_id, "block" if blocked else "unblock", now=now
        )
    if queued:
        await pushes.wake(ctx)
    return after


async def resend(ctx: Context, caller: OperatorRef, card_id: int) -> list[pushes.PushView]:
    """Queue the card's current status again for every station (after failed pushes)."""
    now = ctx.clock.now()
    async with database.transaction():
        card = await get_card(caller.operator_id, card_id)
        reason = "block" if card.status is TokenStatus.BLOCKED else "unblock"
        await pushes.enqueue(caller.operator_id, card_id, reason, now=now)
        await audit.record(
            caller, "card.resend", "card", card_id, at=now, after={"status": card.status}
        )
    await pushes.wake(ctx)
    return await pushes.results(caller.operator_id, card_id)


# --- import and export ----------------------------------------------------------------------


async def _existing(
    operator_id: int, uids: list[str]
) -> dict[str, tuple[int, card_csv.ExistingCard]]:
    found: dict[str, tuple[int, card_csv.ExistingCard]] = {}
    for start in range(0, len(uids), 500):
        rows = await IdToken.select(
            IdToken.id,
            IdToken.uid,
            IdToken.type,
            IdToken.label,
            IdToken.expires_at,
            IdToken.group_id,
            IdToken.customer_group,
            IdToken.customer,
            IdToken.cost_centre,
            IdToken.issuer_party_id,
        ).where((IdToken.operator == operator_id) & IdToken.uid.is_in(uids[start : start + 500]))
        for row in rows:
            found[row["uid"]] = (
                row["id"],
                card_csv.ExistingCard(
                    fields=card_csv.CardFields(
                        label=row["label"],
                        expires_at=row["expires_at"],
                        group_id=row["group_id"],
                        customer_group=row["customer_group"],
                        customer_id=row["customer"],
                        cost_centre=row["cost_centre"],
                    ),
                    importable=row["type"] in CARD_TYPES and not row["issuer_party_id"],
                ),
            )
    return found


async def _report(
    operator_id: int, text: str
) -> tuple[card_csv.ImportReport, dict[str, tuple[int, card_csv.ExistingCard]]]:
    parsed = card_csv.parse(text)
    uids = sorted({row.uid for row in parsed.rows if row.uid})
    existing = await _existing(operator_id, uids)
    wanted = sorted(
        {row.values["customer_id"] for row in parsed.rows if row.values.get("customer_id")}
    )
    customers = {
        row["id"]
        for row in await Customer.select(Customer.id).where(
            (Customer.operator == operator_id) & Customer.id.is_in(wanted or [0])
        )
    }
    report = card_csv.compare(parsed, {uid: card for uid, (_, card) in existing.items()}, customers)
    return report, existing


async def import_dry_run(operator_id: int, text: str) -> card_csv.ImportReport:
    """What importing the file would change; changes nothing."""
    report, _ = await _report(operator_id, text)
    return report


async def import_cards(ctx: Context, caller: OperatorRef, text: str) -> card_csv.ImportReport:
    """Apply an import file: all rows or none (a file with invalid rows changes nothing)."""
    require_admin(caller)
    now = ctx.clock.now()
    async with database.transaction():
        report, existing = await _report(caller.operator_id, text)
        if not report.applicable:
            raise InvalidInput(
                "the file has invalid rows; check it with a dry run", code="invalid_rows"
            )
        for row in report.rows:
            if row.outcome is card_csv.RowOutcome.NEW:
                fields = card_csv.fields_after(row, None)
                await _insert(
                    caller, row.uid, TokenType.RFID, fields, action="card.import", now=now
                )
            elif row.outcome is card_csv.RowOutcome.CHANGED:
                card_id, card = existing[row.uid]
                before = await get_card(caller.operator_id, card_id)
                fields = card_csv.fields_after(row, card.fields)
                await IdToken.update(
                    {
                        IdToken.label: fields.label,
                        IdToken.expires_at: fields.expires_at,
                        IdToken.group_id: fields.group_id,
                        IdToken.customer_group: fields.customer_group,
                        IdToken.customer: fields.customer_id,
                        IdToken.cost_centre: fields.cost_centre,
                        IdToken.updated_at: now,
                    }
                ).where(IdToken.id == card_id)
                after = await get_card(caller.operator_id, card_id)
                await audit.record(
                    caller, "card.import", "card", card_id, at=now, before=before, after=after
                )
    return report


def export_csv(operator_id: int) -> AsyncIterator[bytes]:
    """All cards as CSV (UTF-8, header row), streamed a batch at a time."""
    return csv_stream(card_csv.EXPORT_COLUMNS, _export_batches(operator_id))


async def _export_batches(operator_id: int) -> AsyncIterator[list[list[str]]]:
    after_id = 0
    while True:
        rows = (
            await IdToken.select(*_CARD_COLUMNS)
            .where(_cards_of(operator_id) & (IdToken.id > after_id))
            .order_by(IdToken.id)
            .limit(EXPORT_BATCH_SIZE)
        )
        if not rows:
            return
        yield [card_csv.export_row(msgspec.structs.asdict(_view(row))) for row in rows]
        after_id = rows[-1]["id"]


# --- where cards were used ------------------------------------------------------------------


async def card_sessions(operator_id: int, card_id: int, *, limit: int = 50) -> list[CardSession]:
    """Where the card charged, newest first."""
    await get_card(operator_id, card_id)
    rows = (
        await ChargingSession.select(
            ChargingSession.id,
            ChargingSession.station.identity.as_alias("station"),
            ChargingSession.evse.evse_id.as_alias("evse_id"),
            ChargingSession.state,
            ChargingSession.started_at,
            ChargingSession.stopped_at,
            ChargingSession.energy_wh,
            ChargingSession.authorization_status,
        )
        .where((ChargingSession.operator == operator_id) & (ChargingSession.id_token == card_id))
        .order_by(ChargingSession.id, ascending=False)
        .limit(max(1, min(limit, MAX_PAGE_SIZE)))
    )
    return [
        CardSession(
            session_id=row["id"],
            station=row["station"],
            evse_id=row["evse_id"],
            state=SessionState(row["state"]),
            started_at=row["started_at"],
            stopped_at=row["stopped_at"],
            energy_wh=row["energy_wh"],
            authorization_status=row["authorization_status"],
        )
        for row in rows
    ]


async def cards_used_at(
    operator_id: int, *, station: str | None = None, evse_id: str | None = None
) -> list[CardUse]:
    """The cards that charged at a station (OCPP identity) or an EVSE (EVSE ID)."""
    condition = (ChargingSession.operator == operator_id) & ChargingSession.id_token.is_not_null()
    if evse_id:
        evse = (
            await Evse.select(Evse.id)
            .where(
                (Evse.evse_id == evse_id.strip().upper()) & (Evse.station.operator == operator_id)
            )
            .first()
        )
        if evse is None:
            raise NotFound(f"no EVSE {evse_id}", code="evse_not_found")
        condition &= ChargingSession.evse == evse["id"]
    elif station:
        found = (
            await ChargeStation.select(ChargeStation.id)
            .where(
                (ChargeStation.identity == station.strip())
                & (ChargeStation.operator == operator_id)
            )
            .first()
        )
        if found is None:
            raise NotFound(f"no station {station}", code="station_not_found")
        condition &= ChargingSession.station == found["id"]
    else:
        raise InvalidInput("name a station or an EVSE", code="station_or_evse_missing")
    rows = (
        await ChargingSession.select(
            ChargingSession.id_token,
            Count(alias="sessions"),
            Sum(ChargingSession.energy_wh, alias="energy_wh"),
            Max(ChargingSession.started_at, alias="last_started_at"),
        )
        .where(condition)
        .group_by(ChargingSession.id_token)
    )
    uses = {row["id_token"]: row for row in rows}
    if not uses:
        return []
    cards = await IdToken.select(IdToken.id, IdToken.uid, IdToken.label, IdToken.status).where(
        _cards_of(operator_id) & IdToken.id.is_in(list(uses))
    )
    used = [
        CardUse(
            card_id=card["id"],
            uid=card["uid"],
            label=card["label"],
            status=TokenStatus(card["status"]),
            sessions=int(uses[card["id"]]["sessions"]),
            energy_wh=int(uses[card["id"]]["energy_wh"] or 0),
            last_started_at=database.aggregated_moment(uses[card["id"]]["last_started_at"]),
        )
        for card in cards
    ]
    return sorted(used, key=lambda use: use.last_started_at or _EPOCH, reverse=True)
