"""Contract customers in the admin API: list, create, change, and invite their people."""

from __future__ import annotations

from litestar import Controller, Response, get, patch, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from api.auth import CallingOperator
from cpo.accounts import customers
from cpo.accounts import service as accounts


class CustomerController(Controller):
    path = "/api/admin/customers"
    tags = ["admin: customers"]

    @get(summary="The operator's contract customers", cache_control=None)
    async def list_customers(self, operator: CallingOperator) -> list[accounts.CustomerView]:
        return await accounts.list_customers(operator.operator_id)

    @post(
        status_code=HTTP_201_CREATED,
        summary="Create a customer (operator admins)",
        description=(
            "`kind` person or company, `name`, `email` (where invoices go), `vat_id` (B2B), "
            "`customer_group` (selects the contract tariff, e.g. employees)."
        ),
    )
    async def create(
        self, operator: CallingOperator, state: State, data: JSONBody[accounts.CustomerInput]
    ) -> accounts.CustomerView:
        return await customers.create(state.ctx, operator, data)

    @get(
        "/{customer_id:int}",
        summary="A customer with its people, cards and invoices",
        cache_control=None,
    )
    async def customer(
        self, operator: CallingOperator, customer_id: FromPath[int]
    ) -> customers.CustomerDetail:
        return await customers.detail(operator.operator_id, customer_id)

    @patch(
        "/{customer_id:int}",
        summary="Change a customer (operator admins)",
        description="A new `customer_group` moves all the customer's cards and app tokens.",
    )
    async def change(
        self,
        operator: CallingOperator,
        state: State,
        customer_id: FromPath[int],
        data: JSONBody[customers.CustomerChanges],
    ) -> accounts.CustomerView:
        return await customers.change(state.ctx, operator, customer_id, data)

    @post(
        "/{customer_id:int}/users",
        status_code=HTTP_201_CREATED,
        summary="Invite a driver or fleet manager (operator admins)",
        description=(
            "Creates the user (a driver gets an app token to charge with) and mails an "
            "invitation: a login link valid once for 7 days, after which they add a passkey."
        ),
    )
    async def invite(
        self,
        operator: CallingOperator,
        state: State,
        customer_id: FromPath[int],
        data: JSONBody[customers.Invitation],
    ) -> Response[accounts.UserView]:
        user, mail = await customers.invite(state.ctx, operator, customer_id, data)
        return Response(
            user,
            status_code=HTTP_201_CREATED,
            background=BackgroundTask(accounts.send_mails, state.ctx, [mail]),
        )
