"""Pushing a card's changed status to the operator's stations.

A station that keeps a local authorization list gets a differential SendLocalList with the
card's entry (and those of cards in its group), under the next list version we keep per
station; one that only caches answers gets ClearCache, so that it asks us at the next card.

Durable: the block writes one `TokenPush` row per station in its own transaction; the
pusher (cpo/tokens/tasks.py) sends after the commit, never inside a transaction, and
records the answer in a new one. A row stays pending while its station is offline (retried
when it reconnects) or does not answer (retried with backoff), so neither a restart nor an
offline station loses a block. Each station is served by one node at a time (a lease on
its `StationAuthList` row), so list versions never race.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Final

import msgspec

from cpo import database
from cpo.context import Context
from cpo.errors import ChargerError, ChargerTimeout, ChargerUnavailable
from cpo.stations.commands import (
    ClearCache,
    CommandResult,
    GetConfiguration,
    GetLocalListVersion,
    LocalListEntry,
    SendLocalList,
    send_command,
)
from cpo.stations.tables import ChargeStation
from cpo.tokens import rules
from cpo.tokens.enums import PushMethod, PushState, TokenStatus
from cpo.tokens.tables import IdToken, StationAuthList, TokenPush

log = logging.getLogger(__name__)

WAKE_TOPIC: Final = "tokens.push"
# A node holds a station this long while pushing (several calls with their timeouts).
LEASE: Final = timedelta(minutes=3)
# How soon an offline station is tried again without news of its reconnection.
OFFLINE_RETRY: Final = timedelta(minutes=5)
# Cards per SendLocalList (below any station's SendLocalListMaxLength in practice).
BATCH_SIZE: Final = 20
CONFIGURATION_KEYS: Final = (
    "SupportedFeatureProfiles",
    "LocalAuthListEnabled",
    "AuthorizationCacheEnabled",
)
OFFLINE: Final = "station offline"


class PushView(msgspec.Struct, frozen=True, kw_only=True):
    station_id: int
    station: str
    station_name: str
    reason: str
    state: PushState
    method: PushMethod | None
    answer: str
    list_version: int | None
    attempts: int
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    updated_at: datetime


async def enqueue(operator_id: int, token_id: int, reason: str, *, now: datetime) -> int:
    """Queue the token's status for every station of the operator (inside the caller's
    transaction). Returns how many stations it was queued for."""
    stations = await ChargeStation.select(ChargeStation.id).where(
        ChargeStation.operator == operator_id
    )
    existing = {
        row["station"]: row
        for row in await TokenPush.select(
            TokenPush.id, TokenPush.station, TokenPush.revision
        ).where(TokenPush.token == token_id)
    }
    for station in stations:
        row = existing.get(station["id"])
        if row is None:
            await TokenPush.insert(
                TokenPush(
                    operator=operator_id,
                    token=token_id,
                    station=station["id"],
                    reason=reason,
                    state=PushState.PENDING,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
        else:
            await TokenPush.update(
                {
                    TokenPush.reason: reason,
                    TokenPush.state: PushState.PENDING,
                    TokenPush.method: None,
                    TokenPush.answer: "",
                    TokenPush.list_version: None,
                    TokenPush.attempts: 0,
                    TokenPush.revision: row["revision"] + 1,
                    TokenPush.next_attempt_at: now,
                    TokenPush.updated_at: now,
                }
            ).where(TokenPush.id == row["id"])
    return len(stations)


async def wake(ctx: Context) -> None:
    """Tell the pushers of every node that work is waiting (after the commit)."""
    await ctx.bus.publish(WAKE_TOPIC, b"{}")


async def results(operator_id: int, token_id: int) -> list[PushView]:
    rows = (
        await TokenPush.select(
            *TokenPush.all_columns(),
            TokenPush.station.identity.as_alias("station_identity"),
            TokenPush.station.name.as_alias("station_name"),
        )
        .where((TokenPush.operator == operator_id) & (TokenPush.token == token_id))
        .order_by(TokenPush.station.identity)
    )
    return [
        PushView(
            station_id=row["station"],
            station=row["station_identity"],
            station_name=row["station_name"],
            reason=row["reason"],
            state=PushState(row["state"]),
            method=None if row["method"] is None else PushMethod(row["method"]),
            answer=row["answer"],
            list_version=row["list_version"],
            attempts=row["attempts"],
            last_attempt_at=row["last_attempt_at"],
            next_attempt_at=row["next_attempt_at"] if row["state"] == PushState.PENDING else None,
            updated_at=row["updated_at"],
        )
        for row in rows
    ]


async def due_stations(now: datetime) -> list[int]:
    rows = (
        await TokenPush.select(TokenPush.station)
        .distinct()
        .where((TokenPush.state == PushState.PENDING) & (TokenPush.next_attempt_at <= now))
    )
    return [row["station"] for row in rows]


async def waiting_identities() -> set[str]:
    """Stations with pushes waiting for them (offline or unanswered)."""
    rows = (
        await TokenPush.select(TokenPush.station.identity.as_alias("identity"))
        .distinct()
        .where(TokenPush.state == PushState.PENDING)
    )
    return {row["identity"] for row in rows}


async def station_reconnected(identity: str, now: datetime) -> None:
    """The station is back: what waits for it is due now."""
    station = (
        await ChargeStation.select(ChargeStation.id)
        .where(ChargeStation.identity == identity)
        .first()
    )
    if station is None:
        return
    await TokenPush.update({TokenPush.next_attempt_at: now}).where(
        (TokenPush.station == station["id"])
        & (TokenPush.state == PushState.PENDING)
        & (TokenPush.next_attempt_at > now)
    )


async def _claim(station_id: int, now: datetime) -> bool:
    await StationAuthList.insert(StationAuthList(station=station_id)).on_conflict(
        target=StationAuthList.station, action="DO NOTHING"
    )
    claimed = (
        await StationAuthList.update({StationAuthList.claimed_until: now + LEASE})
        .where(
            (StationAuthList.station == station_id)
            & (StationAuthList.claimed_until.is_null() | (StationAuthList.claimed_until < now))
        )
        .returning(StationAuthList.id)
    )
    return bool(claimed)


async def _release(station_id: int) -> None:
    await StationAuthList.update({StationAuthList.claimed_until: None}).where(
        StationAuthList.station == station_id
    )


async def push_station(ctx: Context, station_id: int) -> None:
    """Send what is due for one station, batch by batch, unless another node serves it."""
    if not await _claim(station_id, ctx.clock.now()):
        return
    try:
        while await _push_batch(ctx, station_id):
            pass
    finally:
        await _release(station_id)


class _Due(msgspec.Struct, frozen=True):
    push_id: int
    revision: int
    attempts: int
    token_id: int
    uid: str


async def _push_batch(ctx: Context, station_id: int) -> bool:
    """One batch; True when it was answered and more may be due."""
    now = ctx.clock.now()
    rows = (
        await TokenPush.select(
            TokenPush.id,
            TokenPush.revision,
            TokenPush.attempts,
            TokenPush.token,
            TokenPush.token.uid.as_alias("uid"),
        )
        .where(
            (TokenPush.station == station_id)
            & (TokenPush.state == PushState.PENDING)
            & (TokenPush.next_attempt_at <= now)
        )
        .order_by(TokenPush.id)
        .limit(BATCH_SIZE)
    )
    if not rows:
        return False
    due = [_Due(r["id"], r["revision"], r["attempts"], r["token"], r["uid"]) for r in rows]
    station = (
        await ChargeStation.select(ChargeStation.identity)
        .where(ChargeStation.id == station_id)
        .first()
    )
    if station is None:
        return False
    identity: str = station["identity"]
    try:
        method = await _method(ctx, station_id, identity)
        if method is None:
            await _finish(ctx, due, PushState.NOT_SUPPORTED, None, "no local list or cache")
            return True
        if method is PushMethod.SEND_LOCAL_LIST and all(rules.fits_local_list(d.uid) for d in due):
            sent = await _send_local_list(ctx, station_id, identity, due)
            if sent:
                return True
        answer = await send_command(ctx, identity, ClearCache())
        if answer.status == "Accepted":
            await _finish(ctx, due, PushState.ACCEPTED, PushMethod.CLEAR_CACHE, answer.status)
        else:
            await _attempt_failed(ctx, due, PushMethod.CLEAR_CACHE, answer.status)
        return True
    except ChargerUnavailable:
        await _postpone(ctx, due, OFFLINE)
        return False
    except ChargerTimeout as error:
        await _attempt_failed(ctx, due, None, error.message)
        return False
    except ChargerError as error:
        # ClearCache is Core: a station that refuses even that cannot be told.
        await _finish(ctx, due, PushState.NOT_SUPPORTED, PushMethod.CLEAR_CACHE, error.message)
        return True


async def _method(ctx: Context, station_id: int, identity: str) -> PushMethod | None:
    try:
        answer = await send_command(ctx, identity, GetConfiguration(keys=CONFIGURATION_KEYS))
        configuration: dict[str, str | None] | None = {
            item.key: item.value for item in answer.configuration or ()
        }
    except ChargerError:
        configuration = None
    method = rules.push_method(configuration)
    await StationAuthList.update(
        {StationAuthList.method: method, StationAuthList.checked_at: ctx.clock.now()}
    ).where(StationAuthList.station == station_id)
    return method


async def _entries(due: list[_Due], now: datetime) -> list[LocalListEntry]:
    """The cards' entries as they stand now, with the cards of their groups."""
    token_ids = [d.token_id for d in due]
    tokens = await IdToken.select(
        IdToken.id,
        IdToken.operator,
        IdToken.uid,
        IdToken.status,
        IdToken.expires_at,
        IdToken.group_id,
        IdToken.allow_concurrent_sessions,
    ).where(IdToken.id.is_in(token_ids))
    operator_id = tokens[0]["operator"] if tokens else 0
    uids = [token["uid"] for token in tokens]
    members = await IdToken.select(
        IdToken.id,
        IdToken.uid,
        IdToken.status,
        IdToken.expires_at,
        IdToken.group_id,
        IdToken.allow_concurrent_sessions,
    ).where((IdToken.operator == operator_id) & IdToken.group_id.is_in(uids or [""]))
    everyone = {row["uid"]: row for row in [*tokens, *members]}
    groups = {
        row["uid"]: row
        for row in await IdToken.select(
            IdToken.uid, IdToken.status, IdToken.expires_at, IdToken.allow_concurrent_sessions
        ).where(
            (IdToken.operator == operator_id)
            & IdToken.uid.is_in(
                sorted({r["group_id"] for r in everyone.values() if r["group_id"]}) or [""]
            )
        )
    }
    entries = []
    for uid, row in sorted(everyone.items()):
        if not rules.fits_local_list(uid):
            continue
        group = groups.get(row["group_id"]) if row["group_id"] != uid else None
        status = rules.local_list_status(
            _facts(row), None if group is None else _facts(group), now=now
        )
        parent = (
            row["group_id"] if row["group_id"] and rules.fits_local_list(row["group_id"]) else None
        )
        entries.append(
            LocalListEntry(
                id_tag=uid, status=status.value, expires_at=row["expires_at"], parent_id_tag=parent
            )
        )
    return entries


def _facts(row: dict[str, Any]) -> rules.TokenFacts:
    return rules.TokenFacts(
        TokenStatus(row["status"]), row["expires_at"], bool(row["allow_concurrent_sessions"])
    )


async def _send_local_list(ctx: Context, station_id: int, identity: str, due: list[_Due]) -> bool:
    """A differential update; False when the station does not take local lists after all."""
    known_row = (
        await StationAuthList.select(StationAuthList.list_version)
        .where(StationAuthList.station == station_id)
        .first()
    )
    known = int(known_row["list_version"]) if known_row else 0
    entries = tuple(await _entries(due, ctx.clock.now()))
    version = rules.next_list_version(known)
    try:
        answer = await send_command(
            ctx,
            identity,
            SendLocalList(list_version=version, update_type="Differential", entries=entries),
        )
        if answer.status == "VersionMismatch":
            reported = await send_command(ctx, identity, GetLocalListVersion())
            version = rules.next_list_version(known, reported.list_version)
            answer = await send_command(
                ctx,
                identity,
                SendLocalList(list_version=version, update_type="Differential", entries=entries),
            )
    except ChargerError:
        return False  # NotImplemented / NotSupported as a CallError: clear its cache instead
    if answer.status == "NotSupported":
        return False
    if answer.status == "Accepted":
        await StationAuthList.update({StationAuthList.list_version: version}).where(
            StationAuthList.station == station_id
        )
        await _finish(
            ctx, due, PushState.ACCEPTED, PushMethod.SEND_LOCAL_LIST, answer.status, version
        )
    else:
        await _attempt_failed(ctx, due, PushMethod.SEND_LOCAL_LIST, _answer(answer))
    return True


def _answer(result: CommandResult) -> str:
    return result.status[:200]


async def _finish(
    ctx: Context,
    due: list[_Due],
    state: PushState,
    method: PushMethod | None,
    answer: str,
    list_version: int | None = None,
) -> None:
    now = ctx.clock.now()
    async with database.transaction():
        for item in due:
            # A change of the card meanwhile (newer revision) keeps the row pending.
            await TokenPush.update(
                {
                    TokenPush.state: state,
                    TokenPush.method: method,
                    TokenPush.answer: answer[:200],
                    TokenPush.list_version: list_version,
                    TokenPush.attempts: item.attempts + 1,
                    TokenPush.last_attempt_at: now,
                    TokenPush.updated_at: now,
                }
            ).where((TokenPush.id == item.push_id) & (TokenPush.revision == item.revision))


async def _attempt_failed(
    ctx: Context, due: list[_Due], method: PushMethod | None, answer: str
) -> None:
    now = ctx.clock.now()
    async with database.transaction():
        for item in due:
            attempts = item.attempts + 1
            gave_up = attempts >= rules.PUSH_MAX_ATTEMPTS
            await TokenPush.update(
                {
                    TokenPush.state: PushState.FAILED if gave_up else PushState.PENDING,
                    TokenPush.method: method,
                    TokenPush.answer: answer[:200],
                    TokenPush.attempts: attempts,
                    TokenPush.last_attempt_at: now,
                    TokenPush.next_attempt_at: now + rules.push_retry_delay(attempts),
                    TokenPush.updated_at: now,
                }
            ).where((TokenPush.id == item.push_id) & (TokenPush.revision == item.revision))
    log.warning("pushing %d cards: %s", len(due), answer)


async def _postpone(ctx: Context, due: list[_Due], answer: str) -> None:
    """Offline: no attempt spent; tried again when the station reconnects."""
    now = ctx.clock.now()
    async with database.transaction():
        for item in due:
            await TokenPush.update(
                {
                    TokenPush.answer: answer,
                    TokenPush.next_attempt_at: now + OFFLINE_RETRY,
                    TokenPush.updated_at: now,
                }
            ).where((TokenPush.id == item.push_id) & (TokenPush.revision == item.revision))
