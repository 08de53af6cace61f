"""Operators are told when a station goes offline or reports a fault: by e-mail to the
recipients they chose and by a signed webhook (HMAC-SHA256 of the body with a secret of
their own, in the `X-CPO-Signature` header).

The station use cases call `station_offline` / `fault_opened` inside the transaction that
records the event: one delivery row per recipient and one for the webhook is written with
it (an outbox), and the sweeper on every node (`cpo.notifications.delivery`) sends them,
retries what failed with growing pauses, and gives up after `rules.MAX_ATTEMPTS`. An
offline message waits for the operator's grace time first and is dropped if the station
is back by then.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any

import msgspec

from cpo import database, messages
from cpo.audit import service as audit
from cpo.context import Context
from cpo.errors import InvalidInput
from cpo.i18n import SUPPORTED_LANGUAGES, translator
from cpo.notifications import rules
from cpo.notifications.delivery import Dropped, Outbox, post_webhook
from cpo.notifications.enums import Channel, DeliveryState, NetworkEvent
from cpo.notifications.tables import NotificationDelivery, NotificationSettings
from cpo.operators.service import OperatorRef, require_admin
from cpo.operators.tables import Operator
from cpo.ports import OutgoingMail
from cpo.sealing import seal
from cpo.stations.schemas import StationRef
from cpo.stations.sites import operator_time_zone
from cpo.stations.tables import ChargeStation

log = logging.getLogger(__name__)


class SettingsView(msgspec.Struct, frozen=True, kw_only=True):
    notify_offline: bool
    notify_fault: bool
    offline_grace_s: int
    email_recipients: list[str]
    language: str
    webhook_url: str
    # Where invoice events go (cpo.billing.events), signed with the same secret.
    billing_webhook_url: str
    # The secret itself is shown once, when it is made (`rotate_secret`).
    has_webhook_secret: bool


class SettingsInput(msgspec.Struct, frozen=True, kw_only=True):
    notify_offline: bool = True
    notify_fault: bool = True
    offline_grace_s: Annotated[int, msgspec.Meta(ge=0, le=86_400)] = 120
    email_recipients: Annotated[list[str], msgspec.Meta(max_length=rules.MAX_RECIPIENTS)] = []
    language: Annotated[str, msgspec.Meta(max_length=5)] = "de"
    webhook_url: Annotated[str, msgspec.Meta(max_length=500)] = ""
    billing_webhook_url: Annotated[str, msgspec.Meta(max_length=500)] = ""


class WebhookSecret(msgspec.Struct, frozen=True, kw_only=True):
    # Shown once: the receiver verifies X-CPO-Signature with it.
    webhook_secret: str


class DeliveryView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    station_id: int
    event: NetworkEvent
    channel: Channel
    target: str
    state: DeliveryState
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None


class NetworkEventBody(msgspec.Struct, frozen=True, kw_only=True):
    """The webhook body (and what the e-mail is written from)."""

    event: NetworkEvent
    operator: str
    station_id: int
    station_identity: str
    station_name: str
    at: datetime
    # Faults only.
    connector_id: int | None = None
    error_code: str | None = None
    info: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None


DEFAULTS = SettingsView(
    notify_offline=True,
    notify_fault=True,
    offline_grace_s=120,
    email_recipients=[],
    language="de",
    webhook_url="",
    billing_webhook_url="",
    has_webhook_secret=False,
)


def _view(row: dict[str, Any] | None) -> SettingsView:
    if row is None:
        return DEFAULTS
    return SettingsView(
        notify_offline=row["notify_offline"],
        notify_fault=row["notify_fault"],
        offline_grace_s=row["offline_grace_s"],
        email_recipients=[line for line in row["email_recipients"].splitlines() if line],
        language=row["language"],
        webhook_url=row["webhook_url"],
        billing_webhook_url=row["billing_webhook_url"],
        has_webhook_secret=bool(row["webhook_secret_sealed"]),
    )


async def _row(operator_id: int) -> dict[str, Any] | None:
    row: dict[str, Any] | None = (
        await NotificationSettings.select()
        .where(NotificationSettings.operator == operator_id)
        .first()
    )
    return row


async def get_settings(operator_id: int) -> SettingsView:
    return _view(await _row(operator_id))


async def update_settings(ctx: Context, caller: OperatorRef, data: SettingsInput) -> SettingsView:
    require_admin(caller)
    try:
        recipients = rules.parse_recipients("\n".join(data.email_recipients))
    except ValueError as error:
        raise InvalidInput(str(error), code="invalid_recipient") from None
    for url in (data.webhook_url, data.billing_webhook_url):
        if url and not rules.is_webhook_url(url):
            raise InvalidInput("the webhook URL must be http(s)://…", code="invalid_webhook_url")
    if data.language not in SUPPORTED_LANGUAGES:
        raise InvalidInput(f"language must be one of {', '.join(SUPPORTED_LANGUAGES)}")
    values: dict[Any, Any] = {
        NotificationSettings.notify_offline: data.notify_offline,
        NotificationSettings.notify_fault: data.notify_fault,
        NotificationSettings.offline_grace_s: data.offline_grace_s,
        NotificationSettings.email_recipients: "\n".join(recipients),
        NotificationSettings.language: data.language,
        NotificationSettings.webhook_url: data.webhook_url,
        NotificationSettings.billing_webhook_url: data.billing_webhook_url,
        NotificationSettings.updated_at: ctx.clock.now(),
    }
    async with database.transaction():
        before_row = await _row(caller.operator_id)
        if before_row is None:
            await NotificationSettings.insert(
                NotificationSettings(
                    operator=caller.operator_id,
                    **{column._meta.name: value for column, value in values.items()},
                )
            )
        else:
            await NotificationSettings.update(values).where(
                NotificationSettings.operator == caller.operator_id
            )
        after = await get_settings(caller.operator_id)
        await audit.record(
            caller,
            "notifications.update",
            "notification_settings",
            caller.operator_id,
            at=ctx.clock.now(),
            before=None if before_row is None else _view(before_row),
            after=after,
        )
    return after


async def rotate_secret(ctx: Context, caller: OperatorRef) -> WebhookSecret:
    """A new webhook signing secret (the old one stops being used at once)."""
    require_admin(caller)
    secret = "whsec_" + secrets.token_urlsafe(32)
    sealed = seal(ctx.settings.secret_key, secret)
    async with database.transaction():
        if await _row(caller.operator_id) is None:
            await NotificationSettings.insert(
                NotificationSettings(
                    operator=caller.operator_id,
                    webhook_secret_sealed=sealed,
                    updated_at=ctx.clock.now(),
                )
            )
        else:
            await NotificationSettings.update(
                {
                    NotificationSettings.webhook_secret_sealed: sealed,
                    NotificationSettings.updated_at: ctx.clock.now(),
                }
            ).where(NotificationSettings.operator == caller.operator_id)
        await audit.record(
            caller,
            "notifications.rotate_secret",
            "notification_settings",
            caller.operator_id,
            at=ctx.clock.now(),
            after={"has_webhook_secret": True},
        )
    return WebhookSecret(webhook_secret=secret)


async def deliveries(operator_id: int, *, limit: int = 100) -> list[DeliveryView]:
    rows = (
        await NotificationDelivery.select()
        .where(NotificationDelivery.operator == operator_id)
        .order_by(NotificationDelivery.id, ascending=False)
        .limit(max(1, min(limit, 500)))
    )
    return [
        DeliveryView(
            id=row["id"],
            station_id=row["station"],
            event=NetworkEvent(row["event"]),
            channel=Channel(row["channel"]),
            target=row["target"],
            state=DeliveryState(row["state"]),
            attempts=row["attempts"],
            last_error=row["last_error"],
            created_at=row["created_at"],
            sent_at=row["sent_at"],
        )
        for row in rows
    ]


# --- events (called inside the transaction that records them) --------------------------


async def station_offline(ctx: Context, station: StationRef, at: datetime) -> None:
    settings = await _row(station.operator_id)
    if settings is None or not settings["notify_offline"]:
        return
    due = at + timedelta(seconds=settings["offline_grace_s"])
    body = await _body(station, NetworkEvent.OFFLINE, at)
    await _enqueue(ctx, settings, station, body, due)


async def fault_opened(
    ctx: Context,
    station: StationRef,
    at: datetime,
    *,
    connector_id: int,
    error_code: str,
    info: str,
    vendor_id: str,
    vendor_error_code: str,
) -> None:
    settings = await _row(station.operator_id)
    if settings is None or not settings["notify_fault"]:
        return
    body = msgspec.structs.replace(
        await _body(station, NetworkEvent.FAULT, at),
        connector_id=connector_id,
        error_code=error_code,
        info=info,
        vendor_id=vendor_id,
        vendor_error_code=vendor_error_code,
    )
    await _enqueue(ctx, settings, station, body, at)


async def _body(station: StationRef, event: NetworkEvent, at: datetime) -> NetworkEventBody:
    row = (
        await ChargeStation.select(ChargeStation.name, ChargeStation.operator.slug)
        .where(ChargeStation.id == station.station_id)
        .first()
    )
    return NetworkEventBody(
        event=event,
        operator=row["operator.slug"] if row else "",
        station_id=station.station_id,
        station_identity=station.identity,
        station_name=row["name"] if row else "",
        at=at,
    )


async def _enqueue(
    ctx: Context,
    settings: dict[str, Any],
    station: StationRef,
    body: NetworkEventBody,
    due: datetime,
) -> None:
    targets = [(Channel.EMAIL, address) for address in settings["email_recipients"].splitlines()]
    if settings["webhook_url"]:
        targets.append((Channel.WEBHOOK, settings["webhook_url"]))
    payload = msgspec.json.encode(body).decode()
    for channel, target in targets:
        if not target.strip():
            continue
        await NotificationDelivery.insert(
            NotificationDelivery(
                operator=station.operator_id,
                station=station.station_id,
                event=body.event,
                channel=channel,
                target=target.strip(),
                payload=payload,
                next_attempt_at=due,
                created_at=ctx.clock.now(),
            )
        )


# --- sending (one sweeper for every outbox: cpo.notifications.delivery) -------------------


async def _send(ctx: Context, row: dict[str, Any]) -> None:
    body = msgspec.json.decode(row["payload"], type=NetworkEventBody)
    if body.event is NetworkEvent.OFFLINE and await _back_online(body.station_id):
        raise Dropped("the station is back online")
    if Channel(row["channel"]) is Channel.EMAIL:
        await _send_mail(ctx, row, body)
    else:
        await post_webhook(ctx, row, str(row["id"]))


NETWORK_OUTBOX = Outbox(NotificationDelivery, _send)


async def _back_online(station_id: int) -> bool:
    row = (
        await ChargeStation.select(ChargeStation.connected_node)
        .where(ChargeStation.id == station_id)
        .first()
    )
    return row is not None and row["connected_node"] is not None


async def _send_mail(ctx: Context, row: dict[str, Any], body: NetworkEventBody) -> None:
    settings = await _row(row["operator"])
    language = settings["language"] if settings else "de"
    operator = await Operator.select(Operator.name).where(Operator.id == row["operator"]).first()
    t = translator(language)
    station = body.station_name or body.station_identity
    when = t.datetime(body.at, await operator_time_zone(row["operator"]))
    if body.event is NetworkEvent.OFFLINE:
        subject = t.gettext(messages.STATION_OFFLINE_SUBJECT).format(station=station)
        lines = [t.gettext(messages.STATION_OFFLINE_TEXT).format(station=station, at=when)]
    else:
        subject = t.gettext(messages.STATION_FAULT_SUBJECT).format(
            station=station, error_code=body.error_code
        )
        lines = [
            t.gettext(messages.STATION_FAULT_TEXT).format(
                station=station,
                connector=body.connector_id,
                error_code=body.error_code,
                at=when,
            )
        ]
        vendor = " ".join(
            part for part in (body.vendor_id, body.vendor_error_code, body.info) if part
        )
        if vendor:
            lines.append(vendor)
    lines += ["", f"{ctx.settings.base_url}/admin/stations/{body.station_id}"]
    if operator:
        lines += ["", operator["name"]]
    await ctx.mailer.send(OutgoingMail(to=row["target"], subject=subject, text="\n".join(lines)))
