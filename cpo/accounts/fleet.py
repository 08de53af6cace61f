"""The fleet manager's views of their company: its people and cards (cost centre, label and
holder of each card set here), the month per cost centre, and its sessions as CSV.

A session is booked to the cost centre its card had when it was charged: the charge detail
record keeps a copy (`Cdr.cost_centre`), so moving a card to another cost centre later
changes nothing of the months gone by. Months run in the billing time zone (Europe/Berlin),
as invoices do, by the time the session stopped; corrections (credit and rebill records)
count in the month of the session they correct. Only a company's fleet manager sees any of
this; a driver gets 403, another operator's customer nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo

import msgspec

from cpo import messages
from cpo.accounts.charging import ContractCustomer, customer_of
from cpo.accounts.enums import Role
from cpo.accounts.my_cards import MyCard, my_cards, visible_tokens
from cpo.accounts.service import UserRef, require_role
from cpo.accounts.tables import Customer, User
from cpo.audit.service import customer_actor
from cpo.billing.rules import BILLING_TIME_ZONE, parse_period
from cpo.cdrs.enums import CdrKind
from cpo.cdrs.export import UTF8_BOM, CsvFormatter, CsvVariant
from cpo.cdrs.tables import Cdr
from cpo.context import Context
from cpo.errors import InvalidInput, InvalidPeriod, NotFound
from cpo.i18n import Translator, negotiate, translator
from cpo.money import minor_digits
from cpo.sessions.enums import SessionState
from cpo.sessions.live import live_session
from cpo.sessions.tables import ChargingSession
from cpo.spreadsheets import take
from cpo.tokens import card_csv, cards
from cpo.tokens.enums import TokenType
from cpo.tokens.tables import IdToken

FLEET_ROLES: Final = frozenset({Role.FLEET_MANAGER})
CSV_BATCH: Final = 1000
MAX_CSV_DAYS: Final = 400
CSV_COLUMNS: Final = (
    "record_number",
    "kind",
    "started_at",
    "stopped_at",
    "driver",
    "card_label",
    "card_uid",
    "cost_centre",
    "evse_id",
    "energy_kwh",
    "currency",
    "net",
    "vat",
    "gross",
)

CostCentre = Annotated[str, msgspec.Meta(max_length=card_csv.MAX_COST_CENTRE_LENGTH)]


class HeldToken(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    uid: str
    type: TokenType
    label: str
    status: str


class FleetPerson(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    email: str
    role: Role
    last_login_at: datetime | None
    # The app token and the cards this person holds.
    tokens: list[HeldToken]


class Fleet(msgspec.Struct, frozen=True, kw_only=True):
    customer_name: str
    people: list[FleetPerson]
    cards: list[MyCard]
    # Every cost centre in use on a card, for choosing one.
    cost_centres: list[str]


class FleetCardChange(msgspec.Struct, frozen=True, kw_only=True):
    """Fields left out stay; `cost_centre` "" or null clears it; `holder_id` null hands the
    card back to the company."""

    label: Annotated[str, msgspec.Meta(max_length=card_csv.MAX_LABEL_LENGTH)] | None = None
    cost_centre: CostCentre | msgspec.UnsetType | None = msgspec.UNSET
    holder_id: int | msgspec.UnsetType | None = msgspec.UNSET


class Amount(msgspec.Struct, frozen=True, kw_only=True):
    currency: str
    gross_minor: int
    text: str


class DriverMonth(msgspec.Struct, frozen=True, kw_only=True):
    holder_id: int | None  # None: the company's cards that nobody holds
    name: str
    sessions: int
    energy_wh: int
    cost: list[Amount]


class CostCentreMonth(msgspec.Struct, frozen=True, kw_only=True):
    cost_centre: str  # "" for sessions charged without one
    sessions: int
    energy_wh: int
    energy: str
    cost: list[Amount]
    drivers: list[DriverMonth]


class RunningSession(msgspec.Struct, frozen=True, kw_only=True):
    session_id: int
    started_at: datetime | None
    evse_id: str
    holder_name: str
    token_label: str
    # Where it will be booked if the card's cost centre stays as it is.
    cost_centre: str
    energy_wh: int
    energy: str


class FleetMonth(msgspec.Struct, frozen=True, kw_only=True):
    period: str
    sessions: int
    energy_wh: int
    cost: list[Amount]
    cost_centres: list[CostCentreMonth]
    running: list[RunningSession]


class Booked(msgspec.Struct, frozen=True, kw_only=True):
    """One charge detail record as the month adds it up."""

    kind: CdrKind
    cost_centre: str
    holder_id: int | None
    holder_name: str
    energy_wh: int
    currency: str
    gross_minor: int


# --- who may -----------------------------------------------------------------------------


async def _fleet_customer(user: UserRef, t: Translator) -> ContractCustomer:
    require_role(user, FLEET_ROLES, t.language)
    return await customer_of(user, t)


def _person_name(display_name: str | None, email: str | None) -> str:
    return display_name or email or ""


# --- people and cards --------------------------------------------------------------------


async def fleet(user: UserRef, language: str) -> Fleet:
    t = translator(negotiate(None, language))
    customer = await _fleet_customer(user, t)
    company_cards = await my_cards(user, t.language)
    people = (
        await User.select(
            User.id, User.display_name, User.email, User.role, User.last_login_at, User.customer
        )
        .where(
            (User.operator == user.operator_id)
            & (User.customer == customer.id)
            & User.disabled_at.is_null()
        )
        .order_by(User.display_name)
        .order_by(User.id)
    )
    name = await _customer_name(customer)
    return Fleet(
        customer_name=name,
        people=[
            FleetPerson(
                id=person["id"],
                name=_person_name(person["display_name"], person["email"]),
                email=person["email"],
                role=Role(person["role"]),
                last_login_at=person["last_login_at"],
                tokens=[
                    HeldToken(
                        id=card.id,
                        uid=card.uid,
                        type=card.type,
                        label=card.label,
                        status=card.status,
                    )
                    for card in company_cards
                    if card.holder_id == person["id"]
                ],
            )
            for person in people
        ],
        cards=company_cards,
        cost_centres=sorted({card.cost_centre for card in company_cards if card.cost_centre}),
    )


async def _customer_name(customer: ContractCustomer) -> str:
    row = await Customer.select(Customer.name).where(Customer.id == customer.id).first()
    return "" if row is None else str(row["name"])


async def change_fleet_card(
    ctx: Context, user: UserRef, card_id: int, change: FleetCardChange, language: str
) -> MyCard:
    """The fleet manager sets a card's cost centre, label, or which of the company's people
    holds it; in the audit log with the fleet manager as the actor."""
    t = translator(negotiate(None, language))
    customer = await _fleet_customer(user, t)
    not_found = NotFound(t.gettext(messages.CARD_NOT_FOUND), code="card_not_found")
    if not await IdToken.exists().where(visible_tokens(user, customer) & (IdToken.id == card_id)):
        raise not_found
    if change.holder_id is not msgspec.UNSET and change.holder_id is not None:
        holder = (
            await User.select(User.id)
            .where(
                (User.id == change.holder_id)
                & (User.customer == customer.id)
                & (User.operator == user.operator_id)
            )
            .first()
        )
        if holder is None:
            raise InvalidInput(
                t.gettext(messages.HOLDER_NOT_OF_COMPANY), code="holder_not_of_customer"
            )

    def check(card: cards.CardView) -> None:
        if card.customer_id != customer.id:
            raise not_found
        if change.holder_id is not msgspec.UNSET and card.type is TokenType.APP_USER:
            # An app token is its user's login to charge with; it cannot change hands.
            raise InvalidInput(t.gettext(messages.NOT_PERMITTED), code="app_token_holder")

    await cards.change_card(
        ctx,
        customer_actor(user),
        card_id,
        cards.CardChange(
            label=msgspec.UNSET if change.label is None else change.label,
            cost_centre=change.cost_centre,
            holder_id=change.holder_id,
        ),
        check=check,
    )
    (changed,) = [card for card in await my_cards(user, t.language) if card.id == card_id]
    return changed


# --- the month per cost centre -----------------------------------------------------------


def _amounts(totals: dict[str, int], t: Translator) -> list[Amount]:
    return [
        Amount(currency=currency, gross_minor=minor, text=t.money(minor, currency))
        for currency, minor in sorted(totals.items())
    ]


def signed_energy(record: Booked) -> int:
    """A credit record takes back the energy of the record it cancels."""
    return -record.energy_wh if record.kind is CdrKind.CREDIT else record.energy_wh


def month_by_cost_centre(
    records: Iterable[Booked], t: Translator
) -> tuple[list[CostCentreMonth], int, int, dict[str, int]]:
    """The month's records added up per cost centre and, inside it, per driver: sessions
    (original records only: corrections are not sessions), energy and gross cost per
    currency (credits subtract, rebills add). Also the totals (sessions, Wh, cost)."""
    centres: dict[str, dict[int | None, list[Booked]]] = {}
    names: dict[int | None, str] = {}
    for record in records:
        centres.setdefault(record.cost_centre, {}).setdefault(record.holder_id, []).append(record)
        names[record.holder_id] = record.holder_name
    total_sessions = total_energy = 0
    total_cost: dict[str, int] = {}
    months = []
    for centre in sorted(centres):
        drivers = []
        centre_sessions = centre_energy = 0
        centre_cost: dict[str, int] = {}
        for holder_id, booked in sorted(
            centres[centre].items(), key=lambda item: (names[item[0]] == "", names[item[0]])
        ):
            sessions = sum(1 for record in booked if record.kind is CdrKind.SESSION)
            energy = sum(signed_energy(record) for record in booked)
            cost: dict[str, int] = {}
            for record in booked:
                for totals in (cost, centre_cost, total_cost):
                    totals[record.currency] = totals.get(record.currency, 0) + record.gross_minor
            drivers.append(
                DriverMonth(
                    holder_id=holder_id,
                    name=names[holder_id],
                    sessions=sessions,
                    energy_wh=energy,
                    cost=_amounts(cost, t),
                )
            )
            centre_sessions += sessions
            centre_energy += energy
        months.append(
            CostCentreMonth(
                cost_centre=centre,
                sessions=centre_sessions,
                energy_wh=centre_energy,
                energy=t.energy_kwh(centre_energy),
                cost=_amounts(centre_cost, t),
                drivers=drivers,
            )
        )
        total_sessions += centre_sessions
        total_energy += centre_energy
    return months, total_sessions, total_energy, total_cost


def _of_customer(operator_id: int, customer_id: int) -> Any:
    return (Cdr.operator == operator_id) & (Cdr.session._.id_token._.customer == customer_id)


async def fleet_month(ctx: Context, user: UserRef, period: str, language: str) -> FleetMonth:
    t = translator(negotiate(None, language))
    customer = await _fleet_customer(user, t)
    month = parse_period(period)
    if month is None:
        raise InvalidPeriod("period is a month like 2026-11", code="invalid_period")
    rows = await Cdr.select(
        Cdr.kind,
        Cdr.cost_centre,
        Cdr.energy_wh,
        Cdr.currency,
        Cdr.gross_minor,
        Cdr.session._.id_token._.holder.as_alias("holder_id"),
        Cdr.session._.id_token._.holder._.display_name.as_alias("holder_display_name"),
        Cdr.session._.id_token._.holder._.email.as_alias("holder_email"),
    ).where(
        _of_customer(user.operator_id, customer.id)
        & (Cdr.stopped_at >= month.previous.ends_at)
        & (Cdr.stopped_at < month.ends_at)
    )
    records = [
        Booked(
            kind=CdrKind(row["kind"]),
            cost_centre=row["cost_centre"],
            holder_id=row["holder_id"],
            holder_name=_person_name(row["holder_display_name"], row["holder_email"]),
            energy_wh=row["energy_wh"],
            currency=row["currency"],
            gross_minor=row["gross_minor"],
        )
        for row in rows
    ]
    centres, sessions, energy, cost = month_by_cost_centre(records, t)
    return FleetMonth(
        period=str(month),
        sessions=sessions,
        energy_wh=energy,
        cost=_amounts(cost, t),
        cost_centres=centres,
        running=await _running(ctx, user, customer, t),
    )


async def _running(
    ctx: Context, user: UserRef, customer: ContractCustomer, t: Translator
) -> list[RunningSession]:
    rows = (
        await ChargingSession.select(
            ChargingSession.id,
            ChargingSession.started_at,
            ChargingSession.evse.evse_id,
            ChargingSession.id_token.label,
            ChargingSession.id_token.cost_centre,
            ChargingSession.id_token._.holder._.display_name.as_alias("holder_display_name"),
            ChargingSession.id_token._.holder._.email.as_alias("holder_email"),
        )
        .where(
            (ChargingSession.operator == user.operator_id)
            & (ChargingSession.id_token._.customer == customer.id)
            & (ChargingSession.state == SessionState.ACTIVE)
        )
        .order_by(ChargingSession.id)
    )
    running = []
    for row in rows:
        live = await live_session(ctx, row["id"])
        running.append(
            RunningSession(
                session_id=row["id"],
                started_at=row["started_at"],
                evse_id=row["evse.evse_id"] or "",
                holder_name=_person_name(row["holder_display_name"], row["holder_email"]),
                token_label=row["id_token.label"] or "",
                cost_centre=row["id_token.cost_centre"] or "",
                energy_wh=live.energy_wh,
                energy=t.energy_kwh(live.energy_wh),
            )
        )
    return running


# --- the sessions as CSV -----------------------------------------------------------------


def csv_span(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[date_from, date_to) as instants: days start at midnight in the billing time zone."""
    if date_from >= date_to:
        raise InvalidPeriod("date_from must be before date_to; the period is [date_from, date_to)")
    if (date_to - date_from).days > MAX_CSV_DAYS:
        raise InvalidPeriod(f"at most {MAX_CSV_DAYS} days at a time")

    def midnight(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=BILLING_TIME_ZONE).astimezone(UTC)

    return midnight(date_from), midnight(date_to)


async def fleet_csv(
    user: UserRef, date_from: date, date_to: date, language: str
) -> AsyncIterator[bytes]:
    """Checks who asks and the period first (before a byte is sent), then streams."""
    t = translator(negotiate(None, language))
    customer = await _fleet_customer(user, t)
    starts, ends = csv_span(date_from, date_to)
    return _csv_chunks(user.operator_id, customer.id, starts, ends)


async def _csv_chunks(
    operator_id: int, customer_id: int, starts: datetime, ends: datetime
) -> AsyncIterator[bytes]:
    """One row per charge detail record whose session stopped in [starts, ends), oldest
    first: German Excel's dialect (semicolon, decimal comma, local times, UTF-8 with BOM),
    texts defused. A credit's energy is negative, so that a column's sum is the total."""
    formatter = CsvFormatter(CsvVariant.DE)
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect=formatter.dialect)
    writer.writerow(CSV_COLUMNS)
    yield UTF8_BOM + take(buffer)
    after = 0
    while True:
        rows = (
            await Cdr.select(
                Cdr.id,
                Cdr.number,
                Cdr.kind,
                Cdr.started_at,
                Cdr.stopped_at,
                Cdr.time_zone,
                Cdr.cost_centre,
                Cdr.evse_id,
                Cdr.energy_wh,
                Cdr.currency,
                Cdr.net_minor,
                Cdr.vat_minor,
                Cdr.gross_minor,
                Cdr.id_tag,
                Cdr.session._.id_token._.label.as_alias("card_label"),
                Cdr.session._.id_token._.holder._.display_name.as_alias("holder_display_name"),
                Cdr.session._.id_token._.holder._.email.as_alias("holder_email"),
            )
            .where(
                _of_customer(operator_id, customer_id)
                & (Cdr.stopped_at >= starts)
                & (Cdr.stopped_at < ends)
                & (Cdr.id > after)
            )
            .order_by(Cdr.id)
            .limit(CSV_BATCH)
        )
        if not rows:
            return
        writer.writerows(_csv_row(formatter, row) for row in rows)
        yield take(buffer)
        after = rows[-1]["id"]


def _csv_row(formatter: CsvFormatter, row: dict[str, Any]) -> list[str]:
    zone = ZoneInfo(row["time_zone"])
    digits = minor_digits(row["currency"])
    energy = -row["energy_wh"] if row["kind"] == CdrKind.CREDIT else row["energy_wh"]
    text = formatter.text
    return [
        row["number"],
        row["kind"],
        formatter.moment(row["started_at"].astimezone(zone)),
        formatter.moment(row["stopped_at"].astimezone(zone)),
        text(_person_name(row["holder_display_name"], row["holder_email"])),
        text(row["card_label"] or ""),
        text(row["id_tag"]),
        text(row["cost_centre"]),
        text(row["evse_id"]),
        formatter.decimal(energy, 3),
        row["currency"],
        formatter.decimal(row["net_minor"], digits),
        formatter.decimal(row["vat_minor"], digits),
        formatter.decimal(row["gross_minor"], digits),
    ]
