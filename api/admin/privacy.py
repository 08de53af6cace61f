"""Privacy requests in the admin API: the operator's list, and completing (erasing the user
as far as the law allows) or declining a request to be erased. Operator admins decide;
every decision is audited and mailed to the user."""

from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK

from api.auth import CallingOperator
from cpo.privacy import service as privacy
from cpo.privacy.enums import RequestKind, RequestStatus


class PrivacyRequestController(Controller):
    path = "/api/admin/privacy-requests"
    tags = ["admin: privacy"]

    @get(
        summary="The operator's privacy requests, newest first",
        description="Filter with `status` (open, done, declined) and `kind` (deletion, export).",
        cache_control=None,
    )
    async def list_requests(
        self,
        operator: CallingOperator,
        status: FromQuery[RequestStatus | None] = None,
        kind: FromQuery[RequestKind | None] = None,
    ) -> list[privacy.AdminRequestView]:
        return await privacy.list_requests(operator.operator_id, status=status, kind=kind)

    @post(
        "/{request_id:int}/complete",
        status_code=HTTP_200_OK,
        summary="Erase the user (operator admins)",
        description=(
            "Deletes the login (passkeys, login sessions, links), replaces e-mail and name, "
            "disables the user, blocks and unlinks their app tokens, and for a person with no "
            "invoice erases the customer's name, e-mail and VAT ID. Invoices and charge detail "
            "records stay (§ 147 AO, § 14b UStG). 409 `session_running` while they charge."
        ),
    )
    async def complete(
        self, operator: CallingOperator, state: State, request_id: FromPath[int]
    ) -> Response[privacy.AdminRequestView]:
        decided, mails = await privacy.complete_deletion(state.ctx, operator, request_id)
        return Response(decided, background=BackgroundTask(privacy.send_mails, state.ctx, mails))

    @post(
        "/{request_id:int}/decline",
        status_code=HTTP_200_OK,
        summary="Decline a request to be erased (operator admins)",
        description="`reason` is mailed to the user.",
    )
    async def decline(
        self,
        operator: CallingOperator,
        state: State,
        request_id: FromPath[int],
        data: JSONBody[privacy.Decline],
    ) -> Response[privacy.AdminRequestView]:
        decided, mails = await privacy.decline_deletion(state.ctx, operator, request_id, data)
        return Response(decided, background=BackgroundTask(privacy.send_mails, state.ctx, mails))
