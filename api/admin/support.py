"""Support tickets in admin mode: read, answer, change status, release a stuck cable."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from api.auth import CallingOperator
from cpo.support import service as support
from cpo.support.enums import TicketStatus


class SupportController(Controller):
    path = "/api/admin/support/tickets"
    tags = ["admin: support"]

    @get(
        summary="Drivers' reports, newest first",
        description="Filter by `status` and `station` (identity); page with `before`.",
        cache_control=None,
    )
    async def list_tickets(
        self,
        operator: CallingOperator,
        status: FromQuery[TicketStatus | None] = None,
        station: FromQuery[str | None] = None,
        before: FromQuery[int | None] = None,
        limit: Annotated[
            int, QueryParameter(ge=1, le=support.MAX_PAGE_SIZE)
        ] = support.DEFAULT_PAGE_SIZE,
    ) -> support.TicketPage:
        return await support.list_tickets(
            operator.operator_id, status=status, station=station, before=before, limit=limit
        )

    @get(
        "/{ticket_id:int}",
        summary="One report",
        description="With the driver's session, the station's open faults and the replies.",
        cache_control=None,
    )
    async def ticket(
        self, operator: CallingOperator, ticket_id: FromPath[int]
    ) -> support.TicketView:
        return await support.get_ticket(operator.operator_id, ticket_id)

    @get("/{ticket_id:int}/photos/{photo_id:int}", summary="A photo of a report")
    async def photo(
        self, operator: CallingOperator, ticket_id: FromPath[int], photo_id: FromPath[int]
    ) -> Response[bytes]:
        media_type, data = await support.photo(operator.operator_id, ticket_id, photo_id)
        return Response(
            data,
            media_type=media_type,
            headers={
                "Cache-Control": "private, max-age=3600",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'",
            },
        )

    @patch("/{ticket_id:int}", summary="Change a report's status (open, in_progress, resolved)")
    async def change_status(
        self,
        operator: CallingOperator,
        state: State,
        ticket_id: FromPath[int],
        data: JSONBody[support.StatusChange],
    ) -> support.TicketView:
        return await support.change_status(state.ctx, operator, ticket_id, data)

    @post(
        "/{ticket_id:int}/replies",
        status_code=HTTP_200_OK,
        summary="Answer the driver",
        description="Kept on the report and mailed to the driver when an address was given.",
    )
    async def reply(
        self,
        operator: CallingOperator,
        state: State,
        ticket_id: FromPath[int],
        data: JSONBody[support.Reply],
    ) -> support.TicketView:
        return await support.reply(state.ctx, operator, ticket_id, data)

    @post(
        "/{ticket_id:int}/unlock",
        status_code=HTTP_200_OK,
        summary="Release the cable at the report's charge point (UnlockConnector)",
        description="The charger's answer (Unlocked, UnlockFailed, NotSupported, or why it "
        "could not be asked) is returned and kept on the report.",
    )
    async def unlock(
        self, operator: CallingOperator, state: State, ticket_id: FromPath[int]
    ) -> support.UnlockResult:
        return await support.release_cable(state.ctx, operator, ticket_id)
