"""Token use cases: create tokens and answer "may this token charge here?"."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cpo import database
from cpo.context import Context
from cpo.errors import Conflict, InvalidInput
from cpo.payments.ad_hoc import token_is_usable
from cpo.ports import RoamingTokenAnswer
from cpo.sessions.enums import SessionState
from cpo.sessions.tables import ChargingSession
from cpo.stations.enums import RegistrationStatus
from cpo.stations.schemas import StationRef
from cpo.stations.service import registration_status
from cpo.tokens import rules
from cpo.tokens.enums import AuthorizationStatus, TokenStatus, TokenType
from cpo.tokens.schemas import Authorization, TokenSpec
from cpo.tokens.tables import IdToken

MAX_UID_LENGTH = 36


async def create_token(ctx: Context, spec: TokenSpec) -> int:
    uid = rules.normalize_uid(spec.uid)
    if not uid or len(uid) > MAX_UID_LENGTH:
        raise InvalidInput(f"a token uid has 1 to {MAX_UID_LENGTH} characters")
    now = ctx.clock.now()
    async with database.transaction():
        if await IdToken.exists().where(
            (IdToken.operator == spec.operator_id) & (IdToken.uid == uid)
        ):
            raise Conflict(f"token {uid} exists")
        rows = await IdToken.insert(
            IdToken(
                operator=spec.operator_id,
                uid=uid,
                type=spec.type,
                status=spec.status,
                expires_at=spec.expires_at,
                group_id=spec.group_id and rules.normalize_uid(spec.group_id),
                contract_id=spec.contract_id,
                label=spec.label,
                allow_concurrent_sessions=spec.allow_concurrent_sessions,
                customer_group=spec.customer_group,
                blocked_at=now if spec.status is TokenStatus.BLOCKED else None,
                created_at=now,
                updated_at=now,
            )
        ).returning(IdToken.id)
    return int(rows[0]["id"])


async def authorize(
    ctx: Context,
    station: StationRef,
    id_tag: str,
    *,
    for_session_id: int | None = None,
    ask_partner: bool = True,
) -> Authorization:
    """Decide for a token presented at `station` (Authorize, StartTransaction, StopTransaction).

    `for_session_id` is the session the token is starting, so that it does not count as a
    concurrent session of its own. A token the operator did not issue is a roaming partner's:
    the partner decides (`ctx.roaming`); without `ask_partner` only from what we know already.
    """
    now = ctx.clock.now()
    uid = rules.normalize_uid(id_tag)
    token = await _token(station.operator_id, uid)
    if token is None or token["issuer_country_code"]:
        answer = await ctx.roaming.authorize(station, uid, ask_partner=ask_partner)
        if answer is not None:
            return await _roaming_authorization(ctx, station, uid, answer, for_session_id)
        status = rules.decide(None, None, now=now, has_other_active_session=False)
        return Authorization(status, token_id=None if token is None else token["id"])
    token_type = TokenType(token["type"])
    if token_type is TokenType.AD_HOC_USER:
        # A one-time token starts exactly the session that was paid for, nothing else.
        usable = await token_is_usable(token["id"])
        return Authorization(
            AuthorizationStatus.ACCEPTED if usable else AuthorizationStatus.INVALID,
            token_id=token["id"],
            token_type=token_type,
        )
    group = None
    if token["group_id"] and token["group_id"] != uid:
        group = await _token(station.operator_id, token["group_id"])
    status = rules.decide(
        _facts(token),
        None if group is None else _facts(group),
        now=now,
        has_other_active_session=await _has_other_active_session(token["id"], for_session_id, now),
        station_accepted=await registration_status(station) is RegistrationStatus.ACCEPTED,
    )
    return Authorization(
        status,
        token_id=token["id"],
        token_type=token_type,
        expires_at=token["expires_at"],
        group_id=token["group_id"],
    )


async def consult_roaming_partner(ctx: Context, station: StationRef, id_tag: str) -> None:
    """Let a roaming partner decide about a token we did not issue, before a transaction
    that must not wait on the network asks again with `ask_partner=False`."""
    uid = rules.normalize_uid(id_tag)
    token = await _token(station.operator_id, uid)
    if token is None or token["issuer_country_code"]:
        await ctx.roaming.authorize(station, uid, ask_partner=True)


async def _roaming_authorization(
    ctx: Context,
    station: StationRef,
    uid: str,
    answer: RoamingTokenAnswer,
    for_session_id: int | None,
) -> Authorization:
    """A partner's verdict, with the card kept as a token of its issuer (so that its
    sessions and records name the provider that bills the driver)."""
    now = ctx.clock.now()
    group_id = answer.group_id and rules.normalize_uid(answer.group_id)
    values: dict[Any, Any] = {
        IdToken.type: answer.token_type,
        IdToken.contract_id: answer.contract_id[:MAX_UID_LENGTH] or None,
        IdToken.group_id: group_id[:MAX_UID_LENGTH] if group_id else None,
        IdToken.issuer_country_code: answer.issuer_country_code,
        IdToken.issuer_party_id: answer.issuer_party_id,
        IdToken.updated_at: now,
    }
    async with database.transaction():
        existing = await _token(station.operator_id, uid)
        if existing is None:
            rows = await IdToken.insert(
                IdToken(operator=station.operator_id, uid=uid, created_at=now, label="roaming")
            ).returning(IdToken.id)
            token_id = int(rows[0]["id"])
        else:
            token_id = existing["id"]
        await IdToken.update(values).where(IdToken.id == token_id)
    status = answer.status
    if status is AuthorizationStatus.ACCEPTED:
        status = rules.decide(
            rules.TokenFacts(TokenStatus.ACTIVE, None),
            None,
            now=now,
            has_other_active_session=await _has_other_active_session(token_id, for_session_id, now),
            station_accepted=await registration_status(station) is RegistrationStatus.ACCEPTED,
        )
    return Authorization(
        status, token_id=token_id, token_type=answer.token_type, group_id=values[IdToken.group_id]
    )


async def customer_group(token_id: int | None) -> str | None:
    """The group that selects a token's contract tariff, if it has one."""
    if token_id is None:
        return None
    row = await IdToken.select(IdToken.customer_group).where(IdToken.id == token_id).first()
    return None if row is None else row["customer_group"]


async def _token(operator_id: int, uid: str) -> dict[str, Any] | None:
    row: dict[str, Any] | None = (
        await IdToken.select(
            IdToken.id,
            IdToken.type,
            IdToken.status,
            IdToken.expires_at,
            IdToken.group_id,
            IdToken.allow_concurrent_sessions,
            IdToken.issuer_country_code,
        )
        .where((IdToken.operator == operator_id) & (IdToken.uid == uid))
        .first()
    )
    return row


def _facts(row: dict[str, Any]) -> rules.TokenFacts:
    return rules.TokenFacts(
        TokenStatus(row["status"]), row["expires_at"], bool(row["allow_concurrent_sessions"])
    )


async def _has_other_active_session(
    token_id: int, for_session_id: int | None, now: datetime
) -> bool:
    alive_since = now - rules.CONCURRENT_SESSION_STALE_AFTER
    condition = (
        (ChargingSession.id_token == token_id)
        & (ChargingSession.state == SessionState.ACTIVE)
        & (
            (ChargingSession.started_at >= alive_since)
            | (ChargingSession.last_sample_at >= alive_since)
        )
    )
    if for_session_id is not None:
        condition &= ChargingSession.id != for_session_id
    return bool(await ChargingSession.exists().where(condition))
