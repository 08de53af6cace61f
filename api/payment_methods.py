"""A contract customer's payment method on file over HTTP (`/api/me/payment-method`): the
method and the newest setup, starting a setup (a card or SEPA Direct Debit), confirming it
when the browser comes back, removing the method. Only translates HTTP ↔ calls of
`cpo.payments.saved_methods`; who may (a person's own login, a company's fleet manager) is
decided there, CSRF and login in `api/auth.py`."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post
from litestar.datastructures import State
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth import CurrentUser, client_ip, request_language
from cpo.payments import saved_methods
from cpo.payments.saved_methods import PaymentMethodView, SetupStart, SetupStep

UserAgent = Annotated[str | None, HeaderParameter(name="User-Agent")]


class PaymentMethodController(Controller):
    path = "/api/me/payment-method"
    tags = ["account"]

    @get(
        "/",
        summary="The customer's payment method on file, and the newest setup",
        description=(
            "For a person's own account and a company's fleet manager (else 403 "
            "`payment_method_not_yours`). `method` is what invoices may be charged to "
            "(null: they are paid by bank transfer); `setup` the newest setup when it is not "
            "the method yet: `pending`, or `failed` with `message` in plain words; `offered` "
            "false when the operator's payment provider keeps no methods on file; "
            "`creditor` is whom a SEPA Direct Debit mandate authorises."
        ),
        cache_control=None,
    )
    async def current(
        self, request: Request[Any, Any, Any], state: State, user: CurrentUser
    ) -> PaymentMethodView:
        return await saved_methods.my_payment_method(
            state.ctx, user, request_language(request, user)
        )

    @post(
        "/setups",
        status_code=HTTP_201_CREATED,
        summary="Start adding (or replacing) the payment method",
        description=(
            "`kind` card or sepa_debit; `client_key` chosen by the browser per attempt (the "
            "same key resumes the same setup); for sepa_debit `mandate_accepted` true once "
            "the customer read the mandate (else 422 `mandate_not_accepted`). The answer is "
            "what the browser needs: `client_secret` and `publishable_key` for Stripe's "
            "Payment Element in setup mode (`stripe.confirmSetup` with `return_url`), or "
            "`redirect_url`, the page to send the customer to (the local fake). 409 "
            "`method_on_file_not_offered` where the provider keeps no methods on file."
        ),
    )
    async def start(
        self,
        request: Request[Any, Any, Any],
        state: State,
        user: CurrentUser,
        data: JSONBody[SetupStart],
        user_agent: UserAgent = None,
    ) -> SetupStep:
        return await saved_methods.start_setup(
            state.ctx,
            user,
            data,
            client_ip=client_ip(request),
            user_agent=user_agent or "",
            language=request_language(request, user),
        )

    @post(
        "/setups/{setup_id:int}/confirm",
        status_code=HTTP_200_OK,
        summary="The customer is back from entering the method: what became of it",
        description=(
            "Asks the payment provider (the browser's word is not taken) and answers like "
            "`GET /api/me/payment-method`. Safe to repeat; the provider's webhook finishes "
            "the setup as well."
        ),
    )
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        state: State,
        user: CurrentUser,
        setup_id: FromPath[int],
    ) -> PaymentMethodView:
        return await saved_methods.confirm_setup(
            state.ctx, user, setup_id, request_language(request, user)
        )

    @delete(
        "/{method_id:int}",
        status_code=HTTP_200_OK,
        summary="Remove the payment method on file",
        description=(
            "Invoices are paid by bank transfer again; the method is detached at the payment "
            "provider. 404 `payment_method_not_found` when it is not (any more) on file."
        ),
    )
    async def remove(
        self,
        request: Request[Any, Any, Any],
        state: State,
        user: CurrentUser,
        method_id: FromPath[int],
    ) -> PaymentMethodView:
        return await saved_methods.remove_method(
            state.ctx, user, method_id, request_language(request, user)
        )
