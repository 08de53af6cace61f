"""Authorization decisions: which answer a token gets, decided without I/O."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from cpo.tokens.enums import AuthorizationStatus, PushMethod, TokenStatus

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


# Pushing a card's status to stations ---------------------------------------------------------

LOCAL_LIST_PROFILE = "LocalAuthListManagement"
# OCPP 1.6 IdToken is CiString20: longer uids cannot stand in a local list.
MAX_LOCAL_LIST_ID_TAG = 20
PUSH_RETRY_FIRST = timedelta(seconds=5)
PUSH_RETRY_MAX = timedelta(minutes=10)
# Answered-with-an-error attempts before a push counts as failed (offline never counts).
PUSH_MAX_ATTEMPTS = 5


def push_method(configuration: dict[str, str | None] | None) -> PushMethod | None:
    """How to tell a station of a changed card, from its configuration keys.

    `None` configuration: the station would not say (GetConfiguration failed); every OCPP 1.6
    station has the Core profile's ClearCache, so that is the safe choice. A station with
    neither an enabled local list nor an enabled cache asks us at every card: nothing to do.
    """
    if configuration is None:
        return PushMethod.CLEAR_CACHE
    profiles = {
        profile.strip()
        for profile in (configuration.get("SupportedFeatureProfiles") or "").split(",")
    }
    if LOCAL_LIST_PROFILE in profiles and _enabled(configuration.get("LocalAuthListEnabled")):
        return PushMethod.SEND_LOCAL_LIST
    if _enabled(configuration.get("AuthorizationCacheEnabled")):
        return PushMethod.CLEAR_CACHE
    return None


def _enabled(value: str | None) -> bool:
    # A key the station does not report may still be on: only an explicit "false" is off.
    return value is None or value.strip().lower() != "false"


def next_list_version(known: int, reported: int | None = None) -> int:
    """The version of the next differential update: above ours and above the station's."""
    return max(known, reported or 0) + 1


def fits_local_list(uid: str) -> bool:
    return 0 < len(uid) <= MAX_LOCAL_LIST_ID_TAG


def push_retry_delay(attempts: int) -> timedelta:
    """Backoff after the `attempts`-th unanswered or failed attempt: 5 s, 10 s, … 10 min."""
    delay: timedelta = PUSH_RETRY_FIRST * int(2 ** max(0, min(attempts, 20) - 1))
    return min(delay, PUSH_RETRY_MAX)


def local_list_status(
    token: TokenFacts, group: TokenFacts | None, *, now: datetime
) -> AuthorizationStatus:
    """A card's entry in a station's local list: the answer it gets, without the
    concurrency rule (a station cannot know of sessions at other stations)."""
    return decide(token, group, now=now, has_other_active_session=False)
