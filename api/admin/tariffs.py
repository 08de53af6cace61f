"""Tariffs and where they apply."""

from __future__ import annotations

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from api.auth import CallingOperator
from cpo.operators.service import require_admin
from cpo.tariffs import service as tariffs
from cpo.tariffs.pricing import SessionUsage, price_session
from cpo.tariffs.schemas import PriceBreakdown, TariffDefinition


class PricePreview(msgspec.Struct, frozen=True):
    definition: TariffDefinition
    usage: SessionUsage
    time_zone: str = "Europe/Berlin"


class TariffController(Controller):
    path = "/api/admin/tariffs"
    tags = ["admin: tariffs"]

    @get(summary="The operator's tariffs")
    async def list_tariffs(self, operator: CallingOperator) -> list[tariffs.TariffView]:
        return await tariffs.list_tariffs(operator.operator_id)

    @post(summary="Create a tariff")
    async def create_tariff(
        self, operator: CallingOperator, state: State, data: JSONBody[tariffs.TariffInput]
    ) -> tariffs.TariffView:
        require_admin(operator)
        return await tariffs.create_tariff(state.ctx, operator.operator_id, data, by=operator)

    @get("/{tariff_id:int}", summary="One tariff")
    async def get_tariff(
        self, operator: CallingOperator, tariff_id: FromPath[int]
    ) -> tariffs.TariffView:
        return await tariffs.get_tariff(operator.operator_id, tariff_id)

    @put(
        "/{tariff_id:int}",
        summary="Change a tariff",
        description="Creates a new version. Sessions that already started keep theirs.",
    )
    async def update_tariff(
        self,
        operator: CallingOperator,
        state: State,
        tariff_id: FromPath[int],
        data: JSONBody[tariffs.TariffInput],
    ) -> tariffs.TariffView:
        require_admin(operator)
        return await tariffs.update_tariff(
            state.ctx, operator.operator_id, tariff_id, data, by=operator
        )

    @delete("/{tariff_id:int}", status_code=HTTP_204_NO_CONTENT, summary="Archive a tariff")
    async def archive_tariff(
        self, operator: CallingOperator, state: State, tariff_id: FromPath[int]
    ) -> None:
        require_admin(operator)
        await tariffs.archive_tariff(state.ctx, operator.operator_id, tariff_id, by=operator)

    @post(
        "/preview",
        summary="Price a made-up session",
        description=(
            "What a session with this usage would cost under this definition (nothing is "
            "stored). A definition that makes no sense as a tariff: 422 `invalid_tariff`."
        ),
    )
    async def preview(
        self, operator: CallingOperator, data: JSONBody[PricePreview]
    ) -> PriceBreakdown:
        tariffs.check(data.definition)
        return price_session(data.definition, data.usage, data.time_zone)


class AssignmentController(Controller):
    path = "/api/admin/tariff-assignments"
    tags = ["admin: tariffs"]

    @get(
        summary="Where the operator's tariffs apply",
        description="The operator's default first, then sites, EVSEs and customer groups.",
    )
    async def list_assignments(self, operator: CallingOperator) -> list[tariffs.AssignmentView]:
        return await tariffs.list_assignments(operator.operator_id)

    @put(
        summary="Assign a tariff",
        description=(
            "scope `evse` (target: an EVSE ID), `site` (target: site number), `operator` "
            "(no target: the default ad hoc tariff) or `customer_group` (target: the group; "
            "a REGULAR tariff)."
        ),
    )
    async def assign(
        self, operator: CallingOperator, state: State, data: JSONBody[tariffs.Assignment]
    ) -> tariffs.Assignment:
        require_admin(operator)
        return await tariffs.assign_tariff(state.ctx, operator.operator_id, data, by=operator)
