"""Charging under the customer's contract from the phone: the price for this customer,
start with the user's app token, the customer's sessions (app and cards alike), stop.

Nothing here pays: the session is billed through the contract. Every query is scoped to the
user's operator and customer; another tenant's charge point or session is "not found".
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import msgspec

from cpo import messages
from cpo.accounts import rules
from cpo.accounts.enums import CustomerKind, Role
from cpo.accounts.service import UserRef, app_token, require_role
from cpo.accounts.tables import Customer
from cpo.cdrs.service import cdr_of_session
from cpo.context import Context
from cpo.errors import (
    ChargerError,
    ChargerTimeout,
    ChargerUnavailable,
    Conflict,
    NotAllowed,
    NotFound,
)
from cpo.i18n import Translator, negotiate, translator
from cpo.operators.tables import Operator
from cpo.sessions.enums import SessionState
from cpo.sessions.live import live_session
from cpo.sessions.tables import ChargingSession
from cpo.stations import commands as cmd
from cpo.stations.public import MAX_EVSE_ID_LENGTH, Availability, evse_for_driver
from cpo.stations.rules import compact_evse_id
from cpo.stations.tables import Evse
from cpo.tariffs.display import PriceCard, price_card
from cpo.tariffs.service import tariff_for_session
from cpo.tokens.enums import TokenStatus, TokenType

MAX_SESSIONS_PAGE = 100


class ContractPrice(msgspec.Struct, frozen=True, kw_only=True):
    """What charging here costs this customer: the contract tariff where the customer's group
    has one, else the charge point's usual tariff."""

    evse_id: str
    tariff_name: str
    price: PriceCard | None


class ContractStart(msgspec.Struct, frozen=True, kw_only=True):
    evse_id: str
    message: str


class Via(StrEnum):
    APP = "app"
    CARD = "card"


class MySession(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    state: SessionState
    evse_id: str
    station_name: str
    started_at: datetime | None
    stopped_at: datetime | None
    energy_wh: int
    energy: str
    duration_s: int
    power_w: float | None
    # From the charge detail record once the session is billed (`final`), else so far.
    cost_minor: int | None
    currency: str | None
    cost: str | None
    final: bool
    via: Via
    token_label: str
    tariff_name: str
    cdr_number: str | None
    # The receipt is at /r/{receipt_token}.
    receipt_token: str | None


class ContractCustomer(msgspec.Struct, frozen=True):
    """The customer a user charges for, and how to reach the operator's support."""

    id: int
    kind: CustomerKind
    customer_group: str | None
    support: str


async def customer_of(user: UserRef, t: Translator) -> ContractCustomer:
    """The user's contract customer; NotAllowed (in plain words) for anyone without one."""
    require_role(user, rules.CHARGING_ROLES, t.language)
    operator = (
        await Operator.select(Operator.support_phone, Operator.support_email)
        .where(Operator.id == user.operator_id)
        .first()
    )
    assert operator is not None
    support = str(operator["support_phone"] or operator["support_email"])
    row = (
        await Customer.select(Customer.id, Customer.kind, Customer.customer_group)
        .where((Customer.id == user.customer_id) & (Customer.operator == user.operator_id))
        .first()
        if user.customer_id is not None
        else None
    )
    if row is None:
        raise NotAllowed(
            t.gettext(messages.NO_CHARGING_CONTRACT).format(support=support), code="no_contract"
        )
    return ContractCustomer(row["id"], CustomerKind(row["kind"]), row["customer_group"], support)


async def _own_evse(user: UserRef, evse_id: str, t: Translator) -> dict[str, Any]:
    """The EVSE if it is one of the user's operator's; others do not exist for the user."""
    row: dict[str, Any] | None = None
    if evse_id and len(evse_id) <= MAX_EVSE_ID_LENGTH:
        row = (
            await Evse.select(
                Evse.id,
                Evse.evse_id,
                Evse.ocpp_connector_id,
                Evse.station.identity,
            )
            .where(
                (Evse.evse_id_compact == compact_evse_id(evse_id))
                & (Evse.station.operator == user.operator_id)
            )
            .first()
        )
    if row is None:
        raise NotFound(t.gettext(messages.CHARGE_POINT_NOT_FOUND), code="evse_not_found")
    return row


async def contract_price(ctx: Context, user: UserRef, evse_id: str, language: str) -> ContractPrice:
    t = translator(negotiate(None, language))
    customer = await customer_of(user, t)
    evse = await _own_evse(user, evse_id, t)
    tariff = await tariff_for_session(
        user.operator_id,
        evse_pk=evse["id"],
        customer_group=customer.customer_group,
        at=ctx.clock.now(),
    )
    return ContractPrice(
        evse_id=evse["evse_id"],
        tariff_name=tariff.name if tariff else "",
        price=price_card(tariff.definition, t.language) if tariff else None,
    )


async def start_charging(ctx: Context, user: UserRef, evse_id: str, language: str) -> ContractStart:
    """Start the charge point with the user's app token (RemoteStart). The session shows in
    `my_sessions` once the charge point reports the start."""
    t = translator(negotiate(None, language))
    customer = await customer_of(user, t)
    ended_on = await _contract_ended_on(customer.id, ctx.clock.now())
    if ended_on is not None:
        raise NotAllowed(
            t.gettext(messages.CONTRACT_ENDED).format(
                date=t.date(ended_on), support=customer.support
            ),
            code="contract_ended",
        )
    evse = await _own_evse(user, evse_id, t)
    shown = await evse_for_driver(ctx, evse["evse_id"], t.language)
    if shown.availability is not Availability.AVAILABLE:
        raise Conflict(shown.availability_message, code=f"evse_{shown.availability.value}")
    token = await app_token(ctx, user)
    expires_at = token["expires_at"]
    now = ctx.clock.now()
    if token["status"] != TokenStatus.ACTIVE or (expires_at is not None and expires_at <= now):
        raise NotAllowed(
            t.gettext(messages.NO_CHARGING_CONTRACT).format(support=customer.support),
            code="contract_blocked",
        )
    if await ChargingSession.exists().where(
        (ChargingSession.id_token == token["id"]) & (ChargingSession.state == SessionState.ACTIVE)
    ):
        raise Conflict(t.gettext(messages.ALREADY_CHARGING), code="already_charging")
    offline = t.gettext(messages.CHARGE_POINT_OFFLINE).format(support=customer.support)
    try:
        result = await cmd.send_command(
            ctx,
            evse["station.identity"],
            cmd.RemoteStart(id_tag=token["uid"], connector_id=evse["ocpp_connector_id"]),
        )
    except ChargerUnavailable:
        raise ChargerUnavailable(offline) from None
    except ChargerTimeout:
        raise ChargerTimeout(t.gettext(messages.START_NOT_ACCEPTED)) from None
    except ChargerError:
        raise ChargerError(t.gettext(messages.START_NOT_ACCEPTED)) from None
    if result.status != "Accepted":
        raise Conflict(t.gettext(messages.START_NOT_ACCEPTED), code="start_rejected")
    return ContractStart(evse_id=evse["evse_id"], message=t.gettext(messages.CHARGING_STARTS))


async def _contract_ended_on(customer_id: int, now: datetime) -> date | None:
    row = await Customer.select(Customer.contract_ends_on).where(Customer.id == customer_id).first()
    ends_on: date | None = row["contract_ends_on"] if row else None
    expiry = rules.contract_expiry(ends_on)
    return ends_on if expiry is not None and expiry <= now else None


_SESSION_COLUMNS = (
    ChargingSession.id,
    ChargingSession.state,
    ChargingSession.started_at,
    ChargingSession.stopped_at,
    ChargingSession.ocpp_transaction_id,
    ChargingSession.id_token.type,
    ChargingSession.id_token.label,
    ChargingSession.id_token.customer,
    ChargingSession.id_token.holder,
    ChargingSession.evse.evse_id,
    ChargingSession.station.identity,
    ChargingSession.station.name,
    ChargingSession.tariff.name,
)


def _visible(user: UserRef, customer: ContractCustomer) -> Any:
    """The SQL form of `rules.may_see_token` (which is checked again on every row)."""
    condition = (ChargingSession.operator == user.operator_id) & (
        ChargingSession.id_token._.customer == customer.id
    )
    if user.role is Role.DRIVER:
        holds = ChargingSession.id_token._.holder == user.user_id
        if customer.kind is CustomerKind.PERSON:
            condition &= holds | ChargingSession.id_token._.holder.is_null()
        else:
            condition &= holds
    return condition


def _may_see(user: UserRef, customer: ContractCustomer, row: dict[str, Any]) -> bool:
    return rules.may_see_token(
        role=user.role,
        user_id=user.user_id,
        customer_id=customer.id,
        customer_kind=customer.kind,
        token_customer_id=row["id_token.customer"],
        token_holder_id=row["id_token.holder"],
    )


async def my_sessions(
    ctx: Context,
    user: UserRef,
    language: str,
    *,
    limit: int = 20,
    before: int | None = None,
) -> list[MySession]:
    """The customer's sessions the user may see, newest first (`before`: older than that id)."""
    t = translator(negotiate(None, language))
    customer = await customer_of(user, t)
    condition = _visible(user, customer)
    if before is not None:
        condition &= ChargingSession.id < before
    rows = (
        await ChargingSession.select(*_SESSION_COLUMNS)
        .where(condition)
        .order_by(ChargingSession.id, ascending=False)
        .limit(max(1, min(limit, MAX_SESSIONS_PAGE)))
    )
    return [await _session(ctx, row, t) for row in rows if _may_see(user, customer, row)]


async def stop_my_session(ctx: Context, user: UserRef, session_id: int, language: str) -> MySession:
    """Stop a running session of the customer's (RemoteStop); a finished one is returned."""
    t = translator(negotiate(None, language))
    customer = await customer_of(user, t)
    row = (
        await ChargingSession.select(*_SESSION_COLUMNS)
        .where(_visible(user, customer) & (ChargingSession.id == session_id))
        .first()
    )
    if row is None or not _may_see(user, customer, row):
        raise NotFound(
            t.gettext(messages.SESSION_NOT_FOUND).format(support=customer.support),
            code="session_not_found",
        )
    if row["state"] != SessionState.ACTIVE or row["ocpp_transaction_id"] is None:
        return await _session(ctx, row, t)
    not_confirmed = t.gettext(messages.STOP_NOT_CONFIRMED).format(support=customer.support)
    try:
        result = await cmd.send_command(
            ctx,
            row["station.identity"],
            cmd.RemoteStop(transaction_id=row["ocpp_transaction_id"]),
        )
    except ChargerUnavailable:
        raise ChargerUnavailable(not_confirmed) from None
    except ChargerTimeout:
        raise ChargerTimeout(not_confirmed) from None
    except ChargerError:
        raise ChargerError(not_confirmed) from None
    if result.status != "Accepted":
        raise Conflict(not_confirmed, code="stop_not_confirmed")
    return await _session(ctx, row, t)


async def _session(ctx: Context, row: dict[str, Any], t: Translator) -> MySession:
    session_id = int(row["id"])
    cdr = await cdr_of_session(session_id) if row["state"] == SessionState.COMPLETED else None
    via = Via.APP if row["id_token.type"] == TokenType.APP_USER else Via.CARD
    common: dict[str, Any] = {
        "id": session_id,
        "evse_id": row["evse.evse_id"] or "",
        "station_name": row["station.name"] or row["station.identity"] or "",
        "started_at": row["started_at"],
        "via": via,
        "token_label": row["id_token.label"] or "",
        "tariff_name": row["tariff.name"] or "",
    }
    if cdr is not None:
        return MySession(
            **common,
            state=SessionState.COMPLETED,
            stopped_at=cdr.stopped_at,
            energy_wh=cdr.energy_wh,
            energy=t.energy_kwh(cdr.energy_wh),
            duration_s=cdr.duration_s,
            power_w=None,
            cost_minor=cdr.gross_minor,
            currency=cdr.currency,
            cost=t.money(cdr.gross_minor, cdr.currency),
            final=True,
            cdr_number=cdr.number,
            receipt_token=cdr.receipt_token,
        )
    live = await live_session(ctx, session_id)
    cost = live.cost
    return MySession(
        **common,
        state=live.state,
        stopped_at=live.stopped_at,
        energy_wh=live.energy_wh,
        energy=t.energy_kwh(live.energy_wh),
        duration_s=live.duration_s,
        power_w=live.power_w,
        cost_minor=cost.gross_minor if cost else None,
        currency=cost.currency if cost else None,
        cost=t.money(cost.gross_minor, cost.currency) if cost else None,
        final=False,
        cdr_number=None,
        receipt_token=None,
    )
