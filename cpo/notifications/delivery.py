"""Sending what an outbox holds: claim a due row, send it, retry what failed with growing
pauses (`rules.retry_delay`), give up after `rules.MAX_ATTEMPTS` or at once when refused
for good, and finish it (sent, failed or dropped).

An outbox is a table whose rows were written in the transaction of the event they tell
of, with the columns `operator`, `event`, `target`, `payload`, `state`, `attempts`,
`next_attempt_at`, `last_error` and `sent_at`: the network notifications
(`notification_deliveries`, e-mail and webhook) and the invoice events
(`invoice_event_deliveries`, webhook). One sweeper (`notifications.tasks`) serves them all;
each outbox says only how one of its rows is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from piccolo.columns import Column
from piccolo.table import Table

from cpo import database
from cpo.context import Context
from cpo.notifications import rules
from cpo.notifications.enums import DeliveryState
from cpo.notifications.tables import NotificationSettings
from cpo.ports import MailNotSent, WebhookNotSent
from cpo.sealing import unseal

log = logging.getLogger(__name__)

DUE_BATCH = 50
# A delivery being sent is hidden from other nodes' sweepers for this long.
CLAIM = timedelta(minutes=2)


class Dropped(Exception):
    """Raised by a sender: the message is no longer true and is not sent (the reason)."""


Sender = Callable[[Context, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Outbox:
    table: type[Table]
    # Sends one row; raises MailNotSent / WebhookNotSent (retried when `retryable`) or
    # Dropped.
    send: Sender

    def column(self, name: str) -> Column:
        return self.table._meta.get_column_by_name(name)


async def deliver_due(ctx: Context, outboxes: Sequence[Outbox]) -> int:
    """Send every delivery of the outboxes that is due; returns how many went out."""
    sent = 0
    for outbox in outboxes:
        state, due = outbox.column("state"), outbox.column("next_attempt_at")
        rows = (
            await outbox.table.select()
            .where((state == DeliveryState.PENDING) & (due <= ctx.clock.now()))
            .order_by(due)
            .limit(DUE_BATCH)
        )
        for row in rows:
            if not await _claim(ctx, outbox, row):
                continue  # another node took it
            if await _deliver(ctx, outbox, row):
                sent += 1
    return sent


async def _claim(ctx: Context, outbox: Outbox, row: dict[str, Any]) -> bool:
    table, due = outbox.table, outbox.column("next_attempt_at")
    async with database.transaction():
        claimed = (
            await table.update({due: ctx.clock.now() + CLAIM})
            .where(
                (table._meta.primary_key == row["id"])
                & (outbox.column("state") == DeliveryState.PENDING)
                & (due == row["next_attempt_at"])
            )
            .returning(table._meta.primary_key)
        )
    return bool(claimed)


async def _deliver(ctx: Context, outbox: Outbox, row: dict[str, Any]) -> bool:
    try:
        await outbox.send(ctx, row)
    except Dropped as reason:
        await _finish(ctx, outbox, row["id"], DeliveryState.DROPPED, str(reason))
        return False
    except (MailNotSent, WebhookNotSent) as error:
        attempts = row["attempts"] + 1
        if not error.retryable or rules.gives_up(attempts):
            await _finish(
                ctx, outbox, row["id"], DeliveryState.FAILED, str(error), attempts=attempts
            )
        else:
            async with database.transaction():
                await outbox.table.update(
                    {
                        outbox.column("attempts"): attempts,
                        outbox.column("last_error"): str(error)[:500],
                        outbox.column("next_attempt_at"): ctx.clock.now()
                        + rules.retry_delay(attempts),
                    }
                ).where(outbox.table._meta.primary_key == row["id"])
        log.warning(
            "%s %d to %s failed: %s", outbox.table._meta.tablename, row["id"], row["target"], error
        )
        return False
    await _finish(ctx, outbox, row["id"], DeliveryState.SENT, "", attempts=row["attempts"] + 1)
    return True


async def _finish(
    ctx: Context,
    outbox: Outbox,
    delivery_id: int,
    state: DeliveryState,
    error: str,
    *,
    attempts: int = 0,
) -> None:
    values: dict[Any, Any] = {
        outbox.column("state"): state,
        outbox.column("last_error"): error[:500],
    }
    if attempts:
        values[outbox.column("attempts")] = attempts
    if state is DeliveryState.SENT:
        values[outbox.column("sent_at")] = ctx.clock.now()
    async with database.transaction():
        await outbox.table.update(values).where(outbox.table._meta.primary_key == delivery_id)


async def webhook_secret(ctx: Context, operator_id: int) -> str | None:
    row = (
        await NotificationSettings.select(NotificationSettings.webhook_secret_sealed)
        .where(NotificationSettings.operator == operator_id)
        .first()
    )
    if row is None or not row["webhook_secret_sealed"]:
        return None
    return unseal(ctx.settings.secret_key, row["webhook_secret_sealed"])


async def post_webhook(ctx: Context, row: dict[str, Any], delivery_id: str) -> None:
    """POST the row's payload to its target, signed with the operator's webhook secret;
    `delivery_id` (the X-CPO-Delivery header) is the same on every attempt, so a receiver
    drops repeats by it."""
    secret = await webhook_secret(ctx, row["operator"])
    if secret is None:
        raise WebhookNotSent("no webhook secret: make one first", retryable=False)
    body = row["payload"].encode()
    await ctx.webhooks.post(
        row["target"],
        body,
        {
            "Content-Type": "application/json",
            rules.SIGNATURE_HEADER: rules.sign(secret, body),
            rules.EVENT_HEADER: row["event"],
            rules.DELIVERY_HEADER: delivery_id,
        },
    )
