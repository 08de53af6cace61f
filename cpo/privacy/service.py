"""A user's data (GDPR): the copy of everything the platform holds about them, and their
request to be erased, which the operator completes or declines in admin mode.

Erasing removes what may be removed: the login (passkeys, login sessions and links), the
user's name and e-mail address, the app token's link to them (the token is blocked, pushed
to the stations like any block), their e-mail on drivers' reports, and — for a person with
no invoice yet — the customer's name, address and VAT ID. Invoices and charge detail records
stay: German tax law keeps them for 10 years (§ 147 AO, § 14b UStG), and the user is told
so before asking and in the answer. Every export and request is kept as a row
(`PrivacyRequest`) for accountability; every decision is in the audit log.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Annotated, Any

import msgspec

from cpo import database, messages
from cpo.accounts import rules
from cpo.accounts.enums import CustomerKind, Role
from cpo.accounts.passkeys import PasskeyView, list_passkeys
from cpo.accounts.service import UserRef, require_role
from cpo.accounts.tables import Customer, LoginLink, LoginSession, Passkey, User
from cpo.audit import service as audit
from cpo.billing.tables import Invoice
from cpo.cdrs.tables import Cdr
from cpo.context import Context
from cpo.errors import Conflict, InvalidInput, NotFound
from cpo.i18n import negotiate, translator
from cpo.notifications.tables import NotificationSettings
from cpo.operators.service import OperatorRef, require_admin
from cpo.operators.tables import Operator
from cpo.ports import MailNotSent, OutgoingMail
from cpo.privacy.enums import RequestKind, RequestStatus
from cpo.privacy.tables import PrivacyRequest
from cpo.sessions.enums import SessionState
from cpo.sessions.tables import ChargingSession
from cpo.support.tables import SupportTicket, TicketMessage
from cpo.tokens import cards, pushes
from cpo.tokens.enums import BlockedBy, TokenStatus, TokenType
from cpo.tokens.tables import IdToken

log = logging.getLogger(__name__)

ERASED_NAME = "–"
ERASED_APP_TOKEN_LABEL = "App"  # noqa: S105 (a label, not a secret)


# --- shapes ------------------------------------------------------------------------------


class RequestView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: RequestKind
    status: RequestStatus
    created_at: datetime
    decided_at: datetime | None
    reason: str


class AdminRequestView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: RequestKind
    status: RequestStatus
    created_at: datetime
    decided_at: datetime | None
    decided_by: str
    reason: str
    user_id: int
    # As the user is now: after erasing, the placeholders that replaced name and address.
    user_email: str
    user_name: str
    customer_name: str | None


class Decline(msgspec.Struct, frozen=True, kw_only=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class Profile(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    email: str
    display_name: str
    role: Role
    language: str
    created_at: datetime
    last_login_at: datetime | None


class CustomerData(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: CustomerKind
    name: str
    # A person's own address and VAT ID; a company's are the company's, not the user's.
    email: str | None
    vat_id: str | None
    customer_group: str | None


class TokenData(msgspec.Struct, frozen=True, kw_only=True):
    uid: str
    type: str
    label: str
    status: str
    cost_centre: str
    created_at: datetime
    expires_at: datetime | None
    blocked_at: datetime | None


class RecordData(msgspec.Struct, frozen=True, kw_only=True):
    number: str
    kind: str
    currency: str
    net_minor: int
    vat_minor: int
    gross_minor: int
    energy_wh: int
    cost_centre: str
    created_at: datetime


class SessionData(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    state: str
    started_at: datetime | None
    stopped_at: datetime | None
    evse_id: str
    station: str
    token_uid: str
    energy_wh: int | None
    records: list[RecordData]


class InvoiceData(msgspec.Struct, frozen=True, kw_only=True):
    number: str
    period: str
    issued_at: datetime
    due_at: datetime
    currency: str
    net_minor: int
    vat_minor: int
    gross_minor: int
    status: str


class LoginData(msgspec.Struct, frozen=True, kw_only=True):
    method: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    user_agent: str


class ReportMessage(msgspec.Struct, frozen=True, kw_only=True):
    at: datetime
    author: str
    body: str


class ReportData(msgspec.Struct, frozen=True, kw_only=True):
    created_at: datetime
    kind: str
    status: str
    description: str
    contact_email: str
    contact_phone: str
    messages: list[ReportMessage]


class MyData(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the platform holds about one user (GDPR Art. 15 and 20)."""

    exported_at: datetime
    operator: str
    profile: Profile
    customer: CustomerData | None
    cards_and_tokens: list[TokenData]
    sessions: list[SessionData]
    invoices: list[InvoiceData]
    passkeys: list[PasskeyView]
    login_sessions: list[LoginData]
    drivers_reports: list[ReportData]
    privacy_requests: list[RequestView]
    # Why some of this stays after erasure, in the user's language.
    retention: str


def _request_view(row: dict[str, Any]) -> RequestView:
    return RequestView(
        id=row["id"],
        kind=RequestKind(row["kind"]),
        status=RequestStatus(row["status"]),
        created_at=row["created_at"],
        decided_at=row["decided_at"],
        reason=row["reason"],
    )


# --- the user's own ----------------------------------------------------------------------


def _own_tokens(user: UserRef, customer_kind: CustomerKind | None) -> Any:
    """The user's cards and app tokens: those they hold, and a person's unassigned cards —
    a fleet manager's view of the company's cards is the company's data, not theirs."""
    holds: Any = IdToken.holder == user.user_id
    if customer_kind is CustomerKind.PERSON:
        holds |= (IdToken.customer == user.customer_id) & IdToken.holder.is_null()
    return (
        (IdToken.operator == user.operator_id) & IdToken.type.is_in(list(cards.CARD_TYPES)) & holds
    )


async def my_requests(user: UserRef) -> list[RequestView]:
    rows = (
        await PrivacyRequest.select()
        .where(
            (PrivacyRequest.user == user.user_id) & (PrivacyRequest.operator == user.operator_id)
        )
        .order_by(PrivacyRequest.id, ascending=False)
    )
    return [_request_view(row) for row in rows]


async def export_my_data(ctx: Context, user: UserRef, language: str) -> MyData:
    """The user's data as one document; the export itself is recorded (kind export, done)."""
    t = translator(negotiate(None, language))
    now = ctx.clock.now()
    async with database.transaction():
        await PrivacyRequest.insert(
            PrivacyRequest(
                operator=user.operator_id,
                user=user.user_id,
                kind=RequestKind.EXPORT,
                status=RequestStatus.DONE,
                created_at=now,
                decided_at=now,
                decided_by="self-service",
            )
        )
    profile = await User.select().where(User.id == user.user_id).first()
    operator = await Operator.select(Operator.name).where(Operator.id == user.operator_id).first()
    assert profile is not None
    assert operator is not None
    customer = None
    if user.customer_id is not None:
        customer = (
            await Customer.select()
            .where((Customer.id == user.customer_id) & (Customer.operator == user.operator_id))
            .first()
        )
    kind = None if customer is None else CustomerKind(customer["kind"])
    tokens = (
        await IdToken.select().where(_own_tokens(user, kind)).order_by(IdToken.id)
        if customer is not None
        else []
    )
    return MyData(
        exported_at=now,
        operator=operator["name"],
        profile=Profile(
            id=profile["id"],
            email=profile["email"],
            display_name=profile["display_name"],
            role=Role(profile["role"]),
            language=profile["language"],
            created_at=profile["created_at"],
            last_login_at=profile["last_login_at"],
        ),
        customer=None if customer is None else _customer_data(customer),
        cards_and_tokens=[
            TokenData(
                uid=token["uid"],
                type=token["type"],
                label=token["label"],
                status=token["status"],
                cost_centre=token["cost_centre"],
                created_at=token["created_at"],
                expires_at=token["expires_at"],
                blocked_at=token["blocked_at"],
            )
            for token in tokens
        ],
        sessions=await _sessions(user.operator_id, [token["id"] for token in tokens]),
        invoices=await _invoices(user, kind),
        passkeys=await list_passkeys(user),
        login_sessions=await _logins(user.user_id),
        drivers_reports=await _reports(user.operator_id, profile["email_key"]),
        privacy_requests=await my_requests(user),
        retention=t.gettext(messages.DELETION_KEPT),
    )


def _customer_data(row: dict[str, Any]) -> CustomerData:
    person = row["kind"] == CustomerKind.PERSON
    return CustomerData(
        id=row["id"],
        kind=CustomerKind(row["kind"]),
        name=row["name"],
        email=row["email"] if person else None,
        vat_id=row["vat_id"] if person else None,
        customer_group=row["customer_group"],
    )


async def _sessions(operator_id: int, token_ids: list[int]) -> list[SessionData]:
    if not token_ids:
        return []
    rows = (
        await ChargingSession.select(
            ChargingSession.id,
            ChargingSession.state,
            ChargingSession.started_at,
            ChargingSession.stopped_at,
            ChargingSession.evse.evse_id,
            ChargingSession.station.identity,
            ChargingSession.id_tag,
            ChargingSession.energy_wh,
        )
        .where(
            (ChargingSession.operator == operator_id) & ChargingSession.id_token.is_in(token_ids)
        )
        .order_by(ChargingSession.id)
    )
    records: dict[int, list[RecordData]] = {}
    if rows:
        for record in (
            await Cdr.select(
                Cdr.session,
                Cdr.number,
                Cdr.kind,
                Cdr.currency,
                Cdr.net_minor,
                Cdr.vat_minor,
                Cdr.gross_minor,
                Cdr.energy_wh,
                Cdr.cost_centre,
                Cdr.created_at,
            )
            .where(Cdr.session.is_in([row["id"] for row in rows]))
            .order_by(Cdr.sequence)
        ):
            session_id = record.pop("session")
            records.setdefault(session_id, []).append(RecordData(**record))
    return [
        SessionData(
            id=row["id"],
            state=row["state"],
            started_at=row["started_at"],
            stopped_at=row["stopped_at"],
            evse_id=row["evse.evse_id"] or "",
            station=row["station.identity"] or "",
            token_uid=row["id_tag"],
            energy_wh=row["energy_wh"],
            records=records.get(row["id"], []),
        )
        for row in rows
    ]


async def _invoices(user: UserRef, kind: CustomerKind | None) -> list[InvoiceData]:
    if kind is None or not rules.may_see_invoices(user.role, kind):
        return []
    rows = (
        await Invoice.select(
            Invoice.number,
            Invoice.period,
            Invoice.issued_at,
            Invoice.due_at,
            Invoice.currency,
            Invoice.net_minor,
            Invoice.vat_minor,
            Invoice.gross_minor,
            Invoice.status,
        )
        .where((Invoice.customer == user.customer_id) & (Invoice.operator == user.operator_id))
        .order_by(Invoice.sequence)
    )
    return [InvoiceData(**row) for row in rows]


async def _logins(user_id: int) -> list[LoginData]:
    rows = (
        await LoginSession.select(
            LoginSession.method,
            LoginSession.created_at,
            LoginSession.last_seen_at,
            LoginSession.expires_at,
            LoginSession.revoked_at,
            LoginSession.user_agent,
        )
        .where(LoginSession.user == user_id)
        .order_by(LoginSession.id)
    )
    return [LoginData(**row) for row in rows]


async def _tickets_of(operator_id: int, email_key: str) -> list[int]:
    """The drivers' reports filed with the user's e-mail address, whatever its case. A report
    form is rarely filled in with an address, so reading the operator's few is cheap and
    compares exactly as logins do (`normalize_email`)."""
    rows = await SupportTicket.select(SupportTicket.id, SupportTicket.contact_email).where(
        (SupportTicket.operator == operator_id) & (SupportTicket.contact_email != "")
    )
    return [row["id"] for row in rows if rules.normalize_email(row["contact_email"]) == email_key]


async def _reports(operator_id: int, email_key: str) -> list[ReportData]:
    tickets = (
        await SupportTicket.select(
            SupportTicket.id,
            SupportTicket.created_at,
            SupportTicket.kind,
            SupportTicket.status,
            SupportTicket.description,
            SupportTicket.contact_email,
            SupportTicket.contact_phone,
        )
        .where(SupportTicket.id.is_in(await _tickets_of(operator_id, email_key) or [0]))
        .order_by(SupportTicket.id)
    )
    reports = []
    for ticket in tickets:
        conversation = (
            await TicketMessage.select(TicketMessage.at, TicketMessage.author, TicketMessage.body)
            .where(TicketMessage.ticket == ticket["id"])
            .order_by(TicketMessage.id)
        )
        reports.append(
            ReportData(
                created_at=ticket["created_at"],
                kind=ticket["kind"],
                status=ticket["status"],
                description=ticket["description"],
                contact_email=ticket["contact_email"],
                contact_phone=ticket["contact_phone"],
                messages=[ReportMessage(**message) for message in conversation],
            )
        )
    return reports


# --- asking to be erased -----------------------------------------------------------------


async def request_deletion(
    ctx: Context, user: UserRef, language: str
) -> tuple[RequestView, list[OutgoingMail]]:
    """Ask the operator to erase the account: recorded (open), a confirmation for the user
    and a note to the operator's support to send. Asking again while a request is open
    answers with that request and sends nothing."""
    t = translator(negotiate(None, language))
    require_role(user, rules.CUSTOMER_ROLES, t.language)
    now = ctx.clock.now()
    async with database.transaction():
        open_one = (
            await PrivacyRequest.select()
            .where(
                (PrivacyRequest.user == user.user_id)
                & (PrivacyRequest.kind == RequestKind.DELETION)
                & (PrivacyRequest.status == RequestStatus.OPEN)
            )
            .first()
        )
        if open_one is not None:
            return _request_view(open_one), []
        rows = await PrivacyRequest.insert(
            PrivacyRequest(
                operator=user.operator_id,
                user=user.user_id,
                kind=RequestKind.DELETION,
                status=RequestStatus.OPEN,
                created_at=now,
            )
        ).returning(PrivacyRequest.id)
        created = await PrivacyRequest.select().where(PrivacyRequest.id == rows[0]["id"]).first()
    assert created is not None
    operator = (
        await Operator.select(Operator.name, Operator.support_email, Operator.support_phone)
        .where(Operator.id == user.operator_id)
        .first()
    )
    assert operator is not None
    name = operator["name"]
    confirmation = OutgoingMail(
        to=user.email,
        subject=t.gettext(messages.DELETION_REQUESTED_SUBJECT).format(operator=name),
        text="\n\n".join(
            (
                t.gettext(messages.DELETION_REQUESTED_TEXT).format(email=user.email, operator=name),
                t.gettext(messages.DELETION_KEPT),
            )
        ),
        reply_to=_address(operator["support_email"]),
    )
    mails = [confirmation]
    support = _address(operator["support_email"])
    if support is not None:
        staff = translator(await _operator_language(user.operator_id))
        mails.append(
            OutgoingMail(
                to=support,
                subject=staff.gettext(messages.DELETION_OPERATOR_SUBJECT).format(email=user.email),
                text=staff.gettext(messages.DELETION_OPERATOR_TEXT).format(
                    name=user.display_name or user.email,
                    email=user.email,
                    link=f"{ctx.settings.base_url}/admin/privacy",
                ),
                reply_to=user.email,
            )
        )
    return _request_view(created), mails


def _address(text: str | None) -> str | None:
    address = (text or "").strip()
    return address if rules.is_plausible_email(address) else None


async def _operator_language(operator_id: int) -> str:
    row = (
        await NotificationSettings.select(NotificationSettings.language)
        .where(NotificationSettings.operator == operator_id)
        .first()
    )
    return negotiate(None, row["language"] if row else "de")


async def send_mails(ctx: Context, mails: list[OutgoingMail]) -> None:
    """Sent after the answer; a failure is logged (the request itself is recorded)."""
    for mail in mails:
        try:
            await ctx.mailer.send(mail)
        except MailNotSent as error:
            log.warning("a privacy mail could not be sent: %s", error)


# --- the operator decides ----------------------------------------------------------------

_ADMIN_COLUMNS = (
    PrivacyRequest.id,
    PrivacyRequest.kind,
    PrivacyRequest.status,
    PrivacyRequest.created_at,
    PrivacyRequest.decided_at,
    PrivacyRequest.decided_by,
    PrivacyRequest.reason,
    PrivacyRequest.user.as_alias("user_id"),
    PrivacyRequest.user.email.as_alias("user_email"),
    PrivacyRequest.user.display_name.as_alias("user_name"),
    PrivacyRequest.user._.customer._.name.as_alias("customer_name"),
)


def _admin_view(row: dict[str, Any]) -> AdminRequestView:
    return AdminRequestView(
        id=row["id"],
        kind=RequestKind(row["kind"]),
        status=RequestStatus(row["status"]),
        created_at=row["created_at"],
        decided_at=row["decided_at"],
        decided_by=row["decided_by"],
        reason=row["reason"],
        user_id=row["user_id"],
        user_email=row["user_email"],
        user_name=row["user_name"],
        customer_name=row["customer_name"],
    )


async def list_requests(
    operator_id: int, *, status: RequestStatus | None = None, kind: RequestKind | None = None
) -> list[AdminRequestView]:
    """The operator's privacy requests, newest first (open ones to act on, others kept)."""
    condition: Any = PrivacyRequest.operator == operator_id
    if status is not None:
        condition &= PrivacyRequest.status == status
    if kind is not None:
        condition &= PrivacyRequest.kind == kind
    rows = (
        await PrivacyRequest.select(*_ADMIN_COLUMNS)
        .where(condition)
        .order_by(PrivacyRequest.id, ascending=False)
        .limit(500)
    )
    return [_admin_view(row) for row in rows]


async def _open_deletion(operator_id: int, request_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await PrivacyRequest.select(*_ADMIN_COLUMNS, PrivacyRequest.user.language)
        .where((PrivacyRequest.id == request_id) & (PrivacyRequest.operator == operator_id))
        .first()
    )
    if row is None:
        raise NotFound(f"no privacy request {request_id}", code="privacy_request_not_found")
    if row["kind"] != RequestKind.DELETION or row["status"] != RequestStatus.OPEN:
        raise Conflict("only an open deletion request can be decided", code="request_not_open")
    return row


async def complete_deletion(
    ctx: Context, caller: OperatorRef, request_id: int
) -> tuple[AdminRequestView, list[OutgoingMail]]:
    """Erase the user as far as the law allows; 409 `session_running` while one of their
    tokens charges (the session must end and be recorded first)."""
    require_admin(caller)
    now = ctx.clock.now()
    operator = await Operator.select(Operator.name).where(Operator.id == caller.operator_id).first()
    assert operator is not None
    async with database.transaction():
        row = await _open_deletion(caller.operator_id, request_id)
        user_id = row["user_id"]
        user = await User.select().where(User.id == user_id).first()
        assert user is not None
        if await ChargingSession.exists().where(
            (ChargingSession.id_token._.holder == user_id)
            & (ChargingSession.state == SessionState.ACTIVE)
        ):
            raise Conflict(
                "the user is charging; erase them once the session has ended",
                code="session_running",
            )
        app_tokens = await IdToken.select(IdToken.id, IdToken.status).where(
            (IdToken.holder == user_id) & (IdToken.type == TokenType.APP_USER)
        )
        for token in app_tokens:
            if token["status"] == TokenStatus.ACTIVE:
                await cards.change_blocking(ctx, caller, token["id"], True, by=BlockedBy.OPERATOR)
        await IdToken.update(
            {IdToken.label: ERASED_APP_TOKEN_LABEL, IdToken.holder: None, IdToken.updated_at: now}
        ).where((IdToken.holder == user_id) & (IdToken.type == TokenType.APP_USER))
        # The company's cards they held go back to the company.
        await IdToken.update({IdToken.holder: None, IdToken.updated_at: now}).where(
            IdToken.holder == user_id
        )
        await Passkey.delete().where(Passkey.user == user_id)
        await LoginSession.delete().where(LoginSession.user == user_id)
        await LoginLink.delete().where(LoginLink.user == user_id)
        placeholder = f"erased-{user_id}@erased.invalid"
        await User.update(
            {
                User.email: placeholder,
                User.email_key: placeholder,
                User.display_name: "",
                User.webauthn_handle: secrets.token_urlsafe(32),
                User.disabled_at: now,
            }
        ).where(User.id == user_id)
        await SupportTicket.update(
            {SupportTicket.contact_email: "", SupportTicket.contact_phone: ""}
        ).where(
            SupportTicket.id.is_in(await _tickets_of(caller.operator_id, user["email_key"]) or [0])
        )
        customer_erased = await _erase_person(user["customer"], caller.operator_id, now)
        await PrivacyRequest.update(
            {
                PrivacyRequest.status: RequestStatus.DONE,
                PrivacyRequest.decided_at: now,
                PrivacyRequest.decided_by: caller.actor_name[:254],
            }
        ).where(PrivacyRequest.id == request_id)
        after = await _decided(caller.operator_id, request_id)
        await audit.record(
            caller,
            "privacy.complete",
            "privacy_request",
            request_id,
            at=now,
            after={
                "user_id": user_id,
                "app_tokens_blocked": len(app_tokens),
                "customer_erased": customer_erased,
                "kept": "invoices and charge detail records (§ 147 AO, § 14b UStG)",
            },
        )
    if app_tokens:
        await pushes.wake(ctx)  # the blocks are committed now: send them to the stations
    t = translator(negotiate(None, user["language"]))
    mail = OutgoingMail(
        to=user["email"],
        subject=t.gettext(messages.DELETION_DONE_SUBJECT).format(operator=operator["name"]),
        text="\n\n".join(
            (
                t.gettext(messages.DELETION_DONE_TEXT).format(operator=operator["name"]),
                t.gettext(messages.DELETION_KEPT),
            )
        ),
    )
    return after, [mail]


async def _erase_person(customer_id: int | None, operator_id: int, now: datetime) -> bool:
    """A person's own customer record goes too, unless an invoice was addressed to it (the
    invoice must show whom it was for, for as long as it is kept)."""
    if customer_id is None:
        return False
    customer = (
        await Customer.select(Customer.kind)
        .where((Customer.id == customer_id) & (Customer.operator == operator_id))
        .first()
    )
    if customer is None or customer["kind"] != CustomerKind.PERSON:
        return False
    if await Invoice.exists().where(Invoice.customer == customer_id):
        return False
    await Customer.update(
        {
            Customer.name: ERASED_NAME,
            Customer.email: "",
            Customer.vat_id: "",
            Customer.updated_at: now,
        }
    ).where(Customer.id == customer_id)
    return True


async def _decided(operator_id: int, request_id: int) -> AdminRequestView:
    row = (
        await PrivacyRequest.select(*_ADMIN_COLUMNS)
        .where((PrivacyRequest.id == request_id) & (PrivacyRequest.operator == operator_id))
        .first()
    )
    assert row is not None
    return _admin_view(row)


async def decline_deletion(
    ctx: Context, caller: OperatorRef, request_id: int, decline: Decline
) -> tuple[AdminRequestView, list[OutgoingMail]]:
    """Say no, with the reason the user is told by mail."""
    require_admin(caller)
    reason = decline.reason.strip()
    if not reason:
        raise InvalidInput("say why the request is declined", code="reason_missing")
    now = ctx.clock.now()
    async with database.transaction():
        row = await _open_deletion(caller.operator_id, request_id)
        await PrivacyRequest.update(
            {
                PrivacyRequest.status: RequestStatus.DECLINED,
                PrivacyRequest.decided_at: now,
                PrivacyRequest.decided_by: caller.actor_name[:254],
                PrivacyRequest.reason: reason,
            }
        ).where(PrivacyRequest.id == request_id)
        after = await _decided(caller.operator_id, request_id)
        await audit.record(
            caller,
            "privacy.decline",
            "privacy_request",
            request_id,
            at=now,
            before=_admin_view(row),
            after=after,
        )
    operator = (
        await Operator.select(Operator.name, Operator.support_email, Operator.support_phone)
        .where(Operator.id == caller.operator_id)
        .first()
    )
    assert operator is not None
    t = translator(negotiate(None, row["user.language"]))
    mail = OutgoingMail(
        to=row["user_email"],
        subject=t.gettext(messages.DELETION_DECLINED_SUBJECT).format(operator=operator["name"]),
        text=t.gettext(messages.DELETION_DECLINED_TEXT).format(
            operator=operator["name"],
            reason=reason,
            support=operator["support_phone"] or operator["support_email"],
        ),
        reply_to=_address(operator["support_email"]),
    )
    return after, [mail]
