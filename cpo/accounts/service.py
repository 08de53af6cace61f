"""Account use cases: customers and users, login sessions, and login by e-mail link.

A login session is a random token in the browser's cookie; the database keeps its SHA-256,
so a copy of the database logs nobody in. Every state-changing request of a logged-in
browser also carries the session's CSRF token (`check_csrf`). Passkeys are in `passkeys.py`,
charging under the customer's contract in `charging.py`.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
import secrets
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any

import msgspec

from cpo import database, messages, sealing
from cpo.accounts import rules
from cpo.accounts.enums import CustomerKind, LoginMethod, Role, ThrottleScope
from cpo.accounts.tables import (
    AuthThrottle,
    Customer,
    LoginLink,
    LoginSession,
    Passkey,
    User,
)
from cpo.billing import rules as billing_rules
from cpo.context import Context
from cpo.errors import (
    Conflict,
    CsrfFailed,
    InvalidInput,
    NotAllowed,
    NotAuthenticated,
    NotFound,
    TooManyRequests,
)
from cpo.i18n import SUPPORTED_LANGUAGES, negotiate, translator
from cpo.operators.tables import Operator
from cpo.ports import MailNotSent, OutgoingMail
from cpo.tokens import rules as token_rules
from cpo.tokens.enums import TokenStatus, TokenType
from cpo.tokens.tables import IdToken

log = logging.getLogger(__name__)

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=rules.MAX_EMAIL_LENGTH)]
Language = Annotated[str, msgspec.Meta(max_length=35)]
USER_AGENT_MAX = 300
TOKEN_MAX_LENGTH = 100
# App tokens are OCPP idTags: at most 20 characters.
APP_TOKEN_PREFIX = "AP"  # noqa: S105 (a prefix, not a secret)


# --- shapes -----------------------------------------------------------------------------


Street = Annotated[str, msgspec.Meta(max_length=200)]
PostalCode = Annotated[str, msgspec.Meta(max_length=16)]
City = Annotated[str, msgspec.Meta(max_length=100)]
# ISO 3166-1 alpha-2, upper case.
CountryCode = Annotated[str, msgspec.Meta(pattern="^[A-Z]{2}$")]
PaymentTermsDays = Annotated[int, msgspec.Meta(ge=0, le=billing_rules.MAX_PAYMENT_TERMS_DAYS)]


class CustomerInput(msgspec.Struct, frozen=True, kw_only=True):
    kind: CustomerKind = CustomerKind.PERSON
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    email: Annotated[str, msgspec.Meta(max_length=rules.MAX_EMAIL_LENGTH)] = ""
    vat_id: Annotated[str, msgspec.Meta(max_length=20)] = ""
    customer_group: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    # The billing address printed on invoices, and the days until an invoice is due.
    street: Street = ""
    postal_code: PostalCode = ""
    city: City = ""
    country_code: CountryCode = "DE"
    payment_terms_days: PaymentTermsDays = billing_rules.DEFAULT_PAYMENT_TERMS_DAYS
    # The contract's term; its end becomes the expiry of the customer's cards and app tokens.
    contract_starts_on: date | None = None
    contract_ends_on: date | None = None


class CustomerView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: CustomerKind
    name: str
    email: str
    vat_id: str
    customer_group: str | None
    street: str
    postal_code: str
    city: str
    country_code: str
    payment_terms_days: int
    contract_starts_on: date | None
    contract_ends_on: date | None


class UserInput(msgspec.Struct, frozen=True, kw_only=True):
    email: Email
    display_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    role: Role = Role.DRIVER
    language: Language = "en"
    customer_id: int | None = None


class UserView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    email: str
    display_name: str
    role: Role
    language: str
    customer_id: int | None
    created_at: datetime
    last_login_at: datetime | None


class UserRef(msgspec.Struct, frozen=True, kw_only=True):
    """The logged-in user a request acts for; every account query is scoped by it."""

    user_id: int
    operator_id: int
    customer_id: int | None
    role: Role
    email: str
    display_name: str
    language: str
    session_id: int
    csrf_token: str
    expires_at: datetime


class NewLogin(msgspec.Struct, frozen=True, kw_only=True):
    """A session just started: the token goes into the cookie, once, and nowhere else."""

    token: str
    user: UserRef
    cookie_max_age_s: int


class OperatorBrief(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    name: str


class MeView(msgspec.Struct, frozen=True, kw_only=True):
    user: UserView
    customer: CustomerView | None
    operator: OperatorBrief
    # Send it back as X-CSRF-Token with every POST, PUT, PATCH and DELETE.
    csrf_token: str
    session_expires_at: datetime
    passkeys: int


class MeChanges(msgspec.Struct, frozen=True, kw_only=True):
    display_name: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    language: Language | None = None


# --- helpers ----------------------------------------------------------------------------


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _language(requested: str | None) -> str:
    return negotiate(None, requested)


def _keyed(ctx: Context, purpose: str, value: str) -> str:
    return sealing.signature(ctx.settings.secret_key, purpose, value)[:64]


def _customer_view(row: dict[str, Any]) -> CustomerView:
    return CustomerView(
        id=row["id"],
        kind=CustomerKind(row["kind"]),
        name=row["name"],
        email=row["email"],
        vat_id=row["vat_id"],
        customer_group=row["customer_group"],
        street=row["street"],
        postal_code=row["postal_code"],
        city=row["city"],
        country_code=row["country_code"],
        payment_terms_days=row["payment_terms_days"],
        contract_starts_on=row["contract_starts_on"],
        contract_ends_on=row["contract_ends_on"],
    )


def _user_view(row: dict[str, Any]) -> UserView:
    return UserView(
        id=row["id"],
        email=row["email"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        language=row["language"],
        customer_id=row["customer"],
        created_at=row["created_at"],
        last_login_at=row["last_login_at"],
    )


# --- customers and users ----------------------------------------------------------------


async def create_customer(ctx: Context, operator_id: int, customer: CustomerInput) -> CustomerView:
    if not customer.name.strip():
        raise InvalidInput("a customer needs a name")
    if customer.email and not rules.is_plausible_email(customer.email):
        raise InvalidInput("the customer's e-mail address is not valid", code="invalid_email")
    check_contract_term(customer.contract_starts_on, customer.contract_ends_on)
    now = ctx.clock.now()
    async with database.transaction():
        rows = await Customer.insert(
            Customer(
                operator=operator_id,
                kind=customer.kind,
                name=customer.name.strip(),
                email=customer.email.strip(),
                vat_id=customer.vat_id.strip(),
                customer_group=customer.customer_group and customer.customer_group.strip(),
                street=customer.street.strip(),
                postal_code=customer.postal_code.strip(),
                city=customer.city.strip(),
                country_code=customer.country_code,
                payment_terms_days=customer.payment_terms_days,
                contract_starts_on=customer.contract_starts_on,
                contract_ends_on=customer.contract_ends_on,
                created_at=now,
                updated_at=now,
            )
        ).returning(Customer.id)
    return await get_customer(operator_id, rows[0]["id"])


async def get_customer(operator_id: int, customer_id: int) -> CustomerView:
    row = (
        await Customer.select()
        .where((Customer.id == customer_id) & (Customer.operator == operator_id))
        .first()
    )
    if row is None:
        raise NotFound(f"no customer {customer_id}", code="customer_not_found")
    return _customer_view(row)


async def list_customers(operator_id: int) -> list[CustomerView]:
    rows = await Customer.select().where(Customer.operator == operator_id).order_by(Customer.id)
    return [_customer_view(row) for row in rows]


async def set_customer_group(
    ctx: Context, operator_id: int, customer_id: int, customer_group: str | None
) -> CustomerView:
    """Change the contract tariff group of a customer and of all its tokens at once."""
    group = (customer_group or "").strip() or None
    if group is not None and len(group) > 64:
        raise InvalidInput("a customer group has 1 to 64 characters")
    now = ctx.clock.now()
    async with database.transaction():
        await get_customer(operator_id, customer_id)
        await Customer.update({Customer.customer_group: group, Customer.updated_at: now}).where(
            Customer.id == customer_id
        )
        await IdToken.update({IdToken.customer_group: group, IdToken.updated_at: now}).where(
            (IdToken.customer == customer_id) & (IdToken.operator == operator_id)
        )
    return await get_customer(operator_id, customer_id)


def check_contract_term(starts_on: date | None, ends_on: date | None) -> None:
    if not rules.contract_term_is_valid(starts_on, ends_on):
        raise InvalidInput("a contract cannot end before it starts", code="invalid_contract_term")


async def set_contract_term(
    ctx: Context,
    operator_id: int,
    customer_id: int,
    starts_on: date | None,
    ends_on: date | None,
) -> list[int]:
    """Change a customer's contract term; its end becomes the expiry of all its cards and app
    tokens (moved out or removed, they work again; a card the operator let expire by hand
    stays expired). Runs in the caller's transaction; returns the tokens whose expiry
    changed, for the caller to push to the stations."""
    check_contract_term(starts_on, ends_on)
    expiry = rules.contract_expiry(ends_on)
    now = ctx.clock.now()
    async with database.transaction():
        await get_customer(operator_id, customer_id)
        await Customer.update(
            {
                Customer.contract_starts_on: starts_on,
                Customer.contract_ends_on: ends_on,
                Customer.updated_at: now,
            }
        ).where(Customer.id == customer_id)
        tokens = await IdToken.select(IdToken.id, IdToken.expires_at).where(
            (IdToken.customer == customer_id) & (IdToken.operator == operator_id)
        )
        changed = [row["id"] for row in tokens if row["expires_at"] != expiry]
        if changed:
            await IdToken.update({IdToken.expires_at: expiry, IdToken.updated_at: now}).where(
                IdToken.id.is_in(changed)
            )
    return changed


async def create_user(ctx: Context, operator_id: int, user: UserInput) -> UserView:
    """A new user. A driver of a customer gets the app token they charge with."""
    if not rules.is_plausible_email(user.email):
        raise InvalidInput("the e-mail address is not valid", code="invalid_email")
    if user.language not in SUPPORTED_LANGUAGES:
        raise InvalidInput(f"supported languages: {', '.join(SUPPORTED_LANGUAGES)}")
    if user.role in rules.CUSTOMER_ROLES and user.customer_id is None:
        raise InvalidInput("drivers and fleet managers belong to a customer")
    if user.role in rules.OPERATOR_ROLES and user.customer_id is not None:
        raise InvalidInput("operator staff belong to no customer")
    customer = None
    if user.customer_id is not None:
        customer = await get_customer(operator_id, user.customer_id)
    email_key = rules.normalize_email(user.email)
    now = ctx.clock.now()
    async with database.transaction():
        taken = (User.operator == operator_id) & (User.email_key == email_key)
        if await User.exists().where(taken):
            raise Conflict(f"{user.email} has an account already", code="email_taken")
        rows = await User.insert(
            User(
                operator=operator_id,
                customer=user.customer_id,
                email=user.email.strip(),
                email_key=email_key,
                display_name=user.display_name.strip(),
                role=user.role,
                language=user.language,
                webauthn_handle=secrets.token_urlsafe(32),
                created_at=now,
            )
        ).returning(User.id)
        user_id = int(rows[0]["id"])
        if customer is not None and user.role is Role.DRIVER:
            await _new_app_token(ctx, operator_id, customer, user_id, user.display_name)
    return await get_user(operator_id, user_id)


async def get_user(operator_id: int, user_id: int) -> UserView:
    row = await User.select().where((User.id == user_id) & (User.operator == operator_id)).first()
    if row is None:
        raise NotFound(f"no user {user_id}", code="user_not_found")
    return _user_view(row)


async def _new_app_token(
    ctx: Context, operator_id: int, customer: CustomerView, user_id: int, label: str
) -> tuple[int, str]:
    now = ctx.clock.now()
    uid = APP_TOKEN_PREFIX + secrets.token_hex(9).upper()
    rows = await IdToken.insert(
        IdToken(
            operator=operator_id,
            uid=uid,
            type=TokenType.APP_USER,
            status=TokenStatus.ACTIVE,
            customer=customer.id,
            holder=user_id,
            customer_group=customer.customer_group,
            expires_at=rules.contract_expiry(customer.contract_ends_on),
            label=f"App: {label or customer.name}"[:200],
            created_at=now,
            updated_at=now,
        )
    ).returning(IdToken.id)
    return int(rows[0]["id"]), uid


async def app_token(ctx: Context, user: UserRef) -> dict[str, Any]:
    """The user's app token (id, uid, status), made when a driver has none yet."""
    if user.customer_id is None:
        raise InvalidInput("only a customer's users charge with an app token")
    condition = (
        (IdToken.holder == user.user_id)
        & (IdToken.type == TokenType.APP_USER)
        & (IdToken.customer == user.customer_id)
    )
    row: dict[str, Any] | None = (
        await IdToken.select(IdToken.id, IdToken.uid, IdToken.status, IdToken.expires_at)
        .where(condition)
        .order_by(IdToken.id)
        .first()
    )
    if row is not None:
        return row
    customer = await get_customer(user.operator_id, user.customer_id)
    async with database.transaction():
        await _new_app_token(ctx, user.operator_id, customer, user.user_id, user.display_name)
    created: dict[str, Any] | None = (
        await IdToken.select(IdToken.id, IdToken.uid, IdToken.status, IdToken.expires_at)
        .where(condition)
        .order_by(IdToken.id)
        .first()
    )
    assert created is not None
    return created


async def assign_token(
    ctx: Context,
    operator_id: int,
    uid: str,
    customer_id: int,
    *,
    holder_user_id: int | None = None,
) -> None:
    """Make an RFID card the customer's (and a user's, for a company card handed to someone):
    its sessions show in their account and are charged under the customer's contract."""
    customer = await get_customer(operator_id, customer_id)
    if holder_user_id is not None:
        holder = await get_user(operator_id, holder_user_id)
        if holder.customer_id != customer_id:
            raise InvalidInput("the card's holder must be a user of the same customer")
    async with database.transaction():
        rows = (
            await IdToken.update(
                {
                    IdToken.customer: customer.id,
                    IdToken.holder: holder_user_id,
                    IdToken.customer_group: customer.customer_group,
                    IdToken.updated_at: ctx.clock.now(),
                }
            )
            .where(
                (IdToken.operator == operator_id)
                & (IdToken.uid == token_rules.normalize_uid(uid))
                & (IdToken.type != TokenType.AD_HOC_USER)
            )
            .returning(IdToken.id)
        )
    if not rows:
        raise NotFound(f"no token {uid}", code="token_not_found")


# --- login sessions ---------------------------------------------------------------------


async def start_session(
    ctx: Context, user_id: int, method: LoginMethod, user_agent: str
) -> NewLogin:
    """Log a user in: a new session, its token for the cookie. Runs inside the caller's
    transaction when there is one (redeeming a link and logging in are one step)."""
    now = ctx.clock.now()
    token = secrets.token_urlsafe(32)
    async with database.transaction():
        user = await User.select(User.role, User.disabled_at).where(User.id == user_id).first()
        if user is None or user["disabled_at"] is not None:
            raise NotAuthenticated("the account is disabled", code="account_disabled")
        policy = rules.session_policy(Role(user["role"]))
        # The user's ended sessions are of no use any more (their tokens are refused alike).
        await LoginSession.delete().where(
            (LoginSession.user == user_id)
            & ((LoginSession.expires_at <= now) | LoginSession.revoked_at.is_not_null())
        )
        await LoginSession.insert(
            LoginSession(
                user=user_id,
                token_hash=digest(token),
                csrf_token=secrets.token_urlsafe(32),
                method=method,
                user_agent=user_agent[:USER_AGENT_MAX],
                created_at=now,
                last_seen_at=now,
                expires_at=now + policy.lifetime,
            )
        )
        await User.update({User.last_login_at: now}).where(User.id == user_id)
    # Sliding sessions outlive any fixed cookie age; the browser keeps the cookie as long as
    # it allows (400 days in Chromium) and the server alone decides when the session ends.
    cookie_age = COOKIE_MAX_AGE_S if policy.sliding else int(policy.lifetime.total_seconds())
    return NewLogin(
        token=token, user=await authenticate(ctx, token, "en"), cookie_max_age_s=cookie_age
    )


COOKIE_MAX_AGE_S = 400 * 24 * 3600


async def authenticate(ctx: Context, token: str, language: str) -> UserRef:
    """The user of a session cookie; NotAuthenticated when it is unknown, expired or revoked."""
    t = translator(_language(language))
    if not token or len(token) > TOKEN_MAX_LENGTH:
        raise NotAuthenticated(t.gettext(messages.NOT_LOGGED_IN))
    row = (
        await LoginSession.select(
            LoginSession.id,
            LoginSession.csrf_token,
            LoginSession.expires_at,
            LoginSession.revoked_at,
            LoginSession.user.id,
            LoginSession.user.operator,
            LoginSession.user.customer,
            LoginSession.user.role,
            LoginSession.user.email,
            LoginSession.user.display_name,
            LoginSession.user.language,
            LoginSession.user.disabled_at,
        )
        .where(LoginSession.token_hash == digest(token))
        .first()
    )
    if row is None:
        raise NotAuthenticated(t.gettext(messages.NOT_LOGGED_IN))
    now = ctx.clock.now()
    if not rules.session_is_valid(row["expires_at"], row["revoked_at"], now):
        raise NotAuthenticated(t.gettext(messages.LOGIN_EXPIRED), code="login_expired")
    if row["user.disabled_at"] is not None:
        raise NotAuthenticated(t.gettext(messages.LOGIN_EXPIRED), code="account_disabled")
    role = Role(row["user.role"])
    expires_at = row["expires_at"]
    refreshed = rules.refreshed_expiry(rules.session_policy(role), expires_at, now)
    if refreshed is not None:
        async with database.transaction():
            await LoginSession.update(
                {LoginSession.expires_at: refreshed, LoginSession.last_seen_at: now}
            ).where((LoginSession.id == row["id"]) & LoginSession.revoked_at.is_null())
        expires_at = refreshed
    return UserRef(
        user_id=row["user.id"],
        operator_id=row["user.operator"],
        customer_id=row["user.customer"],
        role=role,
        email=row["user.email"],
        display_name=row["user.display_name"],
        language=row["user.language"],
        session_id=row["id"],
        csrf_token=row["csrf_token"],
        expires_at=expires_at,
    )


def check_csrf(user: UserRef, sent: str | None, language: str) -> None:
    """A state-changing request must carry the session's CSRF token."""
    if not sent or not hmac.compare_digest(sent.encode(), user.csrf_token.encode()):
        t = translator(_language(language))
        raise CsrfFailed(t.gettext(messages.CSRF_FAILED))


async def customer_allowed(user: UserRef, rule: Callable[[Role, CustomerKind], bool]) -> int | None:
    """The user's customer where `rule` (one of `rules`, e.g. `may_see_invoices`) lets the
    user's role act for a customer of its kind; None otherwise."""
    if user.customer_id is None:
        return None
    row = (
        await Customer.select(Customer.kind)
        .where((Customer.id == user.customer_id) & (Customer.operator == user.operator_id))
        .first()
    )
    if row is None or not rule(user.role, CustomerKind(row["kind"])):
        return None
    return user.customer_id


def require_role(user: UserRef, roles: frozenset[Role], language: str) -> None:
    if user.role not in roles:
        t = translator(_language(language))
        raise NotAllowed(t.gettext(messages.NOT_PERMITTED), code="forbidden_role")


async def logout(ctx: Context, user: UserRef) -> None:
    async with database.transaction():
        await LoginSession.update({LoginSession.revoked_at: ctx.clock.now()}).where(
            (LoginSession.id == user.session_id) & LoginSession.revoked_at.is_null()
        )


async def me(user: UserRef) -> MeView:
    row = await User.select().where(User.id == user.user_id).first()
    operator = (
        await Operator.select(Operator.slug, Operator.name)
        .where(Operator.id == user.operator_id)
        .first()
    )
    assert row is not None
    assert operator is not None
    customer = None
    if user.customer_id is not None:
        customer = await get_customer(user.operator_id, user.customer_id)
    return MeView(
        user=_user_view(row),
        customer=customer,
        operator=OperatorBrief(slug=operator["slug"], name=operator["name"]),
        csrf_token=user.csrf_token,
        session_expires_at=user.expires_at,
        passkeys=await Passkey.count().where(Passkey.user == user.user_id),
    )


async def change_me(ctx: Context, user: UserRef, changes: MeChanges) -> MeView:
    values: dict[Any, Any] = {}
    if changes.display_name is not None:
        values[User.display_name] = changes.display_name.strip()
    if changes.language is not None:
        if changes.language not in SUPPORTED_LANGUAGES:
            raise InvalidInput(f"supported languages: {', '.join(SUPPORTED_LANGUAGES)}")
        values[User.language] = changes.language
    if values:
        async with database.transaction():
            await User.update(values).where(User.id == user.user_id)
    return await me(user)


# --- e-mail links -----------------------------------------------------------------------


class LoginLinkRequest(msgspec.Struct, frozen=True, kw_only=True):
    email: Email
    language: Language = ""
    # The operator whose account is meant (slug); without it, every account of the address
    # gets its own link.
    operator: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class LoginLinkRedemption(msgspec.Struct, frozen=True, kw_only=True):
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=TOKEN_MAX_LENGTH)]


async def request_login_links(
    ctx: Context, request: LoginLinkRequest, language: str, client_ip: str
) -> list[OutgoingMail]:
    """Make a one-time link for every account of the address and return the mails to send.

    Whether the address has an account is never told: the caller answers alike either
    way and sends the mails after answering. Too many requests from one client are refused;
    too many for one address are answered alike but send nothing.
    """
    t = translator(_language(language))
    if not rules.is_plausible_email(request.email):
        raise InvalidInput(t.gettext(messages.INVALID_EMAIL), code="invalid_email")
    email_key = rules.normalize_email(request.email)
    now = ctx.clock.now()
    client_key = _keyed(ctx, "login-throttle-client", client_ip)
    address_key = _keyed(ctx, "login-throttle-email", email_key)
    async with database.transaction():
        await AuthThrottle.delete().where(AuthThrottle.created_at < now - rules.THROTTLE_KEEP)
        client_recent = await _recent(ThrottleScope.CLIENT, client_key, now)
        if rules.over_limit(ThrottleScope.CLIENT, client_recent):
            raise TooManyRequests(t.gettext(messages.TOO_MANY_ATTEMPTS))
        address_recent = await _recent(ThrottleScope.EMAIL, address_key, now)
        await AuthThrottle.insert(
            AuthThrottle(scope=ThrottleScope.CLIENT, key_hash=client_key, created_at=now),
            AuthThrottle(scope=ThrottleScope.EMAIL, key_hash=address_key, created_at=now),
        )
    if rules.over_limit(ThrottleScope.EMAIL, address_recent):
        log.info("login links for one address asked for too often; none sent")
        return []
    condition = (User.email_key == email_key) & User.disabled_at.is_null()
    if request.operator:
        condition &= User.operator.slug == request.operator.strip().lower()
    users = await User.select(
        User.id,
        User.email,
        User.display_name,
        User.operator.name,
        User.operator.support_email,
    ).where(condition)
    mails = []
    for user in users:
        token = secrets.token_urlsafe(32)
        async with database.transaction():
            await LoginLink.delete().where(
                (LoginLink.user == user["id"])
                & ((LoginLink.expires_at <= now) | LoginLink.used_at.is_not_null())
            )
            await LoginLink.insert(
                LoginLink(
                    user=user["id"],
                    token_hash=digest(token),
                    created_at=now,
                    expires_at=now + rules.LOGIN_LINK_TTL,
                )
            )
        mails.append(_login_mail(ctx, user, token, t.language))
    return mails


async def _recent(scope: ThrottleScope, key: str, now: datetime) -> int:
    since = now - rules.THROTTLE_LIMITS[scope].window
    count: int = await AuthThrottle.count().where(
        (AuthThrottle.scope == scope)
        & (AuthThrottle.key_hash == key)
        & (AuthThrottle.created_at > since)
    )
    return count


def login_link_url(ctx: Context, token: str) -> str:
    return f"{ctx.settings.base_url}/login/{token}"


def _login_mail(
    ctx: Context,
    user: dict[str, Any],
    token: str,
    language: str,
    *,
    invited: bool = False,
) -> OutgoingMail:
    """The mail with a login link; an invitation says why it came and how long it lasts."""
    t = translator(language)
    operator = user["operator.name"]
    link = login_link_url(ctx, token)
    greeting = t.gettext(messages.LOGIN_LINK_GREETING).format(
        name=user["display_name"] or user["email"]
    )
    if invited:
        days = rules.INVITATION_TTL.days
        body = t.gettext(messages.INVITATION_BODY).format(operator=operator, days=days)
        subject = t.gettext(messages.INVITATION_SUBJECT).format(operator=operator)
    else:
        minutes = int(rules.LOGIN_LINK_TTL.total_seconds() // 60)
        body = t.gettext(messages.LOGIN_LINK_BODY).format(minutes=minutes, operator=operator)
        subject = t.gettext(messages.LOGIN_LINK_SUBJECT).format(operator=operator)
    once = t.gettext(messages.LOGIN_LINK_ONCE)
    ignore = t.gettext(messages.LOGIN_LINK_IGNORE)
    text = "\n\n".join((greeting, body, link, once, ignore))
    e = html.escape
    page = (
        f'<!doctype html><html lang="{language}"><body style="font-family:sans-serif">'
        f"<p>{e(greeting)}</p><p>{e(body)}</p>"
        f'<p><a href="{e(link)}" style="display:inline-block;padding:12px 20px;'
        f'background:#0b5fff;color:#fff;text-decoration:none;border-radius:6px">'
        f"{e(t.gettext(messages.LOGIN_LINK_BUTTON))}</a></p>"
        f'<p style="word-break:break-all">{e(link)}</p>'
        f"<p>{e(once)}</p><p>{e(ignore)}</p></body></html>"
    )
    support = str(user["operator.support_email"] or "").strip()
    return OutgoingMail(
        to=user["email"],
        subject=subject,
        text=text,
        html=page,
        reply_to=support if rules.is_plausible_email(support) else None,
    )


async def invitation(ctx: Context, operator_id: int, user_id: int) -> OutgoingMail:
    """A login link for a new user, valid once for INVITATION_TTL, in the user's language."""
    user = (
        await User.select(
            User.id,
            User.email,
            User.display_name,
            User.language,
            User.operator.name,
            User.operator.support_email,
        )
        .where((User.id == user_id) & (User.operator == operator_id))
        .first()
    )
    if user is None:
        raise NotFound("no such user", code="user_not_found")
    token = secrets.token_urlsafe(32)
    now = ctx.clock.now()
    async with database.transaction():
        await LoginLink.insert(
            LoginLink(
                user=user_id,
                token_hash=digest(token),
                created_at=now,
                expires_at=now + rules.INVITATION_TTL,
            )
        )
    return _login_mail(ctx, user, token, _language(user["language"]), invited=True)


async def send_mails(ctx: Context, mails: Sequence[OutgoingMail]) -> None:
    """Send login mails after the answer went out; a failure is logged, the user asks again."""
    for mail in mails:
        try:
            await ctx.mailer.send(mail)
        except MailNotSent as error:
            log.warning("a login link could not be sent: %s", error)


async def redeem_login_link(ctx: Context, token: str, user_agent: str, language: str) -> NewLogin:
    """Log in with a link from the mail: once, within its time."""
    t = translator(_language(language))
    now = ctx.clock.now()
    if len(token) > TOKEN_MAX_LENGTH:
        raise NotAuthenticated(t.gettext(messages.LOGIN_LINK_INVALID), code="login_link_invalid")
    async with database.transaction():
        rows = (
            await LoginLink.update({LoginLink.used_at: now})
            .where(
                (LoginLink.token_hash == digest(token))
                & LoginLink.used_at.is_null()
                & (LoginLink.expires_at > now)
            )
            .returning(LoginLink.user)
        )
        if not rows:
            raise NotAuthenticated(
                t.gettext(messages.LOGIN_LINK_INVALID), code="login_link_invalid"
            )
        return await start_session(ctx, int(rows[0]["user"]), LoginMethod.EMAIL_LINK, user_agent)
