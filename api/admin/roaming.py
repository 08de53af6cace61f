"""Roaming partners (OCPI 2.2.1): connect in either direction, rotate, disconnect; and the
pushes to partners that need attention."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from api.auth import CallingOperator
from api.ocpi.common import partner_client
from cpo import database
from cpo.audit import service as audit
from cpo.operators.service import OperatorRef, require_admin
from cpo.partners.enums import PushStatus
from roaming import partners, pushes


class NewPartner(msgspec.Struct, frozen=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class ConnectPartner(msgspec.Struct, frozen=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    versions_url: Annotated[str, msgspec.Meta(min_length=8, max_length=255)]
    token: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


async def _audit(
    operator: OperatorRef, state: State, action: str, target_id: int, after: Any = None
) -> None:
    """Roaming changes call partners in between, so each is recorded once it is done (never
    with a credentials token in it)."""
    async with database.transaction():
        await audit.record(
            operator,
            action,
            "roaming_partner" if action.startswith("roaming_partner") else "roaming_push",
            target_id,
            at=state.ctx.clock.now(),
            after=after,
        )


class RoamingController(Controller):
    path = "/api/admin/roaming"
    tags = ["admin: roaming"]

    @get("/partners", summary="Roaming partners, with their modules and push backlog")
    async def list_partners(self, operator: CallingOperator) -> list[partners.PartnerSummary]:
        return await partners.list_partners(operator.operator_id)

    @post(
        "/partners/offers",
        summary="Let a partner register with us",
        description=(
            "Returns our versions URL and a registration token (OCPI token A), shown once: "
            "hand both to the partner, which then registers (POST credentials)."
        ),
    )
    async def offer(
        self, operator: CallingOperator, state: State, data: JSONBody[NewPartner]
    ) -> partners.Offer:
        require_admin(operator)
        async with database.transaction():
            offered = await partners.offer(state.ctx, operator.operator_id, data.name)
            await _audit(
                operator, state, "roaming_partner.offer", offered.partner_id, {"name": data.name}
            )
        return offered

    @post(
        "/partners/connections",
        summary="Register with a partner",
        description="Given the partner's versions URL and the registration token it gave us.",
    )
    async def connect(
        self, operator: CallingOperator, state: State, data: JSONBody[ConnectPartner]
    ) -> partners.PartnerSummary:
        require_admin(operator)
        partner = await partners.connect(
            state.ctx,
            partner_client(state),
            operator.operator_id,
            name=data.name,
            versions_url_of_partner=data.versions_url,
            token_a=data.token,
        )
        summaries = await partners.list_partners(operator.operator_id)
        summary = next(summary for summary in summaries if summary.id == partner.id)
        await _audit(operator, state, "roaming_partner.connect", partner.id, summary)
        return summary

    @post(
        "/partners/{partner_id:int}/rotation",
        status_code=HTTP_204_NO_CONTENT,
        summary="Give the partner a new token for calling us (PUT credentials)",
    )
    async def rotate(
        self, operator: CallingOperator, state: State, partner_id: FromPath[int]
    ) -> None:
        require_admin(operator)
        await partners.rotate(state.ctx, partner_client(state), operator.operator_id, partner_id)
        await _audit(operator, state, "roaming_partner.rotate", partner_id)

    @delete(
        "/partners/{partner_id:int}",
        status_code=HTTP_204_NO_CONTENT,
        summary="Disconnect a partner (DELETE credentials at the partner, forget its tokens)",
    )
    async def disconnect(
        self, operator: CallingOperator, state: State, partner_id: FromPath[int]
    ) -> None:
        require_admin(operator)
        await partners.disconnect(
            state.ctx, partner_client(state), operator.operator_id, partner_id
        )
        await _audit(operator, state, "roaming_partner.disconnect", partner_id)

    @get("/pushes", summary="Sessions, CDRs and updates owed to partners")
    async def list_pushes(
        self, operator: CallingOperator, status: FromQuery[PushStatus | None] = None
    ) -> list[pushes.PushView]:
        return await pushes.list_pushes(operator.operator_id, status)

    @post("/pushes/{push_id:int}/retry", summary="Send a failed push again")
    async def retry(
        self, operator: CallingOperator, state: State, push_id: FromPath[int]
    ) -> pushes.PushView:
        require_admin(operator)
        async with database.transaction():
            retried = await pushes.retry(state.ctx, operator.operator_id, push_id)
            await _audit(operator, state, "roaming_push.retry", push_id)
        return retried
