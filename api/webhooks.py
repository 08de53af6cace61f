"""Payment providers' webhooks: verified over the raw body, stored once, then applied."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Response
from litestar.status_codes import HTTP_200_OK

from cpo.errors import InvalidInput
from cpo.payments import webhooks
from cpo.payments.schemas import InvalidWebhook, ProviderError, ProviderName

MAX_WEBHOOK_BYTES = 256 * 1024


class Received(msgspec.Struct, frozen=True):
    received: bool


@post(
    "/api/webhooks/{provider:str}/{account_id:int}",
    status_code=HTTP_200_OK,
    summary="A payment provider's webhook",
    tags=["webhooks"],
    description=(
        "Point the provider's webhook at this URL with the payment account's number "
        "(Stripe: payment_intent.*, setup_intent.* and charge.refunded events; PayPal: "
        "PAYMENT.AUTHORIZATION.*, PAYMENT.CAPTURE.*, CHECKOUT.ORDER.APPROVED)."
    ),
)
async def provider_webhook(
    request: Request[Any, Any, Any],
    state: State,
    provider: FromPath[str],
    account_id: FromPath[int],
) -> Response[Received]:
    try:
        name = ProviderName(provider)
    except ValueError:
        raise InvalidInput(f"unknown provider {provider!r}", code="unknown_provider") from None
    body = await request.body()
    if len(body) > MAX_WEBHOOK_BYTES:
        raise InvalidInput("webhook too large", code="webhook_too_large")
    try:
        await webhooks.handle_webhook(state.ctx, name, account_id, dict(request.headers), body)
    except InvalidWebhook as error:
        raise InvalidInput(f"webhook refused: {error}", code="invalid_webhook") from None
    except ProviderError:
        # Verifying needs the provider (PayPal): let it redeliver later.
        return Response(Received(False), status_code=503)
    return Response(Received(True), status_code=HTTP_200_OK)
