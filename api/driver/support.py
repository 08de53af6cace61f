"""Drivers report a problem at a charge point (no login) and follow the operator's answer."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from api.auth import client_ip
from cpo.i18n import negotiate
from cpo.support import rules
from cpo.support import service as support

AcceptLanguage = Annotated[str | None, HeaderParameter(name="Accept-Language")]


class ProblemController(Controller):
    path = "/api/evses"
    tags = ["driver"]

    @post(
        "/{evse_id:str}/problems",
        status_code=HTTP_201_CREATED,
        summary="Report a problem at a charge point",
        description=(
            "`kind`: wont_start, cable_stuck, damaged, price_wrong or other; a description, "
            "and optionally an e-mail address (the operator's answer is mailed there) or a "
            "phone number, and the `session_token` of the driver's session here. Returns "
            "the ticket's `token`: photos go to `POST /api/support/tickets/{token}/photos`, "
            "the answer is at `GET /api/support/tickets/{token}`. Five reports per client "
            "and hour (then 429)."
        ),
    )
    async def report(
        self,
        request: Request[Any, Any, Any],
        state: State,
        evse_id: FromPath[str],
        data: JSONBody[support.ProblemReport],
    ) -> support.ReportReceipt:
        return await support.report_problem(state.ctx, evse_id, data, client_ip(request))


class DriverTicketController(Controller):
    path = "/api/support/tickets"
    tags = ["driver"]

    @get(
        "/{token:str}", summary="A reported problem and the operator's answers", cache_control=None
    )
    async def ticket(self, state: State, token: FromPath[str]) -> support.DriverTicketView:
        return await support.driver_view(state.ctx, token)

    @post(
        "/{token:str}/photos",
        status_code=HTTP_204_NO_CONTENT,
        summary="Add a photo to a problem just reported",
        description=(
            "The picture itself as the body (JPEG, PNG or WebP, up to 5 MB; the type is read "
            "from the bytes). At most three, within 30 minutes of the report."
        ),
        request_max_body_size=rules.MAX_PHOTO_BYTES + 1,
    )
    async def add_photo(
        self,
        request: Request[Any, Any, Any],
        state: State,
        token: FromPath[str],
        lang: FromQuery[str | None] = None,
        accept_language: AcceptLanguage = None,
    ) -> None:
        body = await request.body()
        await support.add_photo(state.ctx, token, body, negotiate(accept_language, lang))
