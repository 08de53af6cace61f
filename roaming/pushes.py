"""Requests we owe partners, kept in the database until they are delivered.

Whoever has something to tell a partner (a session changed, a CDR was issued, a command
has its result) records a push in the same breath as its own change; the sender delivers
pushes in order per object, retries with back-off, and marks a push failed after
`ocpi_push_max_attempts` (or at once when the partner refuses it as a client error), where
the operator sees it and can send it again. Several nodes may run the sender: a push is
claimed with a short lease before it is sent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import msgspec

from cpo import database
from cpo.context import Context
from cpo.errors import NotFound
from cpo.partners.enums import PartnerStatus, PushStatus
from cpo.partners.tables import RoamingPartner, RoamingPush
from roaming.client import PartnerClient, expect_success
from roaming.partners import get_partner, operator_party, outgoing_token, routing
from roaming.transport import PartnerError

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
FIRST_RETRY_S = 5.0
LONGEST_RETRY_S = 3600.0
BATCH = 50
KEEP_SENT = timedelta(days=30)


class PushView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    partner_id: int
    module: str
    object_key: str
    method: str
    url: str
    status: PushStatus
    attempts: int
    last_http_status: int | None
    last_error: str
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None


def _view(row: dict[str, Any]) -> PushView:
    return PushView(
        id=row["id"],
        partner_id=row["partner"],
        module=row["module"],
        object_key=row["object_key"],
        method=row["method"],
        url=row["url"],
        status=PushStatus(row["status"]),
        attempts=row["attempts"],
        last_http_status=row["last_http_status"],
        last_error=row["last_error"],
        next_attempt_at=row["next_attempt_at"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
    )


async def enqueue(
    ctx: Context,
    partner_id: int,
    *,
    module: str,
    object_key: str,
    method: str,
    url: str,
    body: Any = None,
    to_country_code: str = "",
    to_party_id: str = "",
) -> int:
    """Record a push (inside the caller's transaction, if it has one); `to_*` name the
    party behind a hub the push is for."""
    now = ctx.clock.now()
    rows = await RoamingPush.insert(
        RoamingPush(
            partner=partner_id,
            module=module,
            object_key=object_key,
            method=method,
            url=url,
            to_country_code=to_country_code,
            to_party_id=to_party_id,
            body="" if body is None else msgspec.json.encode(body).decode(),
            status=PushStatus.PENDING,
            next_attempt_at=now,
            created_at=now,
        )
    ).returning(RoamingPush.id)
    return int(rows[0]["id"])


def backoff_s(attempts: int) -> float:
    return float(min(LONGEST_RETRY_S, FIRST_RETRY_S * 2 ** max(0, attempts - 1)))


async def send_due(ctx: Context, client: PartnerClient, *, limit: int = BATCH) -> int:
    """Deliver the pushes that are due; returns how many were delivered."""
    now = ctx.clock.now()
    rows = (
        await RoamingPush.select()
        .where((RoamingPush.status == PushStatus.PENDING) & (RoamingPush.next_attempt_at <= now))
        .order_by(RoamingPush.id)
        .limit(limit)
    )
    delivered = 0
    blocked: set[tuple[int, str]] = set()
    for row in rows:
        key = (row["partner"], row["object_key"])
        if key in blocked or await _earlier_pending(row):
            # Pushes of one object keep their order: a later one waits for the earlier.
            blocked.add(key)
            continue
        if not await _claim(row, now):
            continue
        if await _deliver(ctx, client, row):
            delivered += 1
        else:
            blocked.add(key)
    return delivered


async def _earlier_pending(row: dict[str, Any]) -> bool:
    return bool(
        await RoamingPush.exists().where(
            (RoamingPush.partner == row["partner"])
            & (RoamingPush.object_key == row["object_key"])
            & (RoamingPush.status == PushStatus.PENDING)
            & (RoamingPush.id < row["id"])
        )
    )


async def _claim(row: dict[str, Any], now: datetime) -> bool:
    async with database.transaction():
        claimed = (
            await RoamingPush.update({RoamingPush.next_attempt_at: now + LEASE})
            .where(
                (RoamingPush.id == row["id"])
                & (RoamingPush.status == PushStatus.PENDING)
                & (RoamingPush.next_attempt_at == row["next_attempt_at"])
            )
            .returning(RoamingPush.id)
        )
    return bool(claimed)


async def _deliver(ctx: Context, client: PartnerClient, row: dict[str, Any]) -> bool:
    attempts = row["attempts"] + 1
    http_status = None
    try:
        partner = await get_partner(row["partner"])
        if partner.status is not PartnerStatus.REGISTERED:
            raise PartnerError("the partner is not registered", retryable=False)
        party = await operator_party(partner.operator_id)
        reply = await client.call(
            row["method"],
            row["url"],
            token=outgoing_token(ctx.settings.secret_key, partner),
            body=row["body"].encode() if row["body"] else None,
            routing=routing(party, partner, row["to_country_code"], row["to_party_id"]),
            timeout_s=ctx.settings.ocpi_request_timeout_s,
        )
        http_status = reply.http_status
        expect_success(reply, f"{row['method']} {row['module']}")
    except PartnerError as error:
        final = not error.retryable or attempts >= ctx.settings.ocpi_push_max_attempts
        await _record_failure(ctx, row, attempts, error, final)
        log.log(
            logging.WARNING if final else logging.INFO,
            "push %s (%s %s) to partner %s failed%s: %s",
            row["id"],
            row["method"],
            row["object_key"],
            row["partner"],
            " for good" if final else f", attempt {attempts}",
            error.message,
        )
        return False
    async with database.transaction():
        await RoamingPush.update(
            {
                RoamingPush.status: PushStatus.SENT,
                RoamingPush.attempts: attempts,
                RoamingPush.last_http_status: http_status,
                RoamingPush.last_error: "",
                RoamingPush.sent_at: ctx.clock.now(),
            }
        ).where(RoamingPush.id == row["id"])
    return True


async def _record_failure(
    ctx: Context, row: dict[str, Any], attempts: int, error: PartnerError, final: bool
) -> None:
    now = ctx.clock.now()
    async with database.transaction():
        await RoamingPush.update(
            {
                RoamingPush.status: PushStatus.FAILED if final else PushStatus.PENDING,
                RoamingPush.attempts: attempts,
                RoamingPush.last_http_status: error.http_status,
                RoamingPush.last_error: error.message[:2000],
                RoamingPush.next_attempt_at: now + timedelta(seconds=backoff_s(attempts)),
            }
        ).where(RoamingPush.id == row["id"])
        if final:
            await RoamingPartner.update(
                {RoamingPartner.last_error: f"push {row['id']}: {error.message}"[:2000]}
            ).where(RoamingPartner.id == row["partner"])


async def purge_sent(ctx: Context, *, older_than: timedelta = KEEP_SENT) -> int:
    """Delivered pushes are kept a while for the operator to look up, then dropped."""
    before = ctx.clock.now() - older_than
    async with database.transaction():
        rows = (
            await RoamingPush.delete()
            .where((RoamingPush.status == PushStatus.SENT) & (RoamingPush.sent_at < before))
            .returning(RoamingPush.id)
        )
    return len(rows)


async def list_pushes(
    operator_id: int, status: PushStatus | None = None, *, limit: int = 200
) -> list[PushView]:
    partner_ids = RoamingPartner.select(RoamingPartner.id).where(
        RoamingPartner.operator == operator_id
    )
    condition: Any = RoamingPush.partner.is_in(partner_ids)
    if status is not None:
        condition &= RoamingPush.status == status
    rows = (
        await RoamingPush.select()
        .where(condition)
        .order_by(RoamingPush.id, ascending=False)
        .limit(limit)
    )
    return [_view(row) for row in rows]


async def retry(ctx: Context, operator_id: int, push_id: int) -> PushView:
    """Send a failed push again (the operator fixed what was wrong, or the partner did)."""
    async with database.transaction():
        row = (
            await RoamingPush.select(*RoamingPush.all_columns(), RoamingPush.partner.operator)
            .where(RoamingPush.id == push_id)
            .first()
        )
        if row is None or row["partner.operator"] != operator_id:
            raise NotFound(f"no push {push_id}")
        await RoamingPush.update(
            {
                RoamingPush.status: PushStatus.PENDING,
                RoamingPush.attempts: 0,
                RoamingPush.next_attempt_at: ctx.clock.now(),
            }
        ).where(RoamingPush.id == push_id)
        updated = await RoamingPush.select().where(RoamingPush.id == push_id).first()
    assert updated is not None
    return _view(updated)
