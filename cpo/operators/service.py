"""Operators and the API tokens their scripts use for the admin API."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

import msgspec

from cpo import database
from cpo.accounts.enums import Role
from cpo.accounts.service import UserRef
from cpo.context import Context
from cpo.errors import InvalidInput, NotAllowed, NotFound
from cpo.operators.tables import ApiToken, Operator

TOKEN_PREFIX = "cpo_"  # noqa: S105 (a prefix, not a secret)
# Writing last_used_at on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ActorKind(StrEnum):
    API_TOKEN = "api_token"  # noqa: S105 (a kind of actor, not a secret)
    USER = "user"  # an operator's staff, logged in
    CUSTOMER = "customer"  # a contract customer's driver or fleet manager, logged in
    SYSTEM = "system"


class OperatorRef(msgspec.Struct, frozen=True, kw_only=True):
    """Who calls the admin API for which operator: every admin query is scoped to
    `operator_id`, every change is written to the audit log under the actor."""

    operator_id: int
    slug: str
    token_id: int | None = None
    actor_kind: ActorKind = ActorKind.API_TOKEN
    # The token's or user's id, and a name a person recognises (token name, e-mail).
    actor_id: int | None = None
    actor_name: str = ""
    # API tokens act as operator admins (whoever holds one may change everything).
    role: Role = Role.OPERATOR_ADMIN

    @property
    def is_admin(self) -> bool:
        return self.role in OPERATOR_ADMIN_ROLES


# Operator staff read, block cards and send commands to chargers; admins change the rest.
OPERATOR_ADMIN_ROLES = frozenset({Role.OPERATOR_ADMIN, Role.PLATFORM_ADMIN})


def require_admin(caller: OperatorRef) -> None:
    """Changes beyond card blocking and charger commands are for operator admins."""
    if not caller.is_admin:
        raise NotAllowed(
            "operator staff may read, block cards and send commands; this needs an operator admin",
            code="forbidden_role",
        )


class ApiTokenView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def operator_by_slug(slug: str) -> OperatorRef:
    row = await Operator.select(Operator.id, Operator.slug).where(Operator.slug == slug).first()
    if row is None:
        raise NotFound(f"no operator {slug!r}")
    return OperatorRef(
        operator_id=row["id"], slug=row["slug"], actor_kind=ActorKind.SYSTEM, actor_name="system"
    )


async def operator_caller(user: UserRef) -> OperatorRef:
    """A logged-in operator user as the caller of the admin API."""
    slug = await Operator.select(Operator.slug).where(Operator.id == user.operator_id).first()
    if slug is None:
        raise NotFound("no such operator")
    return OperatorRef(
        operator_id=user.operator_id,
        slug=slug["slug"],
        actor_kind=ActorKind.USER,
        actor_id=user.user_id,
        actor_name=user.email,
        role=user.role,
    )


async def create_api_token(
    ctx: Context, operator_id: int, name: str, *, token: str | None = None
) -> tuple[str, ApiTokenView]:
    """A new token (shown to the caller once; only its hash is kept)."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput("a token needs a name of 1 to 100 characters")
    plain = token or TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with database.transaction():
        rows = await ApiToken.insert(
            ApiToken(
                operator=operator_id,
                name=name,
                token_hash=_digest(plain),
                prefix=plain[:12],
                created_at=ctx.clock.now(),
            )
        ).returning(ApiToken.id)
    return plain, await _token_view(operator_id, rows[0]["id"])


async def _token_view(operator_id: int, token_id: int) -> ApiTokenView:
    row = (
        await ApiToken.select()
        .where((ApiToken.id == token_id) & (ApiToken.operator == operator_id))
        .first()
    )
    if row is None:
        raise NotFound(f"no API token {token_id}")
    return ApiTokenView(
        id=row["id"],
        name=row["name"],
        prefix=row["prefix"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
    )


async def revoke_api_token(ctx: Context, operator_id: int, token_id: int) -> ApiTokenView:
    await _token_view(operator_id, token_id)
    async with database.transaction():
        await ApiToken.update({ApiToken.revoked_at: ctx.clock.now()}).where(
            (ApiToken.id == token_id) & ApiToken.revoked_at.is_null()
        )
    return await _token_view(operator_id, token_id)


async def authenticate_api_token(ctx: Context, token: str) -> OperatorRef | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = (
        await ApiToken.select(
            ApiToken.id,
            ApiToken.name,
            ApiToken.operator,
            ApiToken.operator.slug,
            ApiToken.last_used_at,
        )
        .where((ApiToken.token_hash == _digest(token)) & ApiToken.revoked_at.is_null())
        .first()
    )
    if row is None:
        return None
    now = ctx.clock.now()
    if row["last_used_at"] is None or now - row["last_used_at"] >= LAST_USED_RESOLUTION:
        async with database.transaction():
            await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["id"])
    return OperatorRef(
        operator_id=row["operator"],
        slug=row["operator.slug"],
        token_id=row["id"],
        actor_kind=ActorKind.API_TOKEN,
        actor_id=row["id"],
        actor_name=f"API token {row['name']}",
    )
