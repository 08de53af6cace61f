"""Operators: the platform admin creates them; each operator's admins keep their brand."""

from __future__ import annotations

from litestar import Controller, Response, get, patch, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED

from api.auth import CallingOperator
from cpo.accounts import service as accounts
from cpo.operators import platform


class PlatformOperatorController(Controller):
    path = "/api/platform/operators"
    tags = ["platform"]

    @get(summary="All operators (platform admins)", cache_control=None)
    async def list_operators(self, operator: CallingOperator) -> list[platform.OperatorView]:
        return await platform.list_operators(operator)

    @post(
        status_code=HTTP_201_CREATED,
        summary="Create an operator and invite its first admin (platform admins)",
        description=(
            "`slug` (lower case, digits, hyphens), `name`, `country_code` and `party_id` (as "
            "in EVSE IDs and OCPI), `currency`, optional `branding`, and `admin_email`: that "
            "person gets a login link by e-mail, valid once for 7 days."
        ),
    )
    async def create_operator(
        self, operator: CallingOperator, state: State, data: JSONBody[platform.NewOperator]
    ) -> Response[platform.OperatorView]:
        created, invitation = await platform.create_operator(state.ctx, operator, data)
        return Response(
            created,
            status_code=HTTP_201_CREATED,
            background=BackgroundTask(accounts.send_mails, state.ctx, [invitation]),
        )


class OperatorProfileController(Controller):
    path = "/api/admin/operator"
    tags = ["admin: operator"]

    @get(summary="The caller's operator: profile and brand", cache_control=None)
    async def profile(self, operator: CallingOperator) -> platform.OperatorView:
        return await platform.own_profile(operator)

    @patch(
        summary="Change the brand and contacts (operator admins)",
        description=(
            "Name, legal name, colours (`#rrggbb`; the app picks readable text colours), "
            "logo (https), support e-mail and phone, website, address and legal details for "
            "receipts. Fields left out stay as they are."
        ),
    )
    async def change(
        self, operator: CallingOperator, state: State, data: JSONBody[platform.Branding]
    ) -> platform.OperatorView:
        return await platform.change_branding(state.ctx, operator, data)
