"""Accounts over HTTP: log in (passkey or e-mail link), log out, the user's own data, and
charging under the customer's contract from the phone. Only translates HTTP ↔ calls of
`cpo.accounts`; how sessions, cookies and CSRF tokens work is said in `api/auth.py`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED

from api.auth import (
    CurrentUser,
    cleared_session_cookie,
    client_ip,
    current_user,
    operator_staff_only,
    require_json,
    session_cookie,
)
from cpo.accounts import charging, my_cards, passkeys
from cpo.accounts import fleet as company
from cpo.accounts import service as accounts
from cpo.accounts.service import MeView, NewLogin, UserRef
from cpo.billing import customers as my_billing
from cpo.context import Context
from cpo.errors import NotAuthenticated
from cpo.i18n import negotiate
from cpo.privacy import service as privacy

AcceptLanguage = Annotated[str | None, HeaderParameter(name="Accept-Language")]
UserAgent = Annotated[str | None, HeaderParameter(name="User-Agent")]


def _language(user: UserRef, lang: str | None, accept_language: str | None) -> str:
    """`?lang=` first, then the user's saved language, then the browser's."""
    return negotiate(accept_language, lang or user.language)


async def _logged_in(ctx: Context, login: NewLogin) -> Response[MeView]:
    return Response(await accounts.me(login.user), cookies=[session_cookie(ctx, login)])


class AuthController(Controller):
    path = "/api/auth"
    tags = ["account"]

    @post(
        "/email-link",
        status_code=HTTP_202_ACCEPTED,
        summary="Send a login link by e-mail",
        description=(
            "Always 202, whether the address has an account or not. With one, a link to "
            "`/login/{token}` arrives by mail, valid once for 15 minutes. `operator` (a slug) "
            "picks the account where the address has several. Too many requests from one "
            "client get 429; more than a few for one address send nothing."
        ),
    )
    async def email_link(
        self,
        request: Request[Any, Any, Any],
        state: State,
        data: JSONBody[accounts.LoginLinkRequest],
        accept_language: AcceptLanguage = None,
    ) -> Response[bytes]:
        require_json(request)
        ctx: Context = state.ctx
        language = negotiate(accept_language, data.language or None)
        mails = await accounts.request_login_links(ctx, data, language, client_ip(request))
        # Sent after answering, so that the answer takes as long with an account as without.
        return Response(
            b"",
            status_code=HTTP_202_ACCEPTED,
            media_type=MediaType.TEXT,
            background=BackgroundTask(accounts.send_mails, ctx, mails),
        )

    @post(
        "/email-link/redeem",
        status_code=HTTP_200_OK,
        summary="Log in with the token of a login link",
        description="Sets the session cookie and returns the user with the CSRF token.",
    )
    async def redeem(
        self,
        request: Request[Any, Any, Any],
        state: State,
        data: JSONBody[accounts.LoginLinkRedemption],
        accept_language: AcceptLanguage = None,
        user_agent: UserAgent = None,
    ) -> Response[MeView]:
        require_json(request)
        login = await accounts.redeem_login_link(
            state.ctx, data.token, user_agent or "", negotiate(accept_language)
        )
        return await _logged_in(state.ctx, login)

    @post(
        "/passkeys/login-options",
        status_code=HTTP_200_OK,
        summary="Start logging in with a passkey",
        description=(
            "Options for `navigator.credentials.get()` (JSON form, base64url) and the "
            "`ceremony_id` to send back. Without `email` the device offers its passkeys "
            "for this site (discoverable credentials)."
        ),
    )
    async def login_options(
        self,
        request: Request[Any, Any, Any],
        state: State,
        data: JSONBody[passkeys.LoginOptionsRequest],
    ) -> passkeys.Ceremony:
        require_json(request)
        return await passkeys.login_options(state.ctx, data)

    @post(
        "/passkeys/login",
        status_code=HTTP_200_OK,
        summary="Log in with a passkey",
        description=(
            "`credential` is the `PublicKeyCredential` as its `toJSON()` gives it. Sets "
            "the session cookie and returns the user with the CSRF token."
        ),
    )
    async def passkey_login(
        self,
        request: Request[Any, Any, Any],
        state: State,
        data: JSONBody[passkeys.PasskeyLogin],
        accept_language: AcceptLanguage = None,
        user_agent: UserAgent = None,
    ) -> Response[MeView]:
        require_json(request)
        login = await passkeys.login(state.ctx, data, user_agent or "", negotiate(accept_language))
        return await _logged_in(state.ctx, login)

    @post(
        "/passkeys/register-options",
        status_code=HTTP_200_OK,
        summary="Start adding a passkey (logged in)",
        description="Options for `navigator.credentials.create()` (JSON form, base64url).",
    )
    async def register_options(self, state: State, user: CurrentUser) -> passkeys.Ceremony:
        return await passkeys.registration_options(state.ctx, user)

    @post(
        "/passkeys/register",
        status_code=HTTP_201_CREATED,
        summary="Add a passkey (logged in)",
        description="`credential` is the new `PublicKeyCredential` as `toJSON()` gives it.",
    )
    async def register(
        self, state: State, user: CurrentUser, data: JSONBody[passkeys.Registration]
    ) -> passkeys.PasskeyView:
        return await passkeys.register(state.ctx, user, data)

    @post(
        "/logout",
        status_code=204,
        summary="Log out",
        description="Ends the session and clears the cookie (needs the CSRF token).",
    )
    async def logout(self, request: Request[Any, Any, Any], state: State) -> Response[None]:
        try:
            user = await current_user(request)
        except NotAuthenticated:
            user = None  # nothing to end: only the cookie goes
        if user is not None:
            await accounts.logout(state.ctx, user)
        return Response(None, status_code=204, cookies=[cleared_session_cookie(state.ctx)])


class MeController(Controller):
    path = "/api/me"
    tags = ["account"]

    @get("/", summary="The logged-in user", cache_control=None)
    async def me(self, user: CurrentUser) -> MeView:
        return await accounts.me(user)

    @patch("/", summary="Change name or language")
    async def change(
        self, state: State, user: CurrentUser, data: JSONBody[accounts.MeChanges]
    ) -> MeView:
        return await accounts.change_me(state.ctx, user, data)

    @get("/passkeys", summary="The user's passkeys")
    async def list_passkeys(self, user: CurrentUser) -> list[passkeys.PasskeyView]:
        return await passkeys.list_passkeys(user)

    @delete("/passkeys/{passkey_id:int}", summary="Remove a passkey")
    async def delete_passkey(
        self, state: State, user: CurrentUser, passkey_id: FromPath[int]
    ) -> None:
        await passkeys.delete_passkey(state.ctx, user, passkey_id)

    @get(
        "/evses/{evse_id:str}/price",
        summary="What charging here costs under the user's contract",
    )
    async def price(
        self,
        state: State,
        user: CurrentUser,
        evse_id: FromPath[str],
        lang: FromQuery[str | None] = None,
        accept_language: AcceptLanguage = None,
    ) -> charging.ContractPrice:
        return await charging.contract_price(
            state.ctx, user, evse_id, _language(user, lang, accept_language)
        )

    @get(
        "/sessions",
        summary="The customer's charging sessions, newest first",
        description=(
            "App and card sessions alike, with energy and cost: from the charge detail "
            "record once billed (`final`), else so far. Page with `before` (a session id)."
        ),
        cache_control=None,
    )
    async def sessions(
        self,
        state: State,
        user: CurrentUser,
        limit: Annotated[int, QueryParameter(ge=1, le=charging.MAX_SESSIONS_PAGE)] = 20,
        before: FromQuery[int | None] = None,
        lang: FromQuery[str | None] = None,
        accept_language: AcceptLanguage = None,
    ) -> list[charging.MySession]:
        return await charging.my_sessions(
            state.ctx,
            user,
            _language(user, lang, accept_language),
            limit=limit,
            before=before,
        )

    @get(
        "/invoices",
        summary="The customer's invoices, newest first",
        description="For a person's own account and a company's fleet manager (else 403).",
        cache_control=None,
    )
    async def invoices(
        self,
        user: CurrentUser,
        lang: FromQuery[str | None] = None,
        accept_language: AcceptLanguage = None,
    ) -> list[my_billing.MyInvoice]:
        return await my_billing.my_invoices(user, _language(user, lang, accept_language))

    @get("/invoices/{invoice_id:int}/pdf", summary="One of the customer's invoices as PDF")
    async def invoice_pdf(
        self,
        user: CurrentUser,
        invoice_id: FromPath[int],
        lang: FromQuery[str | None] = None,
        accept_language: AcceptLanguage = None,
    ) -> Response[bytes]:
        invoice, document = await my_billing.my_invoice_pdf(
            user, invoice_id, _language(user, lang, accept_language)
        )
        return Response(
            document,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="{invoice.number}.pdf"',
                "Cache-Control": "private, no-store",
            },
        )

    @post(
        "/sessions/{session_id:int}/stop",
        status_code=HTTP_200_OK,
        summary="Stop one of the customer's sessions",
    )
    async def stop(
        self,
        state: State,
        user: CurrentUser,
        session_id: FromPath[int],
        lang: FromQuery[str | None] = None,
        accept_language: AcceptLanguage = None,
    ) -> charging.MySession:
        return await charging.stop_my_session(
            state.ctx, user, session_id, _language(user, lang, accept_language)
        )


class MyCardsController(Controller):
    path = "/api/me/cards"
    tags = ["account"]

    @get(
        summary="The cards and app tokens the user may see",
        description=(
            "As sessions: a driver their own (and a person's unassigned cards), a fleet "
            "manager all of the company's. With status, who blocked it, holder, cost centre "
            "and when each was last used."
        ),
        cache_control=None,
    )
    async def cards(
        self,
        user: CurrentUser,
        lang: FromQuery[str | None] = None,
        accept_language: AcceptLanguage = None,
    ) -> list[my_cards.MyCard]:
        return await my_cards.my_cards(user, _language(user, lang, accept_language))

    @post(
        "/{card_id:int}/block",
        status_code=HTTP_200_OK,
        summary="Block a lost card at once",
        description=(
            "Refused at its next authorization, and pushed to every station's local list or "
            "cache, as when the operator blocks it. Another's card is 404 `card_not_found`."
        ),
    )
    async def block(
        self,
        state: State,
        user: CurrentUser,
        card_id: FromPath[int],
        lang: FromQuery[str | None] = None,
        accept_language: AcceptLanguage = None,
    ) -> my_cards.MyCard:
        return await my_cards.set_my_card_blocked(
            state.ctx, user, card_id, True, _language(user, lang, accept_language)
        )

    @post(
        "/{card_id:int}/unblock",
        status_code=HTTP_200_OK,
        summary="Unblock a card the customer blocked",
        description=(
            "Only a block made in the app: a card the operator blocked is 403 "
            "`blocked_by_operator` with the support contact in the message."
        ),
    )
    async def unblock(
        self,
        state: State,
        user: CurrentUser,
        card_id: FromPath[int],
        lang: FromQuery[str | None] = None,
        accept_language: AcceptLanguage = None,
    ) -> my_cards.MyCard:
        return await my_cards.set_my_card_blocked(
            state.ctx, user, card_id, False, _language(user, lang, accept_language)
        )


class FleetController(Controller):
    path = "/api/me/fleet"
    tags = ["account"]

    @get(
        summary="The company's people and cards (fleet managers)",
        description="Drivers and fleet managers with their last login and tokens; every card "
        "with holder, cost centre and status. Others get 403 `forbidden_role`.",
        cache_control=None,
    )
    async def people_and_cards(
        self,
        user: CurrentUser,
        lang: FromQuery[str | None] = None,
        accept_language: AcceptLanguage = None,
    ) -> company.Fleet:
        return await company.fleet(user, _language(user, lang, accept_language))

    @patch(
        "/cards/{card_id:int}",
        summary="Set a card's cost centre, label or holder (fleet managers)",
        description=(
            'Fields left out stay; `cost_centre` "" clears it; `holder_id` is one of the '
            "company's people, or null. Sessions already charged keep their cost centre."
        ),
    )
    async def change_card(
        self,
        state: State,
        user: CurrentUser,
        card_id: FromPath[int],
        data: JSONBody[company.FleetCardChange],
        lang: FromQuery[str | None] = None,
        accept_language: AcceptLanguage = None,
    ) -> my_cards.MyCard:
        return await company.change_fleet_card(
            state.ctx, user, card_id, data, _language(user, lang, accept_language)
        )

    @get(
        "/sessions",
        summary="A month per cost centre (fleet managers)",
        description=(
            "`period` YYYY-MM (Europe/Berlin, by the time a session stopped, as invoices): "
            "per cost centre the sessions, energy (Wh) and gross cost per currency "
            "(corrections counted), and per driver; running sessions apart."
        ),
        cache_control=None,
    )
    async def month(
        self,
        state: State,
        user: CurrentUser,
        period: Annotated[str, QueryParameter(max_length=7)],
        lang: FromQuery[str | None] = None,
        accept_language: AcceptLanguage = None,
    ) -> company.FleetMonth:
        return await company.fleet_month(
            state.ctx, user, period, _language(user, lang, accept_language)
        )

    @get(
        "/sessions.csv",
        summary="The company's sessions as CSV (fleet managers)",
        description=(
            "One row per charge detail record whose session stopped in [date_from, date_to) "
            "(days in Europe/Berlin): " + ", ".join(company.CSV_COLUMNS) + ". For German "
            "Excel: semicolons, decimal comma, local times, UTF-8 with BOM; texts defused."
        ),
        media_type="text/csv",
    )
    async def sessions_csv(
        self,
        user: CurrentUser,
        date_from: FromQuery[date],
        date_to: FromQuery[date],
        lang: FromQuery[str | None] = None,
        accept_language: AcceptLanguage = None,
    ) -> Stream:
        chunks = await company.fleet_csv(
            user, date_from, date_to, _language(user, lang, accept_language)
        )
        name = f"sessions-{date_from.isoformat()}-{date_to.isoformat()}.csv"
        return Stream(
            chunks,
            media_type="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "private, no-store",
            },
        )


class MyDataController(Controller):
    path = "/api/me"
    tags = ["account"]

    @get(
        "/data",
        summary="Download everything the platform holds about the user (JSON)",
        description=(
            "Profile, customer, cards and tokens, sessions with their records' amounts, "
            "invoices, passkeys (names and dates), login sessions, drivers' reports filed "
            "with the user's e-mail, and privacy requests. Each download is recorded."
        ),
    )
    async def data(
        self,
        state: State,
        user: CurrentUser,
        lang: FromQuery[str | None] = None,
        accept_language: AcceptLanguage = None,
    ) -> Response[bytes]:
        exported = await privacy.export_my_data(
            state.ctx, user, _language(user, lang, accept_language)
        )
        name = f"my-data-{exported.exported_at.date().isoformat()}.json"
        return Response(
            msgspec.json.format(msgspec.json.encode(exported)),
            media_type=MediaType.JSON,
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "private, no-store",
            },
        )

    @get(
        "/privacy-requests",
        summary="The user's privacy requests (downloads, erasure)",
        cache_control=None,
    )
    async def requests(self, user: CurrentUser) -> list[privacy.RequestView]:
        return await privacy.my_requests(user)

    @post(
        "/deletion-request",
        status_code=HTTP_202_ACCEPTED,
        summary="Ask the operator to erase the account",
        description=(
            "Recorded (open) and confirmed by mail; the operator's support is told. Invoices "
            "and charge detail records are kept for 10 years (§ 147 AO, § 14b UStG). Asking "
            "again while a request is open answers with it."
        ),
    )
    async def deletion_request(
        self,
        state: State,
        user: CurrentUser,
        lang: FromQuery[str | None] = None,
        accept_language: AcceptLanguage = None,
    ) -> Response[privacy.RequestView]:
        request, mails = await privacy.request_deletion(
            state.ctx, user, _language(user, lang, accept_language)
        )
        return Response(
            request,
            status_code=HTTP_202_ACCEPTED,
            background=BackgroundTask(privacy.send_mails, state.ctx, mails),
        )


class ContractChargingController(Controller):
    path = "/api/evses"
    tags = ["account"]

    @post(
        "/{evse_id:str}/contract-sessions",
        status_code=HTTP_202_ACCEPTED,
        summary="Charge here under the customer's contract (logged in)",
        description=(
            "Starts the charge point with the user's app token; no payment. The session "
            "appears in `GET /api/me/sessions` once the charge point reports the start."
        ),
    )
    async def start(
        self,
        state: State,
        user: CurrentUser,
        evse_id: FromPath[str],
        lang: FromQuery[str | None] = None,
        accept_language: AcceptLanguage = None,
    ) -> charging.ContractStart:
        return await charging.start_charging(
            state.ctx, user, evse_id, _language(user, lang, accept_language)
        )


class OperatorCustomersController(Controller):
    path = "/api/operator/customers"
    tags = ["operator"]
    guards = [operator_staff_only]

    @get("/", summary="The operator's contract customers (operator staff)")
    async def customers(self, user: CurrentUser) -> list[accounts.CustomerView]:
        return await accounts.list_customers(user.operator_id)
