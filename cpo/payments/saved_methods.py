"""Payment methods on file: a contract customer keeps one card or one bank account (SEPA
Direct Debit) at the operator's payment provider, for invoices to be charged later without
the customer (`cpo.payments.off_session`).

Who: only who answers for the customer's money (`accounts.rules.may_manage_payment_method`:
a person's own login, a company's fleet manager). Where: the operator's first active account
whose provider keeps methods on file — Stripe; PayPal's vault is not integrated
(`method_on_file_not_offered`).

The rhythm (STYLE 5b): a setup is recorded (pending) and committed; the provider's customer
and the setup are asked for; the answer is recorded. The customer enters the card or IBAN in
the browser (Stripe's Payment Element, or the local fake's setup page), then the setup is
finished from the provider's answer — when the browser comes back (`confirm_setup`) and when
the webhook arrives, in either order, once. A setup that succeeds becomes the active method
and replaces the one before, which is detached at the provider after the commit. Changes of
one customer's methods are serialised by locking the customer's row. `sweep` finishes setups
a lost webhook left pending and retries detaches.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

import msgspec

from cpo import database, messages
from cpo.accounts.rules import may_manage_payment_method
from cpo.accounts.service import UserRef, customer_allowed
from cpo.accounts.tables import Customer
from cpo.context import Context
from cpo.errors import InvalidInput, NotAllowed, NotFound
from cpo.i18n import translator
from cpo.operators.tables import Operator
from cpo.payments import rules
from cpo.payments.accounts import methods_for
from cpo.payments.enums import SavedMethodState
from cpo.payments.schemas import (
    CustomerRequest,
    MandateAcceptance,
    MethodKind,
    MethodOnFileNotOffered,
    PaymentProblem,
    ProviderError,
    ProviderEvent,
    SavedMethod,
    SetupRequest,
    SetupState,
    SetupStatus,
)
from cpo.payments.tables import PaymentAccount, ProviderCustomer, SavedPaymentMethod

log = logging.getLogger(__name__)

# Our reference of a setup at the provider ("setup:7"): its events find the setup by it.
SETUP_PREFIX = "setup"
_OPEN = (SavedMethodState.PENDING, SavedMethodState.FAILED)


# -- shapes ------------------------------------------------------------------------------


class SetupStart(msgspec.Struct, frozen=True, kw_only=True):
    kind: MethodKind
    # Chosen by the browser per attempt: repeating the request resumes the same setup.
    client_key: Annotated[str, msgspec.Meta(min_length=8, max_length=64)]
    # SEPA Direct Debit: the customer read the mandate (creditor: the operator) and accepted.
    mandate_accepted: bool = False


class SetupStep(msgspec.Struct, frozen=True, kw_only=True):
    """What the browser needs to let the customer enter the card or bank account."""

    setup_id: int
    kind: MethodKind
    state: SavedMethodState
    client_secret: str | None = None  # Stripe's Payment Element in setup mode
    publishable_key: str | None = None
    redirect_url: str | None = None  # the local fake's setup page
    return_url: str  # where the browser comes back to (Stripe.js's confirmSetup too)


class MethodOnFile(msgspec.Struct, frozen=True, kw_only=True):
    """The method on file as the customer sees it: brand or bank, last digits, never more."""

    id: int
    kind: MethodKind
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None
    bank_code: str
    country: str
    mandate_reference: str
    since: datetime
    added_by: str


class SetupView(msgspec.Struct, frozen=True, kw_only=True):
    """A setup that is not (yet) the method on file: being entered, or not saved."""

    id: int
    kind: MethodKind
    state: SavedMethodState
    failure_code: str
    message: str  # what happened and what to do, in plain words ("" while pending)
    created_at: datetime


class PaymentMethodView(msgspec.Struct, frozen=True, kw_only=True):
    # False: the operator's payment provider keeps no methods on file (invoices are paid by
    # bank transfer; `message` says so).
    offered: bool
    method: MethodOnFile | None
    setup: SetupView | None  # the newest setup, when it is newer than the method
    creditor: str  # whom a SEPA Direct Debit mandate authorises: the operator's legal name
    message: str = ""


class MethodOnFileBrief(msgspec.Struct, frozen=True, kw_only=True):
    """What admin mode shows of a customer's method on file."""

    kind: MethodKind
    brand: str
    bank_code: str
    last4: str
    since: datetime


# -- who, where ----------------------------------------------------------------------------


async def _paying_customer(user: UserRef, language: str) -> int:
    """The user's customer, if the user chooses how it pays
    (`accounts.rules.may_manage_payment_method`)."""
    customer_id = await customer_allowed(user, may_manage_payment_method)
    if customer_id is None:
        raise NotAllowed(
            translator(language).gettext(messages.PAYMENT_METHOD_NOT_YOURS),
            code="payment_method_not_yours",
        )
    return customer_id


async def _offering_account(ctx: Context, operator_id: int) -> int | None:
    """The operator's first active account whose provider keeps methods on file."""
    rows = (
        await PaymentAccount.select(PaymentAccount.id)
        .where((PaymentAccount.operator == operator_id) & PaymentAccount.active.eq(True))
        .order_by(PaymentAccount.id)
    )
    for row in rows:
        try:
            await methods_for(ctx, row["id"])
        except (MethodOnFileNotOffered, ProviderError):  # PayPal; no gateway configured
            continue
        return int(row["id"])
    return None


async def _operator(operator_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await Operator.select(
            Operator.name, Operator.legal_name, Operator.support_phone, Operator.support_email
        )
        .where(Operator.id == operator_id)
        .first()
    )
    assert row is not None  # a logged-in user's operator
    return row


def _not_offered(operator: dict[str, Any], language: str) -> str:
    support = operator["support_phone"] or operator["support_email"]
    return translator(language).gettext(messages.METHOD_ON_FILE_NOT_OFFERED).format(support=support)


async def _lock_customer(customer_id: int) -> None:
    """Inside a transaction: changes of one customer's methods happen one after the other
    (PostgreSQL holds the row lock until the commit; SQLite writes one at a time)."""
    await Customer.raw("UPDATE customers SET updated_at = updated_at WHERE id = {}", customer_id)


# -- setting one up ------------------------------------------------------------------------


def setup_reference(setup_id: int) -> str:
    return f"{SETUP_PREFIX}:{setup_id}"


async def start_setup(
    ctx: Context,
    user: UserRef,
    request: SetupStart,
    *,
    client_ip: str,
    user_agent: str,
    language: str,
) -> SetupStep:
    """The customer chose to add (or replace) a card or a bank account: record the setup,
    ask the provider for it, hand back what the browser needs."""
    customer_id = await _paying_customer(user, language)
    t = translator(language)
    if request.kind is MethodKind.SEPA_DEBIT and not request.mandate_accepted:
        raise InvalidInput(t.gettext(messages.MANDATE_NOT_ACCEPTED), code="mandate_not_accepted")
    existing = (
        await SavedPaymentMethod.select(SavedPaymentMethod.id)
        .where(
            (SavedPaymentMethod.customer == customer_id)
            & (SavedPaymentMethod.client_key == request.client_key)
        )
        .first()
    )
    if existing is not None:
        return await _resume(ctx, int(existing["id"]), language)
    account_id = await _offering_account(ctx, user.operator_id)
    if account_id is None:
        raise MethodOnFileNotOffered(_not_offered(await _operator(user.operator_id), language))
    provider_customer_id = await _provider_customer(
        ctx, user.operator_id, customer_id, account_id, language
    )
    now = ctx.clock.now()
    sepa = request.kind is MethodKind.SEPA_DEBIT
    async with database.transaction():
        rows = await SavedPaymentMethod.insert(
            SavedPaymentMethod(
                operator=user.operator_id,
                customer=customer_id,
                account=account_id,
                provider_customer=provider_customer_id,
                state=SavedMethodState.PENDING,
                kind=request.kind,
                client_key=request.client_key,
                mandate_ip=client_ip[:100] if sepa else "",
                mandate_user_agent=user_agent[:500] if sepa else "",
                mandate_accepted_at=now if sepa else None,
                added_by=user.user_id,
                created_at=now,
                updated_at=now,
                next_check_at=now + rules.SETUP_CHECK_EVERY,
            )
        ).returning(SavedPaymentMethod.id)
    return await _resume(ctx, int(rows[0]["id"]), language)


async def _provider_customer(
    ctx: Context, operator_id: int, customer_id: int, account_id: int, language: str
) -> int:
    """Our customer's customer at the account, made there once (record → commit → ask →
    record; the idempotency key makes a repeated ask answer the same customer)."""
    now = ctx.clock.now()
    async with database.transaction():
        await _lock_customer(customer_id)
        row = (
            await ProviderCustomer.select(ProviderCustomer.id, ProviderCustomer.provider_ref)
            .where(
                (ProviderCustomer.customer == customer_id)
                & (ProviderCustomer.account == account_id)
            )
            .first()
        )
        if row is None:
            inserted = await ProviderCustomer.insert(
                ProviderCustomer(
                    operator=operator_id,
                    customer=customer_id,
                    account=account_id,
                    created_at=now,
                    updated_at=now,
                )
            ).returning(ProviderCustomer.id)
            row = {"id": inserted[0]["id"], "provider_ref": ""}
    if row["provider_ref"]:
        return int(row["id"])
    customer = (
        await Customer.select(Customer.name, Customer.email)
        .where(Customer.id == customer_id)
        .first()
    )
    assert customer is not None
    methods = await methods_for(ctx, account_id)
    try:
        provider_ref = await methods.ensure_customer(
            CustomerRequest(
                reference=f"customer:{customer_id}",
                name=customer["name"],
                email=customer["email"],
                idempotency_key=f"customer:{row['id']}",
            )
        )
    except ProviderError as error:
        log.warning("making customer %s at account %s failed: %s", customer_id, account_id, error)
        raise _unavailable(language) from error
    async with database.transaction():
        await ProviderCustomer.update(
            {ProviderCustomer.provider_ref: provider_ref, ProviderCustomer.updated_at: now}
        ).where((ProviderCustomer.id == row["id"]) & (ProviderCustomer.provider_ref == ""))
    return int(row["id"])


def _unavailable(language: str) -> PaymentProblem:
    return PaymentProblem(translator(language).gettext(messages.SETUP_UNAVAILABLE))


async def _resume(ctx: Context, setup_id: int, language: str) -> SetupStep:
    """Ask the provider for the setup if that has not happened yet (idempotent)."""
    row = await _setup_row(setup_id)
    if not row["setup_ref"] and row["state"] == SavedMethodState.PENDING:
        row = await _ask_for_setup(ctx, row, language)
    public = database.from_json_column(row["account.public_config"], dict[str, str])
    return SetupStep(
        setup_id=row["id"],
        kind=MethodKind(row["kind"]),
        state=SavedMethodState(row["state"]),
        client_secret=row["client_secret"] or None,
        publishable_key=public.get("publishable_key"),
        redirect_url=row["redirect_url"] or None,
        return_url=_return_url(ctx, row["id"]),
    )


def _return_url(ctx: Context, setup_id: int) -> str:
    return f"{ctx.settings.base_url}/account/payment?setup={setup_id}"


async def _ask_for_setup(ctx: Context, row: dict[str, Any], language: str) -> dict[str, Any]:
    mandate = None
    if row["mandate_accepted_at"] is not None:
        mandate = MandateAcceptance(
            ip_address=row["mandate_ip"],
            user_agent=row["mandate_user_agent"],
            accepted_at=row["mandate_accepted_at"],
        )
    methods = await methods_for(ctx, row["account"])
    try:
        started = await methods.start_setup(
            SetupRequest(
                customer_ref=row["provider_customer.provider_ref"],
                kind=MethodKind(row["kind"]),
                reference=setup_reference(row["id"]),
                return_url=_return_url(ctx, row["id"]),
                idempotency_key=setup_reference(row["id"]),
                mandate=mandate,
            )
        )
    except ProviderError as error:
        log.warning("starting setup %s failed: %s", row["id"], error)
        if not error.retryable:
            await _record_failure(ctx, row, error.code, str(error))
        raise _unavailable(language) from error
    async with database.transaction():
        await SavedPaymentMethod.update(
            {
                SavedPaymentMethod.setup_ref: started.setup_ref,
                SavedPaymentMethod.client_secret: started.client_secret or "",
                SavedPaymentMethod.redirect_url: started.redirect_url or "",
                SavedPaymentMethod.updated_at: ctx.clock.now(),
            }
        ).where((SavedPaymentMethod.id == row["id"]) & (SavedPaymentMethod.setup_ref == ""))
    return await _setup_row(row["id"])


async def _record_failure(ctx: Context, row: dict[str, Any], code: str, message: str) -> None:
    async with database.transaction():
        await SavedPaymentMethod.update(
            {
                SavedPaymentMethod.state: SavedMethodState.FAILED,
                SavedPaymentMethod.failure_code: code[:64],
                SavedPaymentMethod.failure_message: message[:1000],
                SavedPaymentMethod.next_check_at: None,
                SavedPaymentMethod.updated_at: ctx.clock.now(),
            }
        ).where((SavedPaymentMethod.id == row["id"]) & SavedPaymentMethod.state.is_in(list(_OPEN)))


async def _setup_row(setup_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await SavedPaymentMethod.select(
            *SavedPaymentMethod.all_columns(),
            SavedPaymentMethod.account._.public_config,
            SavedPaymentMethod.provider_customer._.provider_ref,
        )
        .where(SavedPaymentMethod.id == setup_id)
        .first()
    )
    if row is None:
        raise NotFound("no such setup", code="setup_not_found")
    return row


# -- finishing it: the browser came back, or the webhook came ------------------------------


async def confirm_setup(
    ctx: Context, user: UserRef, setup_id: int, language: str
) -> PaymentMethodView:
    """The customer is back from entering the method: ask the provider (never trust the
    browser) and show what became of it."""
    customer_id = await _paying_customer(user, language)
    owner = (
        await SavedPaymentMethod.select(SavedPaymentMethod.customer)
        .where(
            (SavedPaymentMethod.id == setup_id) & (SavedPaymentMethod.operator == user.operator_id)
        )
        .first()
    )
    if owner is None or owner["customer"] != customer_id:
        raise NotFound(
            translator(language).gettext(messages.SETUP_NOT_FOUND), code="setup_not_found"
        )
    await finish_setup(ctx, setup_id)
    return await my_payment_method(ctx, user, language)


async def finish_setup(ctx: Context, setup_id: int) -> None:
    """Record the provider's answer about a setup (idempotent: a second call, or the
    webhook after the browser, changes nothing that is done)."""
    row = await _setup_row(setup_id)
    if row["state"] not in _OPEN or not row["setup_ref"]:
        return
    try:
        methods = await methods_for(ctx, row["account"])
        status = await methods.setup_status(row["setup_ref"])
    except ProviderError as error:
        log.warning("asking about setup %s failed: %s", setup_id, error)
        return  # the sweeper asks again
    await _record_setup(ctx, row, status)


async def _record_setup(ctx: Context, row: dict[str, Any], status: SetupStatus) -> None:
    now = ctx.clock.now()
    replaced: list[int] = []
    async with database.transaction():
        await _lock_customer(row["customer"])
        current = (
            await SavedPaymentMethod.select(SavedPaymentMethod.state)
            .where(SavedPaymentMethod.id == row["id"])
            .first()
        )
        if current is None or current["state"] not in _OPEN:
            return
        if status.state is SetupState.SUCCEEDED and status.method is not None:
            # The one before goes first: at most one method is active (a unique index).
            replaced = [
                int(other["id"])
                for other in await SavedPaymentMethod.update(
                    {
                        SavedPaymentMethod.state: SavedMethodState.REMOVED,
                        SavedPaymentMethod.removed_at: now,
                        SavedPaymentMethod.next_detach_at: now,
                        SavedPaymentMethod.updated_at: now,
                    }
                )
                .where(
                    (SavedPaymentMethod.customer == row["customer"])
                    & (SavedPaymentMethod.state == SavedMethodState.ACTIVE)
                    & (SavedPaymentMethod.id != row["id"])
                )
                .returning(SavedPaymentMethod.id)
            ]
            await SavedPaymentMethod.update(
                {**_method_columns(status.method), **_activation(now)}
            ).where(SavedPaymentMethod.id == row["id"])
        elif status.state in {SetupState.FAILED, SetupState.CANCELLED}:
            cancelled = status.state is SetupState.CANCELLED
            await SavedPaymentMethod.update(
                {
                    SavedPaymentMethod.state: SavedMethodState.FAILED,
                    SavedPaymentMethod.failure_code: (
                        rules.SETUP_CANCELLED if cancelled else status.failure_code or "failed"
                    )[:64],
                    SavedPaymentMethod.failure_message: status.failure_message[:1000],
                    # A declined card may be followed by another on the same page.
                    SavedPaymentMethod.next_check_at: None
                    if cancelled
                    else now + rules.SETUP_CHECK_EVERY,
                    SavedPaymentMethod.updated_at: now,
                }
            ).where(SavedPaymentMethod.id == row["id"])
        else:
            await SavedPaymentMethod.update(
                {SavedPaymentMethod.next_check_at: now + rules.SETUP_CHECK_EVERY}
            ).where(SavedPaymentMethod.id == row["id"])
    if replaced:
        log.info("method %s replaces %s of customer %s", row["id"], replaced, row["customer"])
    for method_id in replaced:
        await _detach(ctx, method_id)


def _method_columns(method: SavedMethod) -> dict[Any, Any]:
    return {
        SavedPaymentMethod.method_ref: method.method_ref,
        SavedPaymentMethod.brand: method.brand[:20],
        SavedPaymentMethod.last4: method.last4[-4:],
        SavedPaymentMethod.exp_month: method.exp_month,
        SavedPaymentMethod.exp_year: method.exp_year,
        SavedPaymentMethod.bank_code: method.bank_code[:20],
        SavedPaymentMethod.country: method.country[:2],
        SavedPaymentMethod.mandate_ref: method.mandate_ref[:100],
        SavedPaymentMethod.mandate_reference: method.mandate_reference[:64],
    }


def _activation(now: datetime) -> dict[Any, Any]:
    return {
        SavedPaymentMethod.state: SavedMethodState.ACTIVE,
        SavedPaymentMethod.activated_at: now,
        SavedPaymentMethod.failure_code: "",
        SavedPaymentMethod.failure_message: "",
        SavedPaymentMethod.next_check_at: None,
        SavedPaymentMethod.updated_at: now,
    }


def id_in_reference(reference: str | None, prefix: str) -> int | None:
    """Our id in a reference like "setup:7" (None for another prefix or garbage)."""
    head, _, number = (reference or "").partition(":")
    return int(number) if head == prefix and number.isdigit() else None


async def on_setup_event(ctx: Context, account_id: int, event: ProviderEvent) -> None:
    """A setup's webhook: find the setup (our reference, else the provider's id) and ask
    the provider what became of it."""
    setup_id = id_in_reference(event.reference, SETUP_PREFIX)
    if setup_id is not None:
        condition: Any = SavedPaymentMethod.id == setup_id
    elif event.provider_ref:
        condition = SavedPaymentMethod.setup_ref == event.provider_ref
    else:
        return
    row = (
        await SavedPaymentMethod.select(SavedPaymentMethod.id)
        .where(condition & (SavedPaymentMethod.account == account_id))
        .first()
    )
    if row is None:
        log.info("webhook %s for an unknown setup (%s)", event.kind, event.reference)
        return
    await finish_setup(ctx, int(row["id"]))


# -- the method on file ------------------------------------------------------------------


async def my_payment_method(ctx: Context, user: UserRef, language: str) -> PaymentMethodView:
    customer_id = await _paying_customer(user, language)
    operator = await _operator(user.operator_id)
    t = translator(language)
    offered = await _offering_account(ctx, user.operator_id) is not None
    newest = (
        await SavedPaymentMethod.select(
            *SavedPaymentMethod.all_columns(), SavedPaymentMethod.added_by._.display_name
        )
        .where(
            (SavedPaymentMethod.customer == customer_id)
            & (SavedPaymentMethod.operator == user.operator_id)
            & (SavedPaymentMethod.state != SavedMethodState.REMOVED)
        )
        .order_by(SavedPaymentMethod.id, ascending=False)
    )
    active = next((row for row in newest if row["state"] == SavedMethodState.ACTIVE), None)
    setup = None
    if newest and newest[0]["state"] in _OPEN and newest[0] is not active:
        row = newest[0]
        failed = row["state"] == SavedMethodState.FAILED
        setup = SetupView(
            id=row["id"],
            kind=MethodKind(row["kind"]),
            state=SavedMethodState(row["state"]),
            failure_code=row["failure_code"],
            message=t.gettext(rules.setup_failure_message(row["failure_code"])) if failed else "",
            created_at=row["created_at"],
        )
    return PaymentMethodView(
        offered=offered,
        method=_method_view(active) if active is not None else None,
        setup=setup,
        creditor=operator["legal_name"] or operator["name"],
        message="" if offered else _not_offered(operator, language),
    )


def _method_view(row: dict[str, Any]) -> MethodOnFile:
    return MethodOnFile(
        id=row["id"],
        kind=MethodKind(row["kind"]),
        brand=row["brand"],
        last4=row["last4"],
        exp_month=row["exp_month"],
        exp_year=row["exp_year"],
        bank_code=row["bank_code"],
        country=row["country"],
        mandate_reference=row["mandate_reference"],
        since=row["activated_at"],
        added_by=row["added_by.display_name"] or "",
    )


async def remove_method(
    ctx: Context, user: UserRef, method_id: int, language: str
) -> PaymentMethodView:
    """The customer removes the method on file: invoices are paid by bank transfer again."""
    customer_id = await _paying_customer(user, language)
    now = ctx.clock.now()
    async with database.transaction():
        await _lock_customer(customer_id)
        removed = (
            await SavedPaymentMethod.update(
                {
                    SavedPaymentMethod.state: SavedMethodState.REMOVED,
                    SavedPaymentMethod.removed_at: now,
                    SavedPaymentMethod.next_detach_at: now,
                    SavedPaymentMethod.updated_at: now,
                }
            )
            .where(
                (SavedPaymentMethod.id == method_id)
                & (SavedPaymentMethod.customer == customer_id)
                & (SavedPaymentMethod.operator == user.operator_id)
                & (SavedPaymentMethod.state == SavedMethodState.ACTIVE)
            )
            .returning(SavedPaymentMethod.id)
        )
    if not removed:
        raise NotFound(
            translator(language).gettext(messages.SETUP_NOT_FOUND),
            code="payment_method_not_found",
        )
    await _detach(ctx, method_id)
    return await my_payment_method(ctx, user, language)


async def _detach(ctx: Context, method_id: int) -> None:
    """A removed or replaced method can no longer be charged at the provider (retried by
    the sweeper until it is done)."""
    row = (
        await SavedPaymentMethod.select(
            SavedPaymentMethod.account,
            SavedPaymentMethod.method_ref,
            SavedPaymentMethod.detach_attempts,
        )
        .where(
            (SavedPaymentMethod.id == method_id)
            & (SavedPaymentMethod.state == SavedMethodState.REMOVED)
            & SavedPaymentMethod.detached_at.is_null()
        )
        .first()
    )
    if row is None:
        return
    now = ctx.clock.now()
    try:
        if row["method_ref"]:
            methods = await methods_for(ctx, row["account"])
            await methods.detach(row["method_ref"], f"detach:{method_id}")
    except ProviderError as error:
        attempts = int(row["detach_attempts"]) + 1
        log.warning("detaching method %s failed (attempt %d): %s", method_id, attempts, error)
        async with database.transaction():
            await SavedPaymentMethod.update(
                {
                    SavedPaymentMethod.detach_attempts: attempts,
                    SavedPaymentMethod.next_detach_at: rules.next_attempt_at(attempts, now),
                    SavedPaymentMethod.last_error: f"{error.code}: {error}"[:1000],
                }
            ).where(SavedPaymentMethod.id == method_id)
        return
    async with database.transaction():
        await SavedPaymentMethod.update(
            {SavedPaymentMethod.detached_at: now, SavedPaymentMethod.next_detach_at: None}
        ).where(SavedPaymentMethod.id == method_id)


async def active_method(customer_id: int) -> dict[str, Any] | None:
    """The customer's method on file (the row), for charges."""
    row: dict[str, Any] | None = (
        await SavedPaymentMethod.select(
            *SavedPaymentMethod.all_columns(),
            SavedPaymentMethod.provider_customer._.provider_ref,
        )
        .where(
            (SavedPaymentMethod.customer == customer_id)
            & (SavedPaymentMethod.state == SavedMethodState.ACTIVE)
        )
        .first()
    )
    return row


async def brief(operator_id: int, customer_id: int) -> MethodOnFileBrief | None:
    """Admin mode's line about a customer's method on file (kind, brand or bank, last
    digits, since when)."""
    row = (
        await SavedPaymentMethod.select(
            SavedPaymentMethod.kind,
            SavedPaymentMethod.brand,
            SavedPaymentMethod.bank_code,
            SavedPaymentMethod.last4,
            SavedPaymentMethod.activated_at,
        )
        .where(
            (SavedPaymentMethod.customer == customer_id)
            & (SavedPaymentMethod.operator == operator_id)
            & (SavedPaymentMethod.state == SavedMethodState.ACTIVE)
        )
        .first()
    )
    if row is None:
        return None
    return MethodOnFileBrief(
        kind=MethodKind(row["kind"]),
        brand=row["brand"],
        bank_code=row["bank_code"],
        last4=row["last4"],
        since=row["activated_at"],
    )


# -- what a crash or a lost webhook left ---------------------------------------------------


async def sweep(ctx: Context) -> None:
    """Finish setups a lost webhook left pending, give up on abandoned ones, retry
    detaches at the provider."""
    now = ctx.clock.now()
    due = await SavedPaymentMethod.select(
        SavedPaymentMethod.id, SavedPaymentMethod.setup_ref, SavedPaymentMethod.created_at
    ).where(
        SavedPaymentMethod.state.is_in(list(_OPEN))
        & SavedPaymentMethod.next_check_at.is_not_null()
        & (SavedPaymentMethod.next_check_at <= now)
    )
    for row in due:
        if not row["setup_ref"]:
            if row["created_at"] < now - rules.SETUP_NOT_STARTED_AFTER:
                await _give_up(ctx, row["id"], rules.SETUP_NOT_STARTED)
            continue
        await finish_setup(ctx, row["id"])
        if row["created_at"] < now - rules.SETUP_ABANDONED_AFTER:
            await _give_up(ctx, row["id"], rules.SETUP_ABANDONED)
    detaches = await SavedPaymentMethod.select(SavedPaymentMethod.id).where(
        (SavedPaymentMethod.state == SavedMethodState.REMOVED)
        & SavedPaymentMethod.detached_at.is_null()
        & SavedPaymentMethod.next_detach_at.is_not_null()
        & (SavedPaymentMethod.next_detach_at <= now)
    )
    for row in detaches:
        await _detach(ctx, row["id"])


async def _give_up(ctx: Context, setup_id: int, code: str) -> None:
    async with database.transaction():
        await SavedPaymentMethod.update(
            {
                SavedPaymentMethod.state: SavedMethodState.FAILED,
                SavedPaymentMethod.failure_code: code,
                SavedPaymentMethod.next_check_at: None,
                SavedPaymentMethod.updated_at: ctx.clock.now(),
            }
        ).where((SavedPaymentMethod.id == setup_id) & SavedPaymentMethod.state.is_in(list(_OPEN)))
