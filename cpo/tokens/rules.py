"""Authorization decisions: which answer a token gets, decided without I/O."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from cpo.tokens.enums import AuthorizationStatus, TokenStatus

# A session counts as still running for the ConcurrentTx rule only while it shows signs of
# life; a charger that never reported its stop must not lock a card out forever.
CONCURRENT_SESSION_STALE_AFTER = timedelta(hours=24)


class TokenFacts(msgspec.Struct, frozen=True):
    status: TokenStatus
    expires_at: datetime | None
    allow_concurrent_sessions: bool = False


def normalize_uid(id_tag: str) -> str:
    """RFID UIDs arrive in either case and sometimes padded; OCPP idTags are case-insensitive."""
    return id_tag.strip().upper()


def decide(
    token: TokenFacts | None,
    group: TokenFacts | None,
    *,
    now: datetime,
    has_other_active_session: bool,
    station_accepted: bool = True,
) -> AuthorizationStatus:
    """The answer for a token presented at a charger.

    Order matters: an unknown token is Invalid; a block (of the card or its group) beats an
    expiry; an expired card beats a concurrent session.
    """
    if token is None or not station_accepted:
        return AuthorizationStatus.INVALID
    if token.status is TokenStatus.BLOCKED or (
        group is not None and group.status is TokenStatus.BLOCKED
    ):
        return AuthorizationStatus.BLOCKED
    if _is_expired(token, now) or (group is not None and _is_expired(group, now)):
        return AuthorizationStatus.EXPIRED
    if has_other_active_session and not token.allow_concurrent_sessions:
        return AuthorizationStatus.CONCURRENT_TX
    return AuthorizationStatus.ACCEPTED


def _is_expired(token: TokenFacts, now: datetime) -> bool:
    return token.status is TokenStatus.EXPIRED or (
        token.expires_at is not None and token.expires_at <= now
    )
