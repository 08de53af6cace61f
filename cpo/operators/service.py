"""Operators and the API tokens their scripts use for the admin API."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import msgspec

from cpo import database
from cpo.context import Context
from cpo.errors import InvalidInput, NotFound
from cpo.operators.tables import ApiToken, Operator

TOKEN_PREFIX = "cpo_"  # noqa: S105 (a prefix, not a secret)
# Writing last_used_at on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class OperatorRef(msgspec.Struct, frozen=True):
    """The operator a request acts for; every admin query is scoped to it."""

    operator_id: int
    slug: str
    token_id: int | None = None


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
    return OperatorRef(row["id"], row["slug"])


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
            ApiToken.id, ApiToken.operator, ApiToken.operator.slug, ApiToken.last_used_at
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
    return OperatorRef(row["operator"], row["operator.slug"], row["id"])
