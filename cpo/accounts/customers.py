"""Contract customers in admin mode: create and change them, and invite their people
(drivers and fleet managers), who log in from the invitation. Every change is audited."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec

from cpo import database
from cpo.accounts import service as accounts
from cpo.accounts.enums import CustomerKind, Role
from cpo.accounts.rules import CUSTOMER_ROLES, is_plausible_email
from cpo.accounts.tables import Customer, User
from cpo.audit import service as audit
from cpo.billing.tables import Invoice
from cpo.context import Context
from cpo.errors import InvalidInput
from cpo.operators.service import OperatorRef, require_admin
from cpo.payments import saved_methods
from cpo.ports import OutgoingMail
from cpo.tokens import pushes
from cpo.tokens.tables import IdToken


class CustomerChanges(msgspec.Struct, frozen=True, kw_only=True):
    """Fields left out stay as they are; `customer_group` "" clears the group, a contract
    date `null` clears that date."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    email: Annotated[str, msgspec.Meta(max_length=254)] | None = None
    vat_id: Annotated[str, msgspec.Meta(max_length=20)] | None = None
    customer_group: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    street: accounts.Street | None = None
    postal_code: accounts.PostalCode | None = None
    city: accounts.City | None = None
    country_code: accounts.CountryCode | None = None
    payment_terms_days: accounts.PaymentTermsDays | None = None
    contract_starts_on: date | msgspec.UnsetType | None = msgspec.UNSET
    contract_ends_on: date | msgspec.UnsetType | None = msgspec.UNSET


class Invitation(msgspec.Struct, frozen=True, kw_only=True):
    email: Annotated[str, msgspec.Meta(max_length=254)]
    display_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    role: Role = Role.DRIVER
    language: Annotated[str, msgspec.Meta(max_length=5)] = "de"


class CardBrief(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    uid: str
    type: str
    label: str
    status: str


class InvoiceBrief(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    number: str
    period: str
    gross_minor: int
    currency: str
    status: str


class CustomerDetail(msgspec.Struct, frozen=True, kw_only=True):
    customer: accounts.CustomerView
    users: list[accounts.UserView]
    cards: list[CardBrief]
    invoices: list[InvoiceBrief]
    # The card or bank account invoices may be charged to (None: paid by bank transfer).
    payment_method: saved_methods.MethodOnFileBrief | None
    created_at: datetime


async def detail(operator_id: int, customer_id: int) -> CustomerDetail:
    customer = await accounts.get_customer(operator_id, customer_id)
    users = (
        await User.select(User.id)
        .where((User.customer == customer_id) & (User.operator == operator_id))
        .order_by(User.id)
    )
    cards = (
        await IdToken.select(IdToken.id, IdToken.uid, IdToken.type, IdToken.label, IdToken.status)
        .where((IdToken.customer == customer_id) & (IdToken.operator == operator_id))
        .order_by(IdToken.id)
    )
    invoices = (
        await Invoice.select(
            Invoice.id,
            Invoice.number,
            Invoice.period,
            Invoice.gross_minor,
            Invoice.currency,
            Invoice.status,
        )
        .where((Invoice.customer == customer_id) & (Invoice.operator == operator_id))
        .order_by(Invoice.sequence, ascending=False)
    )
    created = await Customer.select(Customer.created_at).where(Customer.id == customer_id).first()
    assert created is not None  # get_customer found it
    return CustomerDetail(
        customer=customer,
        users=[await accounts.get_user(operator_id, row["id"]) for row in users],
        cards=[CardBrief(**row) for row in cards],
        invoices=[InvoiceBrief(**row) for row in invoices],
        payment_method=await saved_methods.brief(operator_id, customer_id),
        created_at=created["created_at"],
    )


async def create(
    ctx: Context, caller: OperatorRef, new: accounts.CustomerInput
) -> accounts.CustomerView:
    require_admin(caller)
    async with database.transaction():
        created = await accounts.create_customer(ctx, caller.operator_id, new)
        await audit.record(
            caller, "customer.create", "customer", created.id, at=ctx.clock.now(), after=created
        )
    return created


async def change(
    ctx: Context, caller: OperatorRef, customer_id: int, changes: CustomerChanges
) -> accounts.CustomerView:
    require_admin(caller)
    if changes.email and not is_plausible_email(changes.email):
        raise InvalidInput("the customer's e-mail address is not valid", code="invalid_email")
    now = ctx.clock.now()
    async with database.transaction():
        before = await accounts.get_customer(caller.operator_id, customer_id)
        values: dict[Any, Any] = {
            column: value.strip()
            for column, value in (
                (Customer.name, changes.name),
                (Customer.email, changes.email),
                (Customer.vat_id, changes.vat_id),
                (Customer.street, changes.street),
                (Customer.postal_code, changes.postal_code),
                (Customer.city, changes.city),
                (Customer.country_code, changes.country_code),
            )
            if value is not None
        }
        if changes.payment_terms_days is not None:
            values[Customer.payment_terms_days] = changes.payment_terms_days
        if values:
            await Customer.update({**values, Customer.updated_at: now}).where(
                (Customer.id == customer_id) & (Customer.operator == caller.operator_id)
            )
        if changes.customer_group is not None:
            # The group selects the contract tariff; the customer's tokens carry it along.
            await accounts.set_customer_group(
                ctx, caller.operator_id, customer_id, changes.customer_group
            )
        expiring: list[int] = []
        term = (
            before.contract_starts_on
            if changes.contract_starts_on is msgspec.UNSET
            else changes.contract_starts_on,
            before.contract_ends_on
            if changes.contract_ends_on is msgspec.UNSET
            else changes.contract_ends_on,
        )
        if term != (before.contract_starts_on, before.contract_ends_on):
            # The end is the expiry of the customer's cards: stations learn it like a block.
            expiring = await accounts.set_contract_term(ctx, caller.operator_id, customer_id, *term)
            for token_id in expiring:
                await pushes.enqueue(caller.operator_id, token_id, "expire", now=now)
        after = await accounts.get_customer(caller.operator_id, customer_id)
        await audit.record(
            caller, "customer.update", "customer", customer_id, at=now, before=before, after=after
        )
    if expiring:
        await pushes.wake(ctx)
    return after


async def invite(
    ctx: Context, caller: OperatorRef, customer_id: int, invitation: Invitation
) -> tuple[accounts.UserView, OutgoingMail]:
    """A driver or fleet manager of the customer; returns the invitation mail to send."""
    require_admin(caller)
    if invitation.role not in CUSTOMER_ROLES:
        raise InvalidInput("a customer's people are drivers or fleet managers", code="invalid_role")
    async with database.transaction():
        customer = await accounts.get_customer(caller.operator_id, customer_id)
        if invitation.role is Role.FLEET_MANAGER and customer.kind is not CustomerKind.COMPANY:
            raise InvalidInput("only companies have fleet managers", code="invalid_role")
        user = await accounts.create_user(
            ctx,
            caller.operator_id,
            accounts.UserInput(
                email=invitation.email,
                display_name=invitation.display_name,
                role=invitation.role,
                language=invitation.language if invitation.language in {"de", "en"} else "de",
                customer_id=customer_id,
            ),
        )
        await audit.record(
            caller, "customer.invite", "customer", customer_id, at=ctx.clock.now(), after=user
        )
        mail = await accounts.invitation(ctx, caller.operator_id, user.id)
    return user, mail
