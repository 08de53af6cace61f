"""Charging a contract customer's method on file while the customer is not there
(off-session): what collecting an invoice through the method on file calls.

    view = await charge_method_on_file(
        ctx,
        customer_id=12,
        amount_minor=4711,
        currency="EUR",
        reference="invoice:42",             # the caller's: which thing is paid
        idempotency_key="invoice:42:1",     # the caller's, deterministic: one charge per key
        description="Invoice DEM-R-000042", # on the customer's statement
    )

Once per idempotency key: the charge is recorded (pending) and committed, the provider is
asked with a key made from the charge's id, the answer is recorded. Cards answer at once:
`succeeded`, `failed` (with the bank's code and message), or `requires_action` (the card
wants 3-D Secure: the customer must pay while there). SEPA Direct Debits answer
`processing` and settle days later (`succeeded` or `failed`), told by the provider's
webhook — routed here by our reference `charge:<id>` in its metadata (`on_charge_event`) —
or found by the sweeper. A call that got no answer stays `pending` and is repeated with the
same key by the sweeper. Every change is published on the bus topic
`payments.method_charge.<id>` (a `MethodChargeView` as JSON).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import msgspec

from cpo import database
from cpo.context import Context
from cpo.errors import Conflict, InvalidInput, NotFound
from cpo.payments import rules
from cpo.payments.accounts import methods_for
from cpo.payments.enums import MethodChargeState
from cpo.payments.saved_methods import active_method, id_in_reference
from cpo.payments.schemas import (
    ChargeResult,
    ChargeState,
    MethodKind,
    OffSessionCharge,
    ProviderError,
    ProviderEvent,
)
from cpo.payments.tables import MethodCharge

log = logging.getLogger(__name__)

CHARGE_PREFIX = "charge"
TOPIC = "payments.method_charge"
_STATES = {
    ChargeState.PROCESSING: MethodChargeState.PROCESSING,
    ChargeState.SUCCEEDED: MethodChargeState.SUCCEEDED,
    ChargeState.FAILED: MethodChargeState.FAILED,
    ChargeState.REQUIRES_ACTION: MethodChargeState.REQUIRES_ACTION,
}


class NoMethodOnFile(Conflict):
    code = "no_method_on_file"


class MethodChargeView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    customer_id: int
    reference: str
    idempotency_key: str
    state: MethodChargeState
    amount_minor: int
    currency: str
    method_id: int
    method_kind: MethodKind
    provider_ref: str  # the provider's PaymentIntent ("" until it answered)
    failure_code: str
    failure_message: str
    last_error: str  # why the provider could not be asked (pending: tried again)
    created_at: datetime
    settled_at: datetime | None


def charge_reference(charge_id: int) -> str:
    return f"{CHARGE_PREFIX}:{charge_id}"


async def charge_method_on_file(
    ctx: Context,
    *,
    customer_id: int,
    amount_minor: int,
    currency: str,
    reference: str,
    idempotency_key: str,
    description: str,
) -> MethodChargeView:
    """Charge the customer's method on file now (see the module's doc). The same
    `idempotency_key` again returns the same charge (asking the provider again only while
    it never answered); raises `NoMethodOnFile` (409) without an active method."""
    if amount_minor <= 0:
        raise InvalidInput("an off-session charge needs a positive amount", code="invalid_amount")
    if not idempotency_key or len(idempotency_key) > 100 or len(reference) > 100:
        raise InvalidInput("idempotency key and reference: 1 to 100 characters")
    existing = (
        await MethodCharge.select(MethodCharge.id)
        .where(MethodCharge.idempotency_key == idempotency_key)
        .first()
    )
    if existing is not None:
        await _submit(ctx, int(existing["id"]))
        return await charge_view(int(existing["id"]))
    method = await active_method(customer_id)
    if method is None:
        raise NoMethodOnFile(f"customer {customer_id} has no payment method on file")
    if method["kind"] == MethodKind.SEPA_DEBIT and currency.upper() != "EUR":
        raise InvalidInput("SEPA Direct Debit takes euros only", code="currency_not_supported")
    now = ctx.clock.now()
    async with database.transaction():
        rows = await MethodCharge.insert(
            MethodCharge(
                operator=method["operator"],
                customer=customer_id,
                method=method["id"],
                account=method["account"],
                reference=reference,
                idempotency_key=idempotency_key,
                description=description[:200],
                amount_minor=amount_minor,
                currency=currency.upper(),
                state=MethodChargeState.PENDING,
                next_attempt_at=now + rules.CHARGE_ANSWER_AWAITED,
                created_at=now,
                updated_at=now,
            )
        ).returning(MethodCharge.id)
    charge_id = int(rows[0]["id"])
    await _submit(ctx, charge_id)
    return await charge_view(charge_id)


async def _submit(ctx: Context, charge_id: int) -> None:
    """Ask the provider for the charge while it never answered (same key every time)."""
    row = await _charge_row(charge_id)
    if row["state"] != MethodChargeState.PENDING:
        return
    try:
        methods = await methods_for(ctx, row["account"])
        result = await methods.charge_off_session(
            OffSessionCharge(
                customer_ref=row["method.provider_customer.provider_ref"],
                method_ref=row["method.method_ref"],
                kind=MethodKind(row["method.kind"]),
                amount_minor=row["amount_minor"],
                currency=row["currency"],
                description=row["description"],
                reference=charge_reference(charge_id),
                idempotency_key=charge_reference(charge_id),
            )
        )
    except ProviderError as error:
        await _record_error(ctx, row, error)
        return
    await _record(ctx, charge_id, result)


async def _record_error(ctx: Context, row: dict[str, Any], error: ProviderError) -> None:
    attempts = int(row["attempts"]) + 1
    now = ctx.clock.now()
    log.warning(
        "charge %s: no answer from the provider (attempt %d): %s", row["id"], attempts, error
    )
    values: dict[Any, Any] = {
        MethodCharge.attempts: attempts,
        MethodCharge.last_error: f"{error.code}: {error}"[:1000],
        MethodCharge.updated_at: now,
    }
    if error.retryable:
        values[MethodCharge.next_attempt_at] = rules.next_attempt_at(attempts, now)
    else:  # refused for good (e.g. the method was detached): nothing was charged
        values.update(
            {
                MethodCharge.state: MethodChargeState.FAILED,
                MethodCharge.failure_code: error.code[:64],
                MethodCharge.failure_message: str(error)[:1000],
                MethodCharge.next_attempt_at: None,
                MethodCharge.settled_at: now,
            }
        )
    async with database.transaction():
        await MethodCharge.update(values).where(
            (MethodCharge.id == row["id"]) & (MethodCharge.state == MethodChargeState.PENDING)
        )
    await _announce(ctx, row["id"])


async def _record(ctx: Context, charge_id: int, result: ChargeResult) -> None:
    """Record the provider's answer, forward only (a late `processing` after the debit
    settled changes nothing)."""
    target = _STATES[result.state]
    now = ctx.clock.now()
    settled = target is not MethodChargeState.PROCESSING
    async with database.transaction():
        changed = (
            await MethodCharge.update(
                {
                    MethodCharge.state: target,
                    MethodCharge.provider_ref: result.charge_ref,
                    MethodCharge.failure_code: result.failure_code[:64],
                    MethodCharge.failure_message: result.failure_message[:1000],
                    MethodCharge.next_attempt_at: None
                    if settled
                    else now + rules.DEBIT_CHECK_EVERY,
                    MethodCharge.settled_at: now if settled else None,
                    MethodCharge.updated_at: now,
                }
            )
            .where(
                (MethodCharge.id == charge_id)
                & MethodCharge.state.is_in(list(rules.CHARGE_MAY_MOVE_FROM[target]))
            )
            .returning(MethodCharge.id)
        )
    if changed:
        log.info("charge %s is %s", charge_id, target)
        await _announce(ctx, charge_id)


async def refresh_charge(ctx: Context, charge_id: int) -> MethodChargeView:
    """Ask the provider where a charge stands (a webhook came, or may have been lost)."""
    row = await _charge_row(charge_id)
    if row["state"] == MethodChargeState.PENDING:
        await _submit(ctx, charge_id)
    elif row["state"] == MethodChargeState.PROCESSING and row["provider_ref"]:
        try:
            methods = await methods_for(ctx, row["account"])
            result = await methods.charge_status(row["provider_ref"])
        except ProviderError as error:
            log.warning("asking about charge %s failed: %s", charge_id, error)
        else:
            await _record(ctx, charge_id, result)
    return await charge_view(charge_id)


async def on_charge_event(ctx: Context, account_id: int, event: ProviderEvent) -> None:
    """A webhook about an off-session charge: find it (our reference, else the provider's
    id) and ask the provider what became of it."""
    charge_id = id_in_reference(event.reference, CHARGE_PREFIX)
    if charge_id is not None:
        condition: Any = MethodCharge.id == charge_id
    elif event.provider_ref:
        condition = MethodCharge.provider_ref == event.provider_ref
    else:
        return
    row = (
        await MethodCharge.select(MethodCharge.id, MethodCharge.state)
        .where(condition & (MethodCharge.account == account_id))
        .first()
    )
    if row is None:
        log.info("webhook %s for an unknown charge (%s)", event.kind, event.reference)
        return
    if row["state"] == MethodChargeState.PENDING:
        await _submit(ctx, int(row["id"]))  # the answer was lost; the event says it exists
    else:
        await refresh_charge(ctx, int(row["id"]))


async def charge_view(charge_id: int) -> MethodChargeView:
    row = await _charge_row(charge_id)
    return MethodChargeView(
        id=row["id"],
        customer_id=row["customer"],
        reference=row["reference"],
        idempotency_key=row["idempotency_key"],
        state=MethodChargeState(row["state"]),
        amount_minor=row["amount_minor"],
        currency=row["currency"],
        method_id=row["method"],
        method_kind=MethodKind(row["method.kind"]),
        provider_ref=row["provider_ref"],
        failure_code=row["failure_code"],
        failure_message=row["failure_message"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        settled_at=row["settled_at"],
    )


async def _charge_row(charge_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await MethodCharge.select(
            *MethodCharge.all_columns(),
            MethodCharge.method._.kind,
            MethodCharge.method._.method_ref,
            MethodCharge.method._.provider_customer._.provider_ref,
        )
        .where(MethodCharge.id == charge_id)
        .first()
    )
    if row is None:
        raise NotFound(f"no charge {charge_id}", code="charge_not_found")
    return row


async def _announce(ctx: Context, charge_id: int) -> None:
    view = await charge_view(charge_id)
    await ctx.bus.publish(f"{TOPIC}.{charge_id}", msgspec.json.encode(view))


async def sweep(ctx: Context) -> None:
    """Repeat calls that got no answer; ask about debits whose webhook may be lost."""
    now = ctx.clock.now()
    due = await MethodCharge.select(MethodCharge.id).where(
        MethodCharge.state.is_in([MethodChargeState.PENDING, MethodChargeState.PROCESSING])
        & MethodCharge.next_attempt_at.is_not_null()
        & (MethodCharge.next_attempt_at <= now)
    )
    for row in due:
        await refresh_charge(ctx, int(row["id"]))
