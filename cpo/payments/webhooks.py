"""Payment providers' webhooks: verified, stored once per event id (redeliveries are
no-ops), then handed to whoever the event is about.

The route is our reference in the event's metadata, by its prefix:

    "setup:<id>"   a method on file being saved      → saved_methods.on_setup_event
    "charge:<id>"  an off-session charge of one      → off_session.on_charge_event
    "<digits>"     an ad hoc payment (a hold)        → ad_hoc.apply_event

An event without our reference (PayPal's, or one of an object we did not make) goes by its
kind — setup and charge events to their handlers, all others to ad hoc payments, which find
the payment by the provider's id. Handlers never trust the event's content: they ask the
provider where the object stands.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from cpo import database
from cpo.context import Context
from cpo.payments import ad_hoc, off_session, saved_methods
from cpo.payments.accounts import provider_for
from cpo.payments.schemas import (
    CHARGE_EVENTS,
    SETUP_EVENTS,
    InvalidWebhook,
    ProviderEvent,
    ProviderName,
)
from cpo.payments.tables import PaymentAccount, PaymentEvent

EventHandler = Callable[[Context, int, ProviderEvent], Awaitable[None]]

# By the prefix of our reference in the event's metadata.
ROUTES: dict[str, EventHandler] = {
    saved_methods.SETUP_PREFIX: saved_methods.on_setup_event,
    off_session.CHARGE_PREFIX: off_session.on_charge_event,
}


async def handle_webhook(
    ctx: Context, provider: ProviderName, account_id: int, headers: dict[str, str], body: bytes
) -> None:
    """A provider's webhook: verified, stored once (redeliveries are no-ops), applied."""
    account = (
        await PaymentAccount.select(PaymentAccount.id, PaymentAccount.provider)
        .where(PaymentAccount.id == account_id)
        .first()
    )
    if account is None or account["provider"] != provider:
        raise InvalidWebhook("unknown payment account")
    adapter = await provider_for(ctx, account_id)
    event = await adapter.parse_webhook(headers, body)
    async with database.transaction():
        if await PaymentEvent.exists().where(
            (PaymentEvent.provider == provider) & (PaymentEvent.event_id == event.event_id)
        ):
            return
        await PaymentEvent.insert(
            PaymentEvent(
                provider=provider,
                event_id=event.event_id,
                account=account_id,
                kind=event.kind,
                provider_ref=event.provider_ref or "",
                payload=body.decode("utf-8", errors="replace"),
                received_at=ctx.clock.now(),
            )
        )
    await route_event(ctx, account_id, event)
    async with database.transaction():
        await PaymentEvent.update({PaymentEvent.processed_at: ctx.clock.now()}).where(
            (PaymentEvent.provider == provider) & (PaymentEvent.event_id == event.event_id)
        )


def handler_of(event: ProviderEvent) -> EventHandler:
    """Who handles a verified event (see the module's doc)."""
    prefix, colon, _ = (event.reference or "").partition(":")
    if colon and prefix in ROUTES:
        return ROUTES[prefix]
    if event.kind in SETUP_EVENTS:
        return saved_methods.on_setup_event
    if event.kind in CHARGE_EVENTS:
        return off_session.on_charge_event
    return _ad_hoc


async def route_event(ctx: Context, account_id: int, event: ProviderEvent) -> None:
    await handler_of(event)(ctx, account_id, event)


async def _ad_hoc(ctx: Context, account_id: int, event: ProviderEvent) -> None:
    await ad_hoc.apply_event(ctx, account_id, event.kind, event.provider_ref, event.reference)
