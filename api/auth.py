"""Who is calling: operator API tokens (`Authorization: Bearer cpo_…`) for the admin API, and
logged-in users (the `cpo_session` cookie) for the web app.

Cookie sessions: the cookie is HttpOnly (scripts never see the token), SameSite=Lax (not
sent with cross-site POSTs) and Secure when the public URL is https. Every POST, PUT, PATCH
and DELETE that a cookie authenticates must also carry `X-CSRF-Token` with the session's
CSRF token (from `GET /api/me` or the login answer), else 403 `csrf_failed`. Login requests
themselves have no session yet; they must be JSON (`Content-Type: application/json`), which
a cross-site form cannot send, so nobody can log a browser into their own account.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from cpo.accounts import service as accounts
from cpo.accounts.enums import Role
from cpo.accounts.rules import CUSTOMER_ROLES, OPERATOR_ROLES
from cpo.accounts.service import NewLogin, UserRef
from cpo.context import Context
from cpo.errors import CsrfFailed, NotAuthenticated
from cpo.i18n import negotiate
from cpo.operators.service import OperatorRef, authenticate_api_token, operator_caller

SESSION_COOKIE = "cpo_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_USER_KEY = "cpo_user"


async def provide_operator(request: Request[Any, Any, Any], state: State) -> OperatorRef:
    """An operator's script (API token) or an operator's staff in the web app (session
    cookie and CSRF token); both act for exactly one operator."""
    header = request.headers.get("authorization", "")
    if not header and SESSION_COOKIE in request.cookies:
        user = await current_user(request)
        accounts.require_role(user, OPERATOR_ROLES, request_language(request, user))
        return await operator_caller(user)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated(
            "log in as operator staff, or send an operator API token: Authorization: Bearer cpo_…"
        )
    operator = await authenticate_api_token(state.ctx, token.strip())
    if operator is None:
        raise NotAuthenticated("the API token is unknown or revoked")
    return operator


# What an admin route declares to get the calling operator.
CallingOperator = NamedDependency[OperatorRef]


def request_language(
    connection: ASGIConnection[Any, Any, Any, Any], user: UserRef | None = None
) -> str:
    """`?lang=` first, then the user's saved language, then the browser's."""
    requested = connection.query_params.get("lang") or (user.language if user else None)
    return negotiate(connection.headers.get("accept-language"), requested)


async def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> UserRef:
    """The logged-in user of the request (checked once per request, then remembered)."""
    cached = connection.scope.get("state", {}).get(_USER_KEY)
    if isinstance(cached, UserRef):
        return cached
    ctx: Context = connection.app.state.ctx
    language = request_language(connection)
    token = connection.cookies.get(SESSION_COOKIE, "")
    user = await accounts.authenticate(ctx, token, language)
    if connection.scope.get("method", "GET") not in _SAFE_METHODS:
        sent = connection.headers.get(CSRF_HEADER)
        accounts.check_csrf(user, sent, request_language(connection, user))
    connection.scope.setdefault("state", {})[_USER_KEY] = user
    return user


async def provide_user(request: Request[Any, Any, Any]) -> UserRef:
    return await current_user(request)


# What a route declares to get the logged-in user (401 without a valid session cookie).
CurrentUser = NamedDependency[UserRef]


def requires_role(*roles: Role) -> Guard:
    """A guard: only users with one of `roles` pass (401 when not logged in, 403 otherwise)."""
    allowed = frozenset(roles)

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        user = await current_user(connection)
        accounts.require_role(user, allowed, request_language(connection, user))

    return guard


customers_only = requires_role(*CUSTOMER_ROLES)
operator_staff_only = requires_role(*OPERATOR_ROLES)
operator_admins_only = requires_role(Role.OPERATOR_ADMIN, Role.PLATFORM_ADMIN)


def client_ip(request: Request[Any, Any, Any]) -> str:
    """The caller's address, for rate limits (kept only as a keyed hash)."""
    return request.client.host if request.client else "unknown"


def require_json(request: Request[Any, Any, Any]) -> None:
    """Login requests come from our own scripts as JSON, never from a cross-site form."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        raise CsrfFailed("login requests are JSON (Content-Type: application/json)")


def _secure(ctx: Context) -> bool:
    return ctx.settings.base_url.startswith("https://")


def session_cookie(ctx: Context, login: NewLogin) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=login.token,
        max_age=login.cookie_max_age_s,
        path="/",
        httponly=True,
        secure=_secure(ctx),
        samesite="lax",
    )


def cleared_session_cookie(ctx: Context) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value="",
        max_age=0,
        expires=0,
        path="/",
        httponly=True,
        secure=_secure(ctx),
        samesite="lax",
    )
