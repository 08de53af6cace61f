"""Ad hoc charging: an anonymous driver pays by card or PayPal, charges, gets a receipt.

The rhythm around every provider or charger call (STYLE 5b): record the intent and commit;
call the outside world; record the result in a new transaction. A crash between two steps
leaves a row that `sweep` finishes, so money is never lost or taken twice:

    awaiting_payment ──hold authorised──▶ starting ──StartTransaction──▶ charging
           │                                 │                              │ stop (driver,
           ▼ declined / abandoned            ▼ rejected / offline /         │ charger, or
         failed (hold released)            failed (hold released at once)  ▼ hold reached)
                                                                        finished: capture
                                                                        the CDR's amount
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Annotated, Any

import msgspec

from cpo import database, messages, sealing
from cpo.cdrs.mailing import mail_receipt
from cpo.cdrs.service import cdr_of_session, issue_cdr
from cpo.context import Context
from cpo.errors import (
    ChargerError,
    ChargerTimeout,
    ChargerUnavailable,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    TooManyRequests,
)
from cpo.i18n import translator
from cpo.payments import rules
from cpo.payments.accounts import active_account, offered_providers, provider_for
from cpo.payments.enums import AdHocState, FailureReason, PaymentState
from cpo.payments.schemas import (
    EventKind,
    HoldRequest,
    HoldState,
    HoldStatus,
    PaymentDeclined,
    PaymentProblem,
    ProviderError,
    ProviderName,
)
from cpo.payments.tables import AdHocSession, Payment, PaymentAccount
from cpo.ports import MailNotSent
from cpo.sessions.live import LiveSession, live_session
from cpo.stations import commands as cmd
from cpo.stations.public import Availability, evse_for_driver
from cpo.stations.rules import compact_evse_id
from cpo.stations.tables import Evse
from cpo.tokens.enums import TokenStatus, TokenType
from cpo.tokens.tables import IdToken

log = logging.getLogger(__name__)

TOKEN_PURPOSE = "ad-hoc-session"  # noqa: S105 (a label for the signature, not a secret)


class StartRequest(msgspec.Struct, frozen=True, kw_only=True):
    provider: ProviderName
    language: str = "en"
    email: Annotated[str, msgspec.Meta(max_length=254)] = ""
    # Chosen by the driver's device per attempt: repeating the request (a second tap, a lost
    # answer) returns the same session and the same hold.
    client_key: Annotated[str, msgspec.Meta(max_length=64)] = ""


class PaymentStep(msgspec.Struct, frozen=True, kw_only=True):
    """What the web app needs to let the driver pay."""

    provider: ProviderName
    client_secret: str | None = None  # Stripe Payment Element / Express Checkout
    redirect_url: str | None = None  # PayPal approval, the demo's card page
    publishable_key: str | None = None
    client_id: str | None = None


class AdHocView(msgspec.Struct, frozen=True, kw_only=True):
    token: str
    state: AdHocState
    evse_id: str
    hold_minor: int
    hold: str
    currency: str
    message: str = ""  # what happened, in plain words, when something went wrong
    failure_reason: str = ""
    payment: PaymentStep | None = None
    payment_method: str = ""
    live: LiveSession | None = None
    receipt_token: str | None = None
    amount_paid_minor: int | None = None


def session_token(ctx: Context, session_id: int) -> str:
    """The driver's key to the session: its number plus a signature, so it is unguessable
    and needs no storage (and can be handed out again for a repeated request)."""
    return sealing.signed_number(ctx.settings.secret_key, TOKEN_PURPOSE, session_id)


def session_id_of(ctx: Context, token: str) -> int:
    session_id = sealing.number_of(ctx.settings.secret_key, TOKEN_PURPOSE, token)
    if session_id is None:
        raise NotFound("no such charging session", code="session_not_found")
    return session_id


def client_fingerprint(ctx: Context, client_ip: str) -> str:
    """The client's address for rate limits, kept only as a keyed hash."""
    return sealing.signature(ctx.settings.secret_key, "client-ip", client_ip)[:32]


async def start(ctx: Context, evse_id: str, request: StartRequest, client_ip: str) -> AdHocView:
    """The driver chose a payment method: reserve the hold and hand back the payment step."""
    language = request.language if request.language in {"de", "en"} else "en"
    t = translator(language)
    fingerprint = client_fingerprint(ctx, client_ip)
    evse = await evse_for_driver(ctx, evse_id, language)
    evse_row = (
        await Evse.select(Evse.id, Evse.station.operator)
        .where(Evse.evse_id_compact == compact_evse_id(evse_id))
        .first()
    )
    assert evse_row is not None  # evse_for_driver found it
    operator_id = int(evse_row["station.operator"])
    if request.client_key:
        existing = (
            await AdHocSession.select(AdHocSession.id)
            .where(
                (AdHocSession.evse == evse_row["id"])
                & (AdHocSession.client_key == request.client_key)
                & (AdHocSession.client_ip_hash == fingerprint)
            )
            .first()
        )
        if existing is not None:
            return await _resume_creation(ctx, existing["id"], language)
    if evse.availability is not Availability.AVAILABLE:
        raise Conflict(evse.availability_message, code=f"evse_{evse.availability.value}")
    if evse.price is None or evse.hold is None:
        raise Conflict(
            t.gettext(messages.CHARGE_POINT_UNAVAILABLE).format(
                support=evse.operator.support_phone
            ),
            code="no_ad_hoc_price",
        )
    account = await active_account(operator_id, request.provider)
    if account is None:
        offered = ", ".join(await offered_providers(operator_id)) or "none"
        raise InvalidInput(
            f"{request.provider} is not offered here (offered: {offered})",
            code="payment_method_not_offered",
        )
    await _check_limits(ctx, evse_row["id"], fingerprint, t)

    now = ctx.clock.now()
    async with database.transaction():
        token_rows = await IdToken.insert(
            IdToken(
                operator=operator_id,
                # OCPP 1.6 idTags have at most 20 characters.
                uid="AH" + secrets.token_hex(9).upper(),
                type=TokenType.AD_HOC_USER,
                status=TokenStatus.ACTIVE,
                label="ad hoc",
                created_at=now,
                updated_at=now,
            )
        ).returning(IdToken.id)
        session_rows = await AdHocSession.insert(
            AdHocSession(
                operator=operator_id,
                evse=evse_row["id"],
                state=AdHocState.AWAITING_PAYMENT,
                id_token=token_rows[0]["id"],
                hold_minor=evse.hold.amount_minor,
                currency=evse.price.currency,
                language=language,
                email=request.email.strip(),
                client_key=request.client_key,
                client_ip_hash=fingerprint,
                created_at=now,
                updated_at=now,
            )
        ).returning(AdHocSession.id)
        session_id = int(session_rows[0]["id"])
        await Payment.insert(
            Payment(
                operator=operator_id,
                ad_hoc_session=session_id,
                account=account.account_id,
                provider=request.provider,
                state=PaymentState.CREATING,
                currency=evse.price.currency,
                amount_held_minor=evse.hold.amount_minor,
                created_at=now,
                updated_at=now,
            )
        )
    return await _resume_creation(ctx, session_id, language)


async def _check_limits(ctx: Context, evse_pk: int, fingerprint: str, t: Any) -> None:
    since = ctx.clock.now() - rules.HOLDS_PER_CLIENT_WINDOW
    recent = await AdHocSession.count().where(
        (AdHocSession.client_ip_hash == fingerprint) & (AdHocSession.created_at >= since)
    )
    open_here = await AdHocSession.count().where(
        (AdHocSession.evse == evse_pk)
        & (AdHocSession.state == AdHocState.AWAITING_PAYMENT)
        & (AdHocSession.created_at >= ctx.clock.now() - rules.ABANDONED_AFTER)
    )
    if recent >= rules.HOLDS_PER_CLIENT or open_here >= rules.OPEN_HOLDS_PER_EVSE:
        raise TooManyRequests(t.gettext(messages.TOO_MANY_ATTEMPTS))


async def _resume_creation(ctx: Context, session_id: int, language: str) -> AdHocView:
    """Ask the provider for the hold if that has not happened yet (idempotent)."""
    payment = await _payment_of(session_id)
    if payment["state"] == PaymentState.CREATING:
        await _create_hold(ctx, session_id, payment)
    return await view(ctx, session_token(ctx, session_id), language)


async def _create_hold(ctx: Context, session_id: int, payment: dict[str, Any]) -> None:
    session = await _session_row(session_id)
    provider = await provider_for(ctx, payment["account"])
    evse_id = session["evse.evse_id"]
    token = session_token(ctx, session_id)
    base = ctx.settings.base_url
    try:
        created = await provider.create_hold(
            HoldRequest(
                amount_minor=payment["amount_held_minor"],
                currency=payment["currency"],
                idempotency_key=f"hold:{payment['id']}",
                description=f"Charging {evse_id}",
                reference=str(payment["id"]),
                return_url=f"{base}/s/{token}?paid=1",
                cancel_url=f"{base}/s/{token}?cancelled=1",
            )
        )
    except PaymentDeclined as declined:
        await _fail(ctx, session_id, FailureReason.PAYMENT_DECLINED, declined.code, str(declined))
        return
    except ProviderError as error:
        log.warning("creating the hold of payment %s failed: %s", payment["id"], error)
        if not error.retryable:
            await _fail(ctx, session_id, FailureReason.PAYMENT_UNAVAILABLE, error.code, str(error))
        raise PaymentProblem(
            translator(session["language"]).gettext(messages.PAYMENT_UNAVAILABLE)
        ) from error
    async with database.transaction():
        await Payment.update(
            {
                Payment.provider_ref: created.provider_ref,
                Payment.client_secret: created.client_secret or "",
                Payment.redirect_url: created.redirect_url or "",
                Payment.state: rules.state_of_hold(created.state),
                Payment.updated_at: ctx.clock.now(),
            }
        ).where((Payment.id == payment["id"]) & (Payment.state == PaymentState.CREATING))
    if created.state is HoldState.AUTHORIZED:
        await _on_authorized(ctx, session_id, None)


async def confirm_payment(ctx: Context, token: str) -> AdHocView:
    """The driver is back from paying: ask the provider (never trust the browser)."""
    session_id = session_id_of(ctx, token)
    await _refresh_hold(ctx, session_id)
    session = await _session_row(session_id)
    return await view(ctx, token, session["language"])


async def _refresh_hold(ctx: Context, session_id: int) -> None:
    payment = await _payment_of(session_id)
    if payment["state"] not in {PaymentState.REQUIRES_ACTION, PaymentState.AUTHORIZED}:
        return
    provider = await provider_for(ctx, payment["account"])
    try:
        status = await provider.hold_status(payment["provider_ref"])
    except PaymentDeclined as declined:
        await _record_decline(ctx, session_id, declined.code, str(declined))
        return
    except ProviderError as error:
        log.warning("asking for hold %s failed: %s", payment["provider_ref"], error)
        return
    await _apply_hold_status(ctx, session_id, status)


async def _apply_hold_status(ctx: Context, session_id: int, status: HoldStatus) -> None:
    if status.state is HoldState.AUTHORIZED:
        await _on_authorized(ctx, session_id, status)
    elif status.state is HoldState.FAILED:
        await _record_decline(ctx, session_id, status.failure_code, status.failure_message)
    elif status.state in {HoldState.CANCELLED, HoldState.EXPIRED}:
        session = await _session_row(session_id)
        if session["state"] == AdHocState.AWAITING_PAYMENT:
            await _fail(
                ctx,
                session_id,
                FailureReason.PAYMENT_ABANDONED,
                status.failure_code,
                status.failure_message,
            )
        elif status.state is HoldState.EXPIRED:
            await _move_payment(
                ctx, session_id, PaymentState.EXPIRED, error="authorisation expired"
            )


async def _record_decline(ctx: Context, session_id: int, code: str, message: str) -> None:
    """A declined card or PayPal funding source: the driver may try another one on the same
    hold request (Stripe's Payment Element, PayPal's approval page), so the session waits;
    it is given up when the driver stops or after ABANDONED_AFTER."""
    async with database.transaction():
        await Payment.update(
            {
                Payment.failure_code: (code or "declined")[:64],
                Payment.failure_message: message[:1000],
                Payment.updated_at: ctx.clock.now(),
            }
        ).where(
            (Payment.ad_hoc_session == session_id)
            & Payment.state.is_in([PaymentState.CREATING, PaymentState.REQUIRES_ACTION])
        )
    await announce(ctx, session_id)


async def _on_authorized(ctx: Context, session_id: int, status: HoldStatus | None) -> None:
    """The hold stands: start the charger (once, whoever noticed first)."""
    now = ctx.clock.now()
    async with database.transaction():
        session = await _session_row(session_id)
        payment = await _payment_of(session_id)
        values: dict[Any, Any] = {Payment.updated_at: now}
        if rules.may_move(PaymentState(payment["state"]), PaymentState.AUTHORIZED):
            values[Payment.state] = PaymentState.AUTHORIZED
        if status is not None:
            if status.method is not None:
                values[Payment.method_kind] = status.method.kind
                values[Payment.method_brand] = status.method.brand[:20]
                values[Payment.method_last4] = status.method.last4[-4:]
                values[Payment.payer_email] = status.method.payer_email[:254]
            if status.authorization_ref:
                values[Payment.authorization_ref] = status.authorization_ref
        await Payment.update(values).where(Payment.id == payment["id"])
        if session["state"] != AdHocState.AWAITING_PAYMENT:
            return
        await AdHocSession.update(
            {
                AdHocSession.state: AdHocState.STARTING,
                AdHocSession.start_deadline: now + rules.START_TIMEOUT,
                AdHocSession.updated_at: now,
            }
        ).where(
            (AdHocSession.id == session_id) & (AdHocSession.state == AdHocState.AWAITING_PAYMENT)
        )
    await announce(ctx, session_id)
    await _remote_start(ctx, session_id)


async def _remote_start(ctx: Context, session_id: int) -> None:
    session = await _session_row(session_id)
    try:
        result = await cmd.send_command(
            ctx,
            session["evse.station.identity"],
            cmd.RemoteStart(
                id_tag=session["id_token.uid"], connector_id=session["evse.ocpp_connector_id"]
            ),
        )
    except ChargerUnavailable:
        await _fail(ctx, session_id, FailureReason.CHARGER_OFFLINE)
        return
    except (ChargerTimeout, ChargerError) as error:
        log.warning("remote start of ad hoc session %s failed: %s", session_id, error)
        await _fail(ctx, session_id, FailureReason.CHARGER_REJECTED)
        return
    if result.status != "Accepted":
        await _fail(ctx, session_id, FailureReason.CHARGER_REJECTED)


async def bind_started_session(session_id: int, token_id: int, at: datetime) -> int | None:
    """A StartTransaction with an ad hoc token: the driver's session is charging now.

    Runs inside the StartTransaction's own transaction; returns the ad hoc session, which
    the caller announces once that transaction is committed.
    """
    rows = (
        await AdHocSession.update(
            {
                AdHocSession.charging_session: session_id,
                AdHocSession.state: AdHocState.CHARGING,
                AdHocSession.updated_at: at,
            }
        )
        .where((AdHocSession.id_token == token_id) & (AdHocSession.state == AdHocState.STARTING))
        .returning(AdHocSession.id)
    )
    return int(rows[0]["id"]) if rows else None


def changes_topic(session_id: int) -> str:
    return f"ad_hoc.{session_id}.changed"


async def announce(ctx: Context, session_id: int) -> None:
    """Tell live views that the session moved (they re-read it)."""
    await ctx.bus.publish(changes_topic(session_id), b"{}")


async def token_is_usable(token_id: int) -> bool:
    """An ad hoc token starts exactly the session that was paid for, nothing else."""
    return bool(
        await AdHocSession.exists().where(
            (AdHocSession.id_token == token_id)
            & AdHocSession.state.is_in(
                [AdHocState.STARTING, AdHocState.CHARGING, AdHocState.STOPPING]
            )
        )
    )


async def stop(ctx: Context, token: str) -> AdHocView:
    """The driver taps Stop."""
    session_id = session_id_of(ctx, token)
    session = await _session_row(session_id)
    t = translator(session["language"])
    if session["state"] in {AdHocState.FINISHED, AdHocState.FAILED}:
        return await view(ctx, token, session["language"])
    if session["state"] in {AdHocState.AWAITING_PAYMENT, AdHocState.STARTING}:
        # Not charging yet: give up, and release the hold at once.
        await _fail(ctx, session_id, FailureReason.PAYMENT_ABANDONED)
        return await view(ctx, token, session["language"])
    await _request_stop(ctx, session_id, "driver")
    view_now = await view(ctx, token, session["language"])
    if not (await _session_row(session_id))["stop_requested"]:
        support = session["operator.support_phone"] or session["operator.support_email"]
        return msgspec.structs.replace(
            view_now, message=t.gettext(messages.STOP_NOT_CONFIRMED).format(support=support)
        )
    return view_now


async def _request_stop(ctx: Context, session_id: int, reason: str) -> bool:
    session = await _session_row(session_id)
    transaction_id = session["charging_session.ocpp_transaction_id"]
    if transaction_id is None:
        return False
    try:
        result = await cmd.send_command(
            ctx, session["evse.station.identity"], cmd.RemoteStop(transaction_id=transaction_id)
        )
    except DomainError as error:
        log.warning("remote stop of ad hoc session %s failed: %s", session_id, error)
        return False
    if result.status != "Accepted":
        return False
    async with database.transaction():
        await AdHocSession.update(
            {
                AdHocSession.state: AdHocState.STOPPING,
                AdHocSession.stop_requested: True,
                AdHocSession.stop_reason: reason,
                AdHocSession.updated_at: ctx.clock.now(),
            }
        ).where((AdHocSession.id == session_id) & (AdHocSession.state == AdHocState.CHARGING))
    await announce(ctx, session_id)
    return True


async def guard_hold(ctx: Context, charging_session_id: int) -> None:
    """Stop an ad hoc session before its cost reaches the hold."""
    row = (
        await AdHocSession.select(AdHocSession.id, AdHocSession.hold_minor, AdHocSession.state)
        .where(AdHocSession.charging_session == charging_session_id)
        .first()
    )
    if row is None or row["state"] != AdHocState.CHARGING:
        return
    live = await live_session(ctx, charging_session_id)
    if live.cost is not None and rules.must_stop_for_hold(live.cost.gross_minor, row["hold_minor"]):
        log.info("ad hoc session %s reached its hold; stopping it", row["id"])
        await _request_stop(ctx, row["id"], "hold_reached")


async def settle(ctx: Context, charging_session_id: int) -> None:
    """The charging session ended: take exactly what its record says, release the rest."""
    row = (
        await AdHocSession.select(AdHocSession.id)
        .where(AdHocSession.charging_session == charging_session_id)
        .first()
    )
    if row is None:
        return
    session_id = int(row["id"])
    cdr = await cdr_of_session(charging_session_id) or await issue_cdr(ctx, charging_session_id)
    if cdr is None:
        # Energy unknown (needs reconciliation): keep the hold until someone decides.
        log.warning("ad hoc session %s ended without a record; the hold stays", session_id)
        return
    now = ctx.clock.now()
    async with database.transaction():
        payment = await _payment_of(session_id)
        target = (
            PaymentState.CAPTURE_PENDING if cdr.gross_minor > 0 else PaymentState.CANCEL_PENDING
        )
        if rules.may_move(PaymentState(payment["state"]), target):
            await Payment.update(
                {
                    Payment.state: target,
                    Payment.amount_due_minor: min(cdr.gross_minor, payment["amount_held_minor"]),
                    Payment.next_attempt_at: now,
                    Payment.updated_at: now,
                }
            ).where(Payment.id == payment["id"])
        await AdHocSession.update(
            {
                AdHocSession.state: AdHocState.FINISHED,
                AdHocSession.cdr: cdr.id,
                AdHocSession.finished_at: now,
                AdHocSession.updated_at: now,
            }
        ).where(
            (AdHocSession.id == session_id)
            & AdHocSession.state.is_in(
                [AdHocState.CHARGING, AdHocState.STOPPING, AdHocState.STARTING]
            )
        )
        if cdr.gross_minor > payment["amount_held_minor"]:
            log.error(
                "ad hoc session %s cost %s, more than its hold of %s; capturing the hold",
                session_id,
                cdr.gross_minor,
                payment["amount_held_minor"],
            )
    await IdToken.update({IdToken.status: TokenStatus.EXPIRED, IdToken.updated_at: now}).where(
        IdToken.id == (await _session_row(session_id))["id_token"]
    )
    await announce(ctx, session_id)
    await _settle_payment(ctx, payment["id"])
    await _mail_receipt(ctx, session_id)


async def _mail_receipt(ctx: Context, session_id: int) -> None:
    """Send the receipt to the address the driver gave, once; retried by the sweeper."""
    session = await _session_row(session_id)
    if not session["email"] or session["receipt_mailed_at"] is not None:
        return
    if session["mail_attempts"] >= rules.MAIL_ATTEMPTS or session["charging_session"] is None:
        return
    cdr = await cdr_of_session(session["charging_session"])
    if cdr is None:
        return
    now = ctx.clock.now()
    try:
        await mail_receipt(ctx, cdr, session["email"], session["language"])
    except MailNotSent as error:
        attempts = session["mail_attempts"] + 1
        log.warning("the receipt of ad hoc session %s was not sent: %s", session_id, error)
        async with database.transaction():
            await AdHocSession.update(
                {
                    AdHocSession.mail_attempts: attempts
                    if error.retryable
                    else rules.MAIL_ATTEMPTS,
                    AdHocSession.mail_retry_at: rules.next_attempt_at(attempts, now),
                    AdHocSession.mail_error: str(error)[:1000],
                }
            ).where(AdHocSession.id == session_id)
        return
    async with database.transaction():
        await AdHocSession.update(
            {AdHocSession.receipt_mailed_at: now, AdHocSession.mail_error: ""}
        ).where(AdHocSession.id == session_id)


async def settle_quietly(ctx: Context, charging_session_id: int) -> None:
    """After a stop: a failure must not undo the stop; the sweeper settles later."""
    try:
        await settle(ctx, charging_session_id)
    except Exception:  # logged, and retried by the sweeper
        log.exception("settling the payment of session %s failed", charging_session_id)


async def _settle_payment(ctx: Context, payment_id: int) -> None:
    """Capture or release, with the same idempotency key every time for the same amount."""
    payment = await Payment.select().where(Payment.id == payment_id).first()
    if payment is None or payment["state"] not in {
        PaymentState.CAPTURE_PENDING,
        PaymentState.CANCEL_PENDING,
    }:
        return
    provider = await provider_for(ctx, payment["account"])
    reference = payment["authorization_ref"] or payment["provider_ref"]
    try:
        if payment["state"] == PaymentState.CAPTURE_PENDING:
            amount = int(payment["amount_due_minor"])
            captured = await provider.capture(
                payment["provider_ref"],
                amount,
                payment["currency"],
                f"capture:{payment_id}:{amount}",
            )
            await _move_payment_by_id(
                ctx,
                payment_id,
                PaymentState.CAPTURED,
                captured_minor=captured.amount_minor,
                capture_ref=captured.capture_ref,
            )
        else:
            await provider.cancel(payment["provider_ref"], f"cancel:{payment_id}")
            await _move_payment_by_id(ctx, payment_id, PaymentState.CANCELLED)
        log.info("payment %s settled (%s)", payment_id, reference)
    except ProviderError as error:
        attempts = int(payment["attempts"]) + 1
        retry = error.retryable
        log.warning("settling payment %s failed (attempt %d): %s", payment_id, attempts, error)
        async with database.transaction():
            await Payment.update(
                {
                    Payment.attempts: attempts,
                    Payment.last_error: f"{error.code}: {error}"[:1000],
                    Payment.next_attempt_at: rules.next_attempt_at(attempts, ctx.clock.now())
                    if retry
                    else None,
                    Payment.updated_at: ctx.clock.now(),
                }
            ).where(Payment.id == payment_id)
        if not retry:
            # E.g. the authorisation expired: nothing can be captured any more.
            status = await _status_or_none(provider, payment["provider_ref"])
            if status is not None and status.state in {HoldState.EXPIRED, HoldState.CANCELLED}:
                await _move_payment_by_id(ctx, payment_id, PaymentState.EXPIRED)


async def _status_or_none(provider: Any, provider_ref: str) -> HoldStatus | None:
    try:
        status: HoldStatus = await provider.hold_status(provider_ref)
    except ProviderError:
        return None
    return status


async def _fail(
    ctx: Context,
    session_id: int,
    reason: FailureReason,
    failure_code: str = "",
    failure_message: str = "",
) -> None:
    """The session will not charge: say why, and release the hold at once."""
    now = ctx.clock.now()
    async with database.transaction():
        changed = (
            await AdHocSession.update(
                {
                    AdHocSession.state: AdHocState.FAILED,
                    AdHocSession.failure_reason: reason,
                    AdHocSession.finished_at: now,
                    AdHocSession.updated_at: now,
                }
            )
            .where(
                (AdHocSession.id == session_id)
                & AdHocSession.state.is_in([AdHocState.AWAITING_PAYMENT, AdHocState.STARTING])
            )
            .returning(AdHocSession.id)
        )
        if not changed:
            return
        payment = await _payment_of(session_id)
        state = PaymentState(payment["state"])
        if state in {PaymentState.AUTHORIZED, PaymentState.REQUIRES_ACTION}:
            target = PaymentState.CANCEL_PENDING
        elif state is PaymentState.CREATING:
            target = PaymentState.FAILED
        else:
            target = state
        await Payment.update(
            {
                Payment.state: target,
                Payment.failure_code: failure_code[:64],
                Payment.failure_message: failure_message[:1000],
                Payment.next_attempt_at: now if target is PaymentState.CANCEL_PENDING else None,
                Payment.updated_at: now,
            }
        ).where(Payment.id == payment["id"])
        await IdToken.update({IdToken.status: TokenStatus.EXPIRED, IdToken.updated_at: now}).where(
            IdToken.id == (await _session_row(session_id))["id_token"]
        )
    log.info("ad hoc session %s failed: %s", session_id, reason)
    if target is PaymentState.CANCEL_PENDING:
        await _settle_payment(ctx, payment["id"])
    await announce(ctx, session_id)


async def _move_payment(
    ctx: Context, session_id: int, target: PaymentState, *, error: str = ""
) -> None:
    payment = await _payment_of(session_id)
    await _move_payment_by_id(ctx, payment["id"], target, error=error)


async def _move_payment_by_id(
    ctx: Context,
    payment_id: int,
    target: PaymentState,
    *,
    captured_minor: int | None = None,
    capture_ref: str = "",
    error: str = "",
) -> None:
    async with database.transaction():
        row = (
            await Payment.select(Payment.state, Payment.ad_hoc_session)
            .where(Payment.id == payment_id)
            .first()
        )
        if row is None or not rules.may_move(PaymentState(row["state"]), target):
            return
        values: dict[Any, Any] = {
            Payment.state: target,
            Payment.next_attempt_at: None,
            Payment.updated_at: ctx.clock.now(),
        }
        if captured_minor is not None:
            values[Payment.amount_captured_minor] = captured_minor
        if capture_ref:
            values[Payment.capture_ref] = capture_ref
        if error:
            values[Payment.last_error] = error
        await Payment.update(values).where(Payment.id == payment_id)
    await announce(ctx, int(row["ad_hoc_session"]))


async def apply_event(
    ctx: Context,
    account_id: int,
    kind: EventKind,
    provider_ref: str | None,
    reference: str | None,
) -> None:
    """A verified provider event about an ad hoc payment (our reference: the payment id)."""
    if reference and reference.isdigit():
        condition: Any = (Payment.account == account_id) & (Payment.id == int(reference))
    elif provider_ref:
        condition = (Payment.account == account_id) & (
            (Payment.provider_ref == provider_ref) | (Payment.authorization_ref == provider_ref)
        )
    else:
        return
    payment = await Payment.select(Payment.id, Payment.ad_hoc_session).where(condition).first()
    if payment is None:
        log.info("webhook %s for an unknown payment (%s)", kind, provider_ref or reference)
        return
    session_id = int(payment["ad_hoc_session"])
    if kind is EventKind.HOLD_AUTHORIZED:
        # Ask the provider for the details (card brand, last four digits) and carry on.
        await _refresh_hold(ctx, session_id)
    elif kind is EventKind.HOLD_FAILED:
        await _refresh_hold(ctx, session_id)
    elif kind is EventKind.HOLD_CANCELLED:
        await _apply_hold_status(
            ctx,
            session_id,
            HoldStatus(provider_ref=provider_ref or "", state=HoldState.CANCELLED),
        )
        await _move_payment_by_id(ctx, payment["id"], PaymentState.CANCELLED)
    elif kind is EventKind.CAPTURED:
        await _move_payment_by_id(ctx, payment["id"], PaymentState.CAPTURED)
    elif kind is EventKind.REFUNDED:
        await _move_payment_by_id(ctx, payment["id"], PaymentState.REFUNDED)


async def sweep(ctx: Context) -> None:
    """Finish what a crash, a lost webhook or a silent charger left half done."""
    now = ctx.clock.now()
    overdue = await AdHocSession.select(AdHocSession.id).where(
        (AdHocSession.state == AdHocState.STARTING) & (AdHocSession.start_deadline < now)
    )
    for row in overdue:
        await _fail(ctx, row["id"], FailureReason.DID_NOT_START)
    waiting = await AdHocSession.select(AdHocSession.id, AdHocSession.created_at).where(
        AdHocSession.state == AdHocState.AWAITING_PAYMENT
    )
    for row in waiting:
        # A webhook may have been lost: ask the provider; give up on abandoned payments.
        await _refresh_hold(ctx, row["id"])
        if row["created_at"] < now - rules.ABANDONED_AFTER:
            await _fail(ctx, row["id"], FailureReason.PAYMENT_ABANDONED)
    ended = await AdHocSession.select(AdHocSession.charging_session).where(
        AdHocSession.state.is_in([AdHocState.CHARGING, AdHocState.STOPPING])
        & AdHocSession.charging_session.is_not_null()
        & (AdHocSession.charging_session._.state == "completed")
    )
    for row in ended:
        await settle(ctx, row["charging_session"])
    due = await Payment.select(Payment.id).where(
        Payment.state.is_in([PaymentState.CAPTURE_PENDING, PaymentState.CANCEL_PENDING])
        & Payment.next_attempt_at.is_not_null()
        & (Payment.next_attempt_at <= now)
    )
    for row in due:
        await _settle_payment(ctx, row["id"])
    unsent = await AdHocSession.select(AdHocSession.id).where(
        (AdHocSession.state == AdHocState.FINISHED)
        & (AdHocSession.email != "")
        & AdHocSession.receipt_mailed_at.is_null()
        & (AdHocSession.mail_attempts < rules.MAIL_ATTEMPTS)
        & (AdHocSession.mail_retry_at.is_null() | (AdHocSession.mail_retry_at <= now))
    )
    for row in unsent:
        await _mail_receipt(ctx, row["id"])


async def view(ctx: Context, token: str, language: str | None = None) -> AdHocView:
    session_id = session_id_of(ctx, token)
    session = await _session_row(session_id)
    payment = await _payment_of(session_id)
    language = language if language in {"de", "en"} else session["language"]
    t = translator(language or "en")
    state = AdHocState(session["state"])
    message = ""
    if state is AdHocState.AWAITING_PAYMENT and payment["failure_code"]:
        message = t.gettext(messages.PAYMENT_DECLINED)
    if state is AdHocState.FAILED:
        support = session["operator.support_phone"] or session["operator.support_email"]
        message = t.gettext(
            rules.FAILURE_MESSAGES[FailureReason(session["failure_reason"])]
        ).format(support=support)
    step = None
    if state is AdHocState.AWAITING_PAYMENT and payment["state"] == PaymentState.REQUIRES_ACTION:
        account = (
            await PaymentAccount.select(PaymentAccount.public_config)
            .where(PaymentAccount.id == payment["account"])
            .first()
        )
        public = database.from_json_column(
            account["public_config"] if account else "{}", dict[str, str]
        )
        step = PaymentStep(
            provider=ProviderName(payment["provider"]),
            client_secret=payment["client_secret"] or None,
            redirect_url=payment["redirect_url"] or None,
            publishable_key=public.get("publishable_key"),
            client_id=public.get("client_id"),
        )
    live = None
    if session["charging_session"] is not None:
        live = await live_session(ctx, session["charging_session"])
    receipt = None
    if session["cdr"] is not None:
        receipt = session["cdr.receipt_token"]
    method = ""
    if payment["method_last4"]:
        method = t.gettext(messages.CARD_ENDING_IN).format(last4=payment["method_last4"])
        if payment["method_brand"]:
            method = f"{payment['method_brand'].title()} · {method}"
    elif payment["payer_email"] or payment["method_kind"] == "paypal":
        method = "PayPal"
    return AdHocView(
        token=token,
        state=state,
        evse_id=session["evse.evse_id"],
        hold_minor=session["hold_minor"],
        hold=t.money(session["hold_minor"], session["currency"]),
        currency=session["currency"],
        message=message,
        failure_reason=session["failure_reason"],
        payment=step,
        payment_method=method,
        live=live,
        receipt_token=receipt,
        amount_paid_minor=_amount_paid(state, PaymentState(payment["state"]), payment),
    )


def _amount_paid(
    state: AdHocState, payment_state: PaymentState, payment: dict[str, Any]
) -> int | None:
    """What the driver paid, once it is settled: the capture, or 0 when nothing was owed."""
    if payment_state in {PaymentState.CAPTURED, PaymentState.REFUNDED}:
        return int(payment["amount_captured_minor"])
    if state is AdHocState.FINISHED and payment_state is PaymentState.CANCELLED:
        return 0
    return None


async def _session_row(session_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await AdHocSession.select(
            *AdHocSession.all_columns(),
            AdHocSession.evse._.evse_id,
            AdHocSession.evse._.ocpp_connector_id,
            AdHocSession.evse._.station._.identity,
            AdHocSession.id_token._.uid,
            AdHocSession.charging_session._.ocpp_transaction_id,
            AdHocSession.cdr._.receipt_token,
            AdHocSession.operator._.support_phone,
            AdHocSession.operator._.support_email,
        )
        .where(AdHocSession.id == session_id)
        .first()
    )
    if row is None:
        raise NotFound("no such charging session", code="session_not_found")
    return row


async def _payment_of(session_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await Payment.select().where(Payment.ad_hoc_session == session_id).first()
    )
    if row is None:
        raise NotFound("no payment for this session")
    return row
