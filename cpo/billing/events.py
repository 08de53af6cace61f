"""Invoice events for the operator's billing webhook (`billing_webhook_url` in the
notification settings): `invoice.created`, `invoice.paid`, `invoice.payment_failed`,
`invoice.credited` and `credit_note.created`.

`record` runs inside the transaction of the change it tells of and writes one row to the
outbox `invoice_event_deliveries`; the notification sweeper (`cpo.notifications.delivery`)
posts it like the network notifications: JSON, signed `X-CPO-Signature: sha256=<HMAC-SHA256
of the body with the operator's webhook secret>`, `X-CPO-Event` the event,
`X-CPO-Delivery` `invoice-<id>` (the same on every attempt), retried with growing pauses.
Without a billing webhook URL nothing is written.

`invoice.credited` comes with every credit note written against an invoice (its
`credited_minor` and `balance_minor` say how much; `status` is `credited` once all of it
is); `credit_note.created` tells of the credit note itself (its status `paid` when it was
set off, `open` when it is owed back). A credit note paid out comes as `invoice.paid` with
`kind` credit_note.

The body: `{"event", "operator" (slug), "invoice": {...}, "at"}`, the invoice as it is
right after the change (InvoicePayload).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import msgspec

from cpo.billing import rules
from cpo.billing.enums import InvoiceEvent, InvoiceKind, InvoiceStatus
from cpo.billing.tables import Invoice, InvoiceEventDelivery
from cpo.context import Context
from cpo.notifications.delivery import Outbox, post_webhook
from cpo.notifications.enums import DeliveryState
from cpo.notifications.tables import NotificationSettings

DELIVERY_PREFIX: Final = "invoice-"
MAX_LISTED: Final = 500


class InvoicePayload(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    number: str
    kind: InvoiceKind
    period: str
    customer_id: int
    customer_name: str
    currency: str
    net_minor: int
    vat_minor: int
    gross_minor: int
    credited_minor: int
    balance_minor: int
    status: InvoiceStatus
    issued_at: datetime
    due_at: datetime
    paid_at: datetime | None
    corrects_number: str | None
    failure_code: str


class InvoiceEventBody(msgspec.Struct, frozen=True, kw_only=True):
    event: InvoiceEvent
    operator: str
    invoice: InvoicePayload
    at: datetime


class InvoiceDeliveryView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    invoice_id: int
    event: InvoiceEvent
    target: str
    state: DeliveryState
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None


def _payload(row: dict[str, Any]) -> InvoicePayload:
    return InvoicePayload(
        id=row["id"],
        number=row["number"],
        kind=InvoiceKind(row["kind"]),
        period=row["period"],
        customer_id=row["customer"],
        customer_name=row["customer.name"],
        currency=row["currency"],
        net_minor=row["net_minor"],
        vat_minor=row["vat_minor"],
        gross_minor=row["gross_minor"],
        credited_minor=row["credited_minor"],
        balance_minor=rules.balance(row["gross_minor"], row["credited_minor"], row["paid_minor"]),
        status=InvoiceStatus(row["status"]),
        issued_at=row["issued_at"],
        due_at=row["due_at"],
        paid_at=row["paid_at"],
        corrects_number=row["corrects.number"],
        failure_code=row["failure_code"],
    )


async def record(ctx: Context, invoice_id: int, event: InvoiceEvent) -> None:
    """Write the event for the billing webhook (call inside the change's transaction)."""
    row = (
        await Invoice.select(
            *Invoice.all_columns(),
            Invoice.customer.name,
            Invoice.corrects.number,
            Invoice.operator.slug,
        )
        .where(Invoice.id == invoice_id)
        .first()
    )
    if row is None:
        return
    settings = (
        await NotificationSettings.select(NotificationSettings.billing_webhook_url)
        .where(NotificationSettings.operator == row["operator"])
        .first()
    )
    target = (settings or {}).get("billing_webhook_url", "").strip()
    if not target:
        return
    now = ctx.clock.now()
    body = InvoiceEventBody(
        event=event, operator=row["operator.slug"], invoice=_payload(row), at=now
    )
    await InvoiceEventDelivery.insert(
        InvoiceEventDelivery(
            operator=row["operator"],
            invoice=invoice_id,
            event=event,
            target=target,
            payload=msgspec.json.encode(body).decode(),
            next_attempt_at=now,
            created_at=now,
        )
    )


async def _send(ctx: Context, row: dict[str, Any]) -> None:
    await post_webhook(ctx, row, f"{DELIVERY_PREFIX}{row['id']}")


OUTBOX: Final = Outbox(InvoiceEventDelivery, _send)


async def deliveries(
    operator_id: int, *, invoice_id: int | None = None, limit: int = 100
) -> list[InvoiceDeliveryView]:
    """The operator's invoice events, newest first (optionally of one invoice)."""
    condition: Any = InvoiceEventDelivery.operator == operator_id
    if invoice_id is not None:
        condition &= InvoiceEventDelivery.invoice == invoice_id
    rows = (
        await InvoiceEventDelivery.select()
        .where(condition)
        .order_by(InvoiceEventDelivery.id, ascending=False)
        .limit(max(1, min(limit, MAX_LISTED)))
    )
    return [
        InvoiceDeliveryView(
            id=row["id"],
            invoice_id=row["invoice"],
            event=InvoiceEvent(row["event"]),
            target=row["target"],
            state=DeliveryState(row["state"]),
            attempts=row["attempts"],
            last_error=row["last_error"],
            created_at=row["created_at"],
            sent_at=row["sent_at"],
        )
        for row in rows
    ]
