"""Pure rules of accounts: who may do what, how long a login lasts, how often one may ask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from cpo.accounts.enums import CustomerKind, Role, ThrottleScope

MAX_EMAIL_LENGTH = 254

# Roles of a contract customer's people, and of an operator's staff.
CUSTOMER_ROLES = frozenset({Role.DRIVER, Role.FLEET_MANAGER})
OPERATOR_ROLES = frozenset({Role.OPERATOR_STAFF, Role.OPERATOR_ADMIN, Role.PLATFORM_ADMIN})
# Who may start and stop charging with the customer's contract from the phone.
CHARGING_ROLES = CUSTOMER_ROLES

LOGIN_LINK_TTL = timedelta(minutes=15)
# An invitation is a login link that waits for its reader longer: it arrives unasked.
INVITATION_TTL = timedelta(days=7)
CHALLENGE_TTL = timedelta(minutes=5)
# A sliding session's expiry is pushed out at most this often (not a write per request).
SESSION_REFRESH_RESOLUTION = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    lifetime: timedelta
    sliding: bool  # True: lifetime counts from the last use; False: from the login


DRIVER_SESSIONS = SessionPolicy(timedelta(days=30), sliding=True)
# Operator staff reach every customer and charger of their operator: one working day.
STAFF_SESSIONS = SessionPolicy(timedelta(hours=8), sliding=False)


def session_policy(role: Role) -> SessionPolicy:
    return STAFF_SESSIONS if role in OPERATOR_ROLES else DRIVER_SESSIONS


def refreshed_expiry(policy: SessionPolicy, expires_at: datetime, now: datetime) -> datetime | None:
    """The new expiry of a session used `now`, or None when it stays as it is."""
    if not policy.sliding:
        return None
    candidate = now + policy.lifetime
    if candidate - expires_at < SESSION_REFRESH_RESOLUTION:
        return None
    return candidate


def session_is_valid(expires_at: datetime, revoked_at: datetime | None, now: datetime) -> bool:
    return revoked_at is None and now < expires_at


def normalize_email(email: str) -> str:
    """The lookup key of an address: trimmed and lower-cased (the local part is
    case-insensitive at every provider we know; RFC 5321 permits it to differ, nobody does)."""
    return email.strip().lower()


def is_plausible_email(email: str) -> bool:
    address = email.strip()
    if not 3 <= len(address) <= MAX_EMAIL_LENGTH or address.count("@") != 1:
        return False
    local, domain = address.split("@")
    return bool(local) and "." in domain.strip(".") and not any(c.isspace() for c in address)


@dataclass(frozen=True, slots=True)
class Limit:
    requests: int
    window: timedelta


# E-mail links: a few per address (mail bombing), more per client (scanning for accounts).
THROTTLE_LIMITS = {
    ThrottleScope.EMAIL: Limit(5, timedelta(hours=1)),
    ThrottleScope.CLIENT: Limit(20, timedelta(hours=1)),
}
THROTTLE_KEEP = max(limit.window for limit in THROTTLE_LIMITS.values())


def over_limit(scope: ThrottleScope, recent_requests: int) -> bool:
    """True when one more request would exceed the scope's limit."""
    return recent_requests >= THROTTLE_LIMITS[scope].requests


def may_see_token(
    *,
    role: Role,
    user_id: int,
    customer_id: int | None,
    customer_kind: CustomerKind | None,
    token_customer_id: int | None,
    token_holder_id: int | None,
) -> bool:
    """Whose sessions a customer's user sees: a fleet manager every token of the customer;
    a driver the tokens they hold, and the customer's unassigned cards when the customer is
    a person (a company's unassigned cards are the fleet manager's business)."""
    if customer_id is None or token_customer_id != customer_id:
        return False
    if role is Role.FLEET_MANAGER:
        return True
    if role is not Role.DRIVER:
        return False
    if token_holder_id == user_id:
        return True
    return token_holder_id is None and customer_kind is CustomerKind.PERSON


def pays_for_customer(role: Role, customer_kind: CustomerKind) -> bool:
    """Who answers for the customer's money: a company's fleet manager, a person's own
    login (a company's drivers only charge)."""
    if role is Role.FLEET_MANAGER:
        return True
    return role is Role.DRIVER and customer_kind is CustomerKind.PERSON


# Contracts run in the operator's calendar, as its billing does.
CONTRACT_TIME_ZONE = ZoneInfo("Europe/Berlin")


def contract_expiry(ends_on: date | None) -> datetime | None:
    """When a contract's cards and app tokens stop working: at the midnight after its last
    day (a contract ending on the 31st still charges on the 31st); None without an end."""
    if ends_on is None:
        return None
    following = ends_on + timedelta(days=1)
    midnight = datetime(following.year, following.month, following.day, tzinfo=CONTRACT_TIME_ZONE)
    return midnight.astimezone(UTC)


def contract_term_is_valid(starts_on: date | None, ends_on: date | None) -> bool:
    return starts_on is None or ends_on is None or starts_on <= ends_on


def may_see_invoices(role: Role, customer_kind: CustomerKind) -> bool:
    """A company's invoices are its fleet manager's; a person's are the person's own."""
    return pays_for_customer(role, customer_kind)


def may_manage_payment_method(role: Role, customer_kind: CustomerKind) -> bool:
    """The method invoices are paid with (a card, a direct debit mandate) is chosen by
    whom the invoices go to."""
    return pays_for_customer(role, customer_kind)
