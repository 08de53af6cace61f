"""Support tickets: a driver's report at a charge point, and what staff do with it.

A driver needs no account: the report returns a token (the ticket's number and a
signature, like an ad hoc session's) that shows the ticket's state and the replies. Staff
work on tickets through the admin API; their changes are audited, their replies are mailed
to the driver when an address was given, and a stuck cable is released with
UnlockConnector from the ticket.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any, Final

import msgspec

from cpo import database, messages, sealing
from cpo.audit import service as audit
from cpo.context import Context
from cpo.errors import (
    ChargerError,
    ChargerTimeout,
    ChargerUnavailable,
    Conflict,
    InvalidInput,
    NotFound,
    TooManyRequests,
)
from cpo.i18n import negotiate, translator
from cpo.operators.service import OperatorRef
from cpo.operators.tables import Operator
from cpo.payments import ad_hoc
from cpo.payments.tables import AdHocSession
from cpo.ports import MailNotSent, OutgoingMail
from cpo.sessions.tables import ChargingSession
from cpo.stations import commands as cmd
from cpo.stations.enums import FaultStatus
from cpo.stations.public import MAX_EVSE_ID_LENGTH
from cpo.stations.rules import compact_evse_id
from cpo.stations.tables import Evse, Fault
from cpo.support import rules
from cpo.support.enums import Author, ProblemKind, TicketStatus
from cpo.support.tables import SupportTicket, TicketMessage, TicketPhoto

log = logging.getLogger(__name__)

TOKEN_PURPOSE: Final = "support-ticket"  # noqa: S105 (a label for the signature, not a secret)
DEFAULT_PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 200


# --- what drivers send and see ------------------------------------------------------------


class ProblemReport(msgspec.Struct, frozen=True, kw_only=True):
    kind: ProblemKind
    description: Annotated[str, msgspec.Meta(max_length=rules.MAX_DESCRIPTION_LENGTH)] = ""
    contact_email: Annotated[str, msgspec.Meta(max_length=254)] = ""
    contact_phone: Annotated[str, msgspec.Meta(max_length=40)] = ""
    language: Annotated[str, msgspec.Meta(max_length=16)] = "en"
    # The driver's ad hoc session at this charge point (its token), when the app has one.
    session_token: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class ReportReceipt(msgspec.Struct, frozen=True, kw_only=True):
    token: str  # the driver's key to the ticket: GET /api/support/tickets/{token}
    status: TicketStatus
    message: str


class MessageView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    at: datetime
    author: Author
    author_name: str
    body: str
    mailed: bool


class DriverTicketView(msgspec.Struct, frozen=True, kw_only=True):
    status: TicketStatus
    kind: ProblemKind
    evse_id: str | None
    station_name: str
    created_at: datetime
    description: str
    photos: int
    replies: list[MessageView]


# --- what staff see -----------------------------------------------------------------------


class TicketSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    status: TicketStatus
    kind: ProblemKind
    station_identity: str
    station_name: str
    evse_id: str | None
    created_at: datetime
    updated_at: datetime
    has_contact: bool


class TicketPage(msgspec.Struct, frozen=True, kw_only=True):
    tickets: list[TicketSummary]
    next_before: int | None


class FaultView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    ocpp_connector_id: int
    error_code: str
    info: str
    vendor_error_code: str
    opened_at: datetime


class SessionBrief(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    state: str
    started_at: datetime | None
    stopped_at: datetime | None
    energy_wh: int | None
    stop_reason: str


class TicketView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    status: TicketStatus
    kind: ProblemKind
    description: str
    contact_email: str
    contact_phone: str
    language: str
    station_identity: str
    station_name: str
    evse_id: str | None
    ocpp_connector_id: int | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    session: SessionBrief | None
    photo_ids: list[int]
    # The station's faults that are still open: often the answer to the report.
    open_faults: list[FaultView]
    messages: list[MessageView]


class StatusChange(msgspec.Struct, frozen=True, kw_only=True):
    status: TicketStatus


class Reply(msgspec.Struct, frozen=True, kw_only=True):
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=rules.MAX_REPLY_LENGTH)]


class UnlockResult(msgspec.Struct, frozen=True, kw_only=True):
    status: str  # the charger's answer: Unlocked, UnlockFailed, NotSupported
    message: MessageView


# --- tokens -------------------------------------------------------------------------------


def ticket_token(ctx: Context, ticket_id: int) -> str:
    return sealing.signed_number(ctx.settings.secret_key, TOKEN_PURPOSE, ticket_id)


def _ticket_id_of(ctx: Context, token: str) -> int:
    ticket_id = sealing.number_of(ctx.settings.secret_key, TOKEN_PURPOSE, token)
    if ticket_id is None:
        raise NotFound("no such ticket", code="ticket_not_found")
    return ticket_id


# --- drivers ------------------------------------------------------------------------------


async def report_problem(
    ctx: Context, evse_id: str, report: ProblemReport, client_ip: str
) -> ReportReceipt:
    language = negotiate(None, report.language)
    t = translator(language)
    email = rules.clean_email(report.contact_email)
    if email is None:
        raise InvalidInput(t.gettext(messages.INVALID_EMAIL), code="invalid_email")
    phone = rules.clean_phone(report.contact_phone)
    if phone is None:
        raise InvalidInput(t.gettext(messages.INVALID_PHONE), code="invalid_phone")
    evse = await _evse(evse_id, t)
    session_id = await _session_of(ctx, report.session_token, evse["id"])
    fingerprint = ad_hoc.client_fingerprint(ctx, client_ip)
    now = ctx.clock.now()
    async with database.transaction():
        recent = await SupportTicket.count().where(
            (SupportTicket.client_ip_hash == fingerprint)
            & (SupportTicket.created_at >= now - rules.REPORTS_WINDOW)
        )
        if recent >= rules.REPORTS_PER_CLIENT:
            raise TooManyRequests(t.gettext(messages.TOO_MANY_ATTEMPTS))
        rows = await SupportTicket.insert(
            SupportTicket(
                operator=evse["station.operator"],
                station=evse["station"],
                evse=evse["id"],
                charging_session=session_id,
                kind=report.kind,
                description=report.description.strip(),
                contact_email=email,
                contact_phone=phone,
                language=language,
                status=TicketStatus.OPEN,
                created_at=now,
                updated_at=now,
                client_ip_hash=fingerprint,
            )
        ).returning(SupportTicket.id)
    thanks = messages.PROBLEM_REPORTED_WITH_CONTACT if email else messages.PROBLEM_REPORTED
    return ReportReceipt(
        token=ticket_token(ctx, rows[0]["id"]),
        status=TicketStatus.OPEN,
        message=t.gettext(thanks),
    )


async def _evse(evse_id: str, t: Any) -> dict[str, Any]:
    row = None
    if evse_id and len(evse_id) <= MAX_EVSE_ID_LENGTH:
        row = (
            await Evse.select(Evse.id, Evse.station, Evse.station.operator)
            .where(Evse.evse_id_compact == compact_evse_id(evse_id))
            .first()
        )
    if row is None:
        raise NotFound(t.gettext(messages.CHARGE_POINT_NOT_FOUND), code="evse_not_found")
    return row


async def _session_of(ctx: Context, token: str | None, evse_pk: int) -> int | None:
    """The charging session behind the driver's ad hoc token, if it was at this EVSE; a
    token that does not check out is ignored (the report matters more than the link)."""
    if not token:
        return None
    try:
        ad_hoc_id = ad_hoc.session_id_of(ctx, token)
    except NotFound:
        return None
    row = (
        await AdHocSession.select(AdHocSession.charging_session)
        .where((AdHocSession.id == ad_hoc_id) & (AdHocSession.evse == evse_pk))
        .first()
    )
    return None if row is None else row["charging_session"]


async def add_photo(ctx: Context, token: str, data: bytes, language: str) -> None:
    """A photo for a ticket just reported (within PHOTO_WINDOW, at most MAX_PHOTOS)."""
    t = translator(negotiate(None, language))
    ticket_id = _ticket_id_of(ctx, token)
    if len(data) > rules.MAX_PHOTO_BYTES:
        raise InvalidInput(t.gettext(messages.PHOTO_TOO_LARGE), code="photo_too_large")
    media_type = rules.photo_media_type(data)
    if media_type is None:
        raise InvalidInput(t.gettext(messages.PHOTO_NOT_AN_IMAGE), code="photo_not_an_image")
    now = ctx.clock.now()
    async with database.transaction():
        ticket = (
            await SupportTicket.select(SupportTicket.created_at)
            .where(SupportTicket.id == ticket_id)
            .first()
        )
        if ticket is None:
            raise NotFound("no such ticket", code="ticket_not_found")
        photos = await TicketPhoto.count().where(TicketPhoto.ticket == ticket_id)
        if photos >= rules.MAX_PHOTOS or now - ticket["created_at"] > rules.PHOTO_WINDOW:
            raise Conflict(t.gettext(messages.NO_MORE_PHOTOS), code="no_more_photos")
        await TicketPhoto.insert(
            TicketPhoto(
                ticket=ticket_id, media_type=media_type, data=data, size=len(data), created_at=now
            )
        )


async def driver_view(ctx: Context, token: str) -> DriverTicketView:
    ticket_id = _ticket_id_of(ctx, token)
    row = await _ticket_row(SupportTicket.id == ticket_id)
    replies = [
        message
        for message in await _messages(ticket_id)
        if message.author in {Author.STAFF, Author.SYSTEM}
    ]
    return DriverTicketView(
        status=row["status"],
        kind=row["kind"],
        evse_id=row["evse.evse_id"],
        station_name=row["station.name"],
        created_at=row["created_at"],
        description=row["description"],
        photos=await TicketPhoto.count().where(TicketPhoto.ticket == ticket_id),
        replies=replies,
    )


# --- staff --------------------------------------------------------------------------------


async def list_tickets(
    operator_id: int,
    *,
    status: TicketStatus | None = None,
    station: str | None = None,
    before: int | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> TicketPage:
    """Newest first; `before` (a ticket id) continues where the previous page ended."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    condition: Any = SupportTicket.operator == operator_id
    if status is not None:
        condition &= SupportTicket.status == status
    if station:
        condition &= SupportTicket.station.identity == station
    if before is not None:
        condition &= SupportTicket.id < before
    rows = (
        await SupportTicket.select(
            SupportTicket.id,
            SupportTicket.status,
            SupportTicket.kind,
            SupportTicket.station.identity,
            SupportTicket.station.name,
            SupportTicket.evse.evse_id,
            SupportTicket.created_at,
            SupportTicket.updated_at,
            SupportTicket.contact_email,
            SupportTicket.contact_phone,
        )
        .where(condition)
        .order_by(SupportTicket.id, ascending=False)
        .limit(limit + 1)
    )
    tickets = [
        TicketSummary(
            id=row["id"],
            status=row["status"],
            kind=row["kind"],
            station_identity=row["station.identity"],
            station_name=row["station.name"],
            evse_id=row["evse.evse_id"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            has_contact=bool(row["contact_email"] or row["contact_phone"]),
        )
        for row in rows[:limit]
    ]
    return TicketPage(tickets=tickets, next_before=tickets[-1].id if len(rows) > limit else None)


async def _ticket_row(condition: Any) -> dict[str, Any]:
    row = (
        await SupportTicket.select(
            *SupportTicket.all_columns(),
            SupportTicket.station.identity,
            SupportTicket.station.name,
            SupportTicket.evse.evse_id,
            SupportTicket.evse.ocpp_connector_id,
        )
        .where(condition)
        .first()
    )
    if row is None:
        raise NotFound("no such ticket", code="ticket_not_found")
    return row


async def _messages(ticket_id: int) -> list[MessageView]:
    rows = (
        await TicketMessage.select()
        .where(TicketMessage.ticket == ticket_id)
        .order_by(TicketMessage.id)
    )
    return [
        MessageView(
            id=row["id"],
            at=row["at"],
            author=row["author"],
            author_name=row["author_name"],
            body=row["body"],
            mailed=row["mailed_at"] is not None,
        )
        for row in rows
    ]


def _own(operator_id: int, ticket_id: int) -> Any:
    return (SupportTicket.id == ticket_id) & (SupportTicket.operator == operator_id)


async def get_ticket(operator_id: int, ticket_id: int) -> TicketView:
    row = await _ticket_row(_own(operator_id, ticket_id))
    session = None
    if row["charging_session"] is not None:
        found = (
            await ChargingSession.select(
                ChargingSession.id,
                ChargingSession.state,
                ChargingSession.started_at,
                ChargingSession.stopped_at,
                ChargingSession.energy_wh,
                ChargingSession.stop_reason,
            )
            .where(ChargingSession.id == row["charging_session"])
            .first()
        )
        if found is not None:
            session = SessionBrief(**found)
    photos = (
        await TicketPhoto.select(TicketPhoto.id)
        .where(TicketPhoto.ticket == ticket_id)
        .order_by(TicketPhoto.id)
    )
    faults = (
        await Fault.select(
            Fault.id,
            Fault.ocpp_connector_id,
            Fault.error_code,
            Fault.info,
            Fault.vendor_error_code,
            Fault.opened_at,
        )
        .where((Fault.station == row["station"]) & (Fault.status == FaultStatus.OPEN))
        .order_by(Fault.opened_at, ascending=False)
    )
    return TicketView(
        id=row["id"],
        status=row["status"],
        kind=row["kind"],
        description=row["description"],
        contact_email=row["contact_email"],
        contact_phone=row["contact_phone"],
        language=row["language"],
        station_identity=row["station.identity"],
        station_name=row["station.name"],
        evse_id=row["evse.evse_id"],
        ocpp_connector_id=row["evse.ocpp_connector_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        resolved_at=row["resolved_at"],
        session=session,
        photo_ids=[photo["id"] for photo in photos],
        open_faults=[FaultView(**fault) for fault in faults],
        messages=await _messages(ticket_id),
    )


async def photo(operator_id: int, ticket_id: int, photo_id: int) -> tuple[str, bytes]:
    row = (
        await TicketPhoto.select(TicketPhoto.media_type, TicketPhoto.data)
        .where(
            (TicketPhoto.id == photo_id)
            & (TicketPhoto.ticket == ticket_id)
            & (TicketPhoto.ticket.operator == operator_id)
        )
        .first()
    )
    if row is None:
        raise NotFound("no such photo", code="photo_not_found")
    return str(row["media_type"]), bytes(row["data"])


async def change_status(
    ctx: Context, caller: OperatorRef, ticket_id: int, change: StatusChange
) -> TicketView:
    now = ctx.clock.now()
    async with database.transaction():
        row = await _ticket_row(_own(caller.operator_id, ticket_id))
        current = TicketStatus(row["status"])
        if current is not change.status:
            resolved_at = rules.status_change(current, change.status, now, row["resolved_at"])
            await SupportTicket.update(
                {
                    SupportTicket.status: change.status,
                    SupportTicket.resolved_at: resolved_at,
                    SupportTicket.updated_at: now,
                }
            ).where(SupportTicket.id == ticket_id)
            await audit.record(
                caller,
                "ticket.status",
                "ticket",
                ticket_id,
                at=now,
                before={"status": current},
                after={"status": change.status},
            )
    return await get_ticket(caller.operator_id, ticket_id)


async def reply(ctx: Context, caller: OperatorRef, ticket_id: int, answer: Reply) -> TicketView:
    """Keep the reply on the ticket and mail it to the driver (when an address was given);
    a mail that fails is retried by `send_pending_replies`."""
    body = answer.body.strip()
    if not body:
        raise InvalidInput("a reply needs a text", code="empty_reply")
    now = ctx.clock.now()
    async with database.transaction():
        row = await _ticket_row(_own(caller.operator_id, ticket_id))
        rows = await TicketMessage.insert(
            TicketMessage(
                ticket=ticket_id,
                at=now,
                author=Author.STAFF,
                author_name=caller.actor_name,
                body=body,
            )
        ).returning(TicketMessage.id)
        status = TicketStatus(row["status"])
        if status is TicketStatus.OPEN:
            # Answering is working on it.
            status = TicketStatus.IN_PROGRESS
        await SupportTicket.update(
            {SupportTicket.status: status, SupportTicket.updated_at: now}
        ).where(SupportTicket.id == ticket_id)
        await audit.record(
            caller, "ticket.reply", "ticket", ticket_id, at=now, after={"reply": body}
        )
    if row["contact_email"]:
        await _mail_reply(ctx, rows[0]["id"])
    return await get_ticket(caller.operator_id, ticket_id)


async def _mail_reply(ctx: Context, message_id: int) -> bool:
    row = (
        await TicketMessage.select(
            TicketMessage.body,
            TicketMessage.mail_attempts,
            TicketMessage.ticket.id,
            TicketMessage.ticket.contact_email,
            TicketMessage.ticket.language,
            TicketMessage.ticket.operator,
            TicketMessage.ticket._.evse._.evse_id,
        )
        .where(TicketMessage.id == message_id)
        .first()
    )
    if row is None:
        return False
    operator = (
        await Operator.select(Operator.name, Operator.support_email)
        .where(Operator.id == row["ticket.operator"])
        .first()
    )
    assert operator is not None  # the ticket's foreign key
    t = translator(negotiate(None, row["ticket.language"]))
    link = f"{ctx.settings.base_url}/t/{ticket_token(ctx, row['ticket.id'])}"
    text = "\n\n".join(
        [
            t.gettext(messages.TICKET_REPLY_INTRO).format(
                operator=operator["name"], evse=row["ticket.evse.evse_id"] or ""
            ),
            row["body"],
            t.gettext(messages.TICKET_REPLY_LINK).format(link=link),
        ]
    )
    mail = OutgoingMail(
        to=row["ticket.contact_email"],
        subject=t.gettext(messages.TICKET_REPLY_SUBJECT).format(operator=operator["name"]),
        text=text,
        reply_to=operator["support_email"] or None,
    )
    try:
        await ctx.mailer.send(mail)
    except MailNotSent:
        log.warning("reply %d to a support ticket not mailed yet", message_id, exc_info=True)
        async with database.transaction():
            await TicketMessage.update(
                {TicketMessage.mail_attempts: row["mail_attempts"] + 1}
            ).where(TicketMessage.id == message_id)
        return False
    async with database.transaction():
        await TicketMessage.update(
            {
                TicketMessage.mailed_at: ctx.clock.now(),
                TicketMessage.mail_attempts: row["mail_attempts"] + 1,
            }
        ).where(TicketMessage.id == message_id)
    return True


async def send_pending_replies(ctx: Context) -> int:
    """Mail the staff replies whose mail failed (up to MAIL_ATTEMPTS each); how many went."""
    rows = await TicketMessage.select(TicketMessage.id).where(
        (TicketMessage.author == Author.STAFF)
        & TicketMessage.mailed_at.is_null()
        & (TicketMessage.mail_attempts > 0)
        & (TicketMessage.mail_attempts < rules.MAIL_ATTEMPTS)
        & (TicketMessage.ticket.contact_email != "")
    )
    sent = 0
    for row in rows:
        sent += await _mail_reply(ctx, row["id"])
    return sent


async def release_cable(ctx: Context, caller: OperatorRef, ticket_id: int) -> UnlockResult:
    """UnlockConnector for the ticket's EVSE; the charger's answer is kept on the ticket."""
    row = await _ticket_row(_own(caller.operator_id, ticket_id))
    connector = row["evse.ocpp_connector_id"]
    if connector is None:
        raise Conflict("the ticket names no charge point to unlock", code="no_evse")
    try:
        result = await cmd.send_command(
            ctx, row["station.identity"], cmd.UnlockConnector(connector_id=connector)
        )
        status = result.status
    except (ChargerUnavailable, ChargerTimeout, ChargerError) as error:
        status = error.code
    now = ctx.clock.now()
    async with database.transaction():
        rows = await TicketMessage.insert(
            TicketMessage(
                ticket=ticket_id,
                at=now,
                author=Author.SYSTEM,
                author_name=caller.actor_name,
                body=f"UnlockConnector {row['evse.evse_id']}: {status}",
            )
        ).returning(TicketMessage.id)
        await SupportTicket.update({SupportTicket.updated_at: now}).where(
            SupportTicket.id == ticket_id
        )
        await audit.record(
            caller,
            "ticket.unlock_connector",
            "ticket",
            ticket_id,
            at=now,
            after={"evse_id": row["evse.evse_id"], "answer": status},
        )
    message = next(m for m in await _messages(ticket_id) if m.id == rows[0]["id"])
    return UnlockResult(status=status, message=message)
