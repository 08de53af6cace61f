"""The customer's own cards and app tokens in the app: those the user may see (the rule of
sessions, `rules.may_see_token`), when each was used last, and blocking a lost one at once.

Blocking is the operator's block (`cpo.tokens.cards.change_blocking`): refused at the next
Authorize, pushed to every station, in the audit log with the user as the actor. A customer
lifts only a block a customer made; a card the operator blocked says to call support.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Max

from cpo import database, messages
from cpo.accounts import rules
from cpo.accounts.charging import ContractCustomer, customer_of
from cpo.accounts.enums import CustomerKind, Role
from cpo.accounts.service import UserRef
from cpo.audit.service import customer_actor
from cpo.context import Context
from cpo.errors import Conflict, NotAllowed, NotFound
from cpo.i18n import Translator, negotiate, translator
from cpo.sessions.tables import ChargingSession
from cpo.tokens import cards
from cpo.tokens.enums import BlockedBy, TokenStatus, TokenType
from cpo.tokens.tables import IdToken


class MyCard(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    uid: str
    type: TokenType
    label: str
    status: TokenStatus
    holder_id: int | None
    holder_name: str
    cost_centre: str
    expires_at: datetime | None
    last_used_at: datetime | None
    blocked_at: datetime | None
    # Who blocked it, while it is blocked: the operator, or the customer in the app.
    blocked_by: BlockedBy | None
    may_block: bool
    may_unblock: bool
    # In plain words, when there is something to say: why the user cannot unblock it.
    note: str


def visible_tokens(user: UserRef, customer: ContractCustomer) -> Any:
    """The SQL form of `rules.may_see_token` on tokens (checked again on every row)."""
    condition = (
        (IdToken.operator == user.operator_id)
        & (IdToken.customer == customer.id)
        & IdToken.type.is_in(list(cards.CARD_TYPES))
    )
    if user.role is Role.DRIVER:
        holds = IdToken.holder == user.user_id
        if customer.kind is CustomerKind.PERSON:
            condition &= holds | IdToken.holder.is_null()
        else:
            condition &= holds
    return condition


def may_see(user: UserRef, customer: ContractCustomer, token_customer: Any, holder: Any) -> bool:
    return rules.may_see_token(
        role=user.role,
        user_id=user.user_id,
        customer_id=customer.id,
        customer_kind=customer.kind,
        token_customer_id=token_customer,
        token_holder_id=holder,
    )


async def last_uses(token_ids: list[int]) -> dict[int, datetime | None]:
    """When each token last started a session."""
    if not token_ids:
        return {}
    rows = (
        await ChargingSession.select(
            ChargingSession.id_token, Max(ChargingSession.started_at, alias="last")
        )
        .where(ChargingSession.id_token.is_in(token_ids))
        .group_by(ChargingSession.id_token)
    )
    return {row["id_token"]: database.aggregated_moment(row["last"]) for row in rows}


def _note(card: cards.CardView, customer: ContractCustomer, t: Translator) -> str:
    if card.blocked_by is BlockedBy.OPERATOR:
        return t.gettext(messages.CARD_BLOCKED_BY_OPERATOR).format(support=customer.support)
    if card.status is TokenStatus.EXPIRED:
        return t.gettext(messages.CARD_EXPIRED).format(support=customer.support)
    return ""


def _mine(card: cards.CardView, customer: ContractCustomer, last_used: datetime | None) -> Any:
    return {
        "id": card.id,
        "uid": card.uid,
        "type": card.type,
        "label": card.label,
        "status": card.status,
        "holder_id": card.holder_id,
        "holder_name": card.holder_name or "",
        "cost_centre": card.cost_centre,
        "expires_at": card.expires_at,
        "last_used_at": last_used,
        "blocked_at": card.blocked_at,
        "blocked_by": card.blocked_by,
        "may_block": card.status is TokenStatus.ACTIVE,
        "may_unblock": card.blocked_by is BlockedBy.CUSTOMER,
    }


async def visible_cards(user: UserRef, customer: ContractCustomer) -> list[cards.CardView]:
    rows = (
        await IdToken.select(IdToken.id, IdToken.customer, IdToken.holder)
        .where(visible_tokens(user, customer))
        .order_by(IdToken.type)
        .order_by(IdToken.label)
        .order_by(IdToken.id)
    )
    shown = [row["id"] for row in rows if may_see(user, customer, row["customer"], row["holder"])]
    views = await cards.cards_by_id(user.operator_id, shown)
    return [views[card_id] for card_id in shown if card_id in views]


async def my_cards(user: UserRef, language: str) -> list[MyCard]:
    """The cards and app tokens the user may see, app tokens first."""
    t = translator(negotiate(None, language))
    customer = await customer_of(user, t)
    shown = await visible_cards(user, customer)
    used = await last_uses([card.id for card in shown])
    return [
        MyCard(**_mine(card, customer, used.get(card.id)), note=_note(card, customer, t))
        for card in shown
    ]


async def _my_card(user: UserRef, customer: ContractCustomer, card_id: int, t: Translator) -> None:
    """NotFound unless the user may see the card (another's is not told apart from none)."""
    row = (
        await IdToken.select(IdToken.customer, IdToken.holder)
        .where(visible_tokens(user, customer) & (IdToken.id == card_id))
        .first()
    )
    if row is None or not may_see(user, customer, row["customer"], row["holder"]):
        raise NotFound(t.gettext(messages.CARD_NOT_FOUND), code="card_not_found")


async def set_my_card_blocked(
    ctx: Context, user: UserRef, card_id: int, blocked: bool, language: str
) -> MyCard:
    """Block one of the user's cards at once (a lost card), or lift the user's own block."""
    t = translator(negotiate(None, language))
    customer = await customer_of(user, t)
    await _my_card(user, customer, card_id, t)

    def check(card: cards.CardView) -> None:
        if blocked:
            return
        if card.blocked_by is BlockedBy.OPERATOR:
            raise NotAllowed(_note(card, customer, t), code="blocked_by_operator")
        if card.status is TokenStatus.EXPIRED:
            raise Conflict(_note(card, customer, t), code="card_expired")

    after = await cards.change_blocking(
        ctx, customer_actor(user), card_id, blocked, by=BlockedBy.CUSTOMER, check=check
    )
    used = await last_uses([card_id])
    return MyCard(**_mine(after, customer, used.get(card_id)), note=_note(after, customer, t))
