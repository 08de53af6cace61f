"""RFID cards and other tokens of the operator: list, search, create, edit, assign, expire,
block and unblock (pushed to the stations), CSV import with a dry run, CSV export, and
where cards were used. Operator staff read and block; everything else needs an admin."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import Stream

from api.auth import CallingOperator
from cpo.tokens import cards, pushes
from cpo.tokens.card_csv import ImportReport
from cpo.tokens.enums import TokenStatus

# About 40 000 cards of a typical row length; larger files are split.
MAX_IMPORT_CHARS = 4_000_000


class CardImport(msgspec.Struct, frozen=True):
    """The CSV file's text (UTF-8, header row, comma or semicolon separated)."""

    csv: Annotated[str, msgspec.Meta(max_length=MAX_IMPORT_CHARS)]


IMPORT_HELP = (
    "Columns: `uid` (required), and any of `label`, `expires_at` (date or ISO timestamp), "
    "`group_id` (parent card), `customer_group`, `customer_id`, `cost_centre`. A column "
    "left out keeps "
    "that field; an empty cell clears it; other columns (as in an export) are ignored. "
    "Each row is reported as new, changed (with before/after per field), unchanged or "
    "invalid (with reason codes)."
)
PUSH_HELP = (
    "The card is refused at its next Authorize at once. Its new status is then pushed to "
    "every station of the operator: a differential SendLocalList where the station keeps a "
    "local list, else ClearCache; `GET /api/admin/cards/{card_id}/pushes` shows the result "
    "per station (pending while a station is offline or does not answer)."
)


class CardController(Controller):
    path = "/api/admin/cards"
    tags = ["admin: cards"]

    @get(
        summary="The operator's cards, a page at a time",
        description=(
            "`q` searches uid, label, customer, holder and contract id; `status` filters; "
            "`sort` is uid, label, status, expires_at or created_at (`desc=true` reverses)."
        ),
        cache_control=None,
    )
    async def list_cards(
        self,
        operator: CallingOperator,
        q: Annotated[str, QueryParameter(max_length=100)] = "",
        status: FromQuery[TokenStatus | None] = None,
        sort: FromQuery[cards.CardSort] = cards.CardSort.UID,
        desc: FromQuery[bool] = False,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
        limit: Annotated[
            int, QueryParameter(ge=1, le=cards.MAX_PAGE_SIZE)
        ] = cards.DEFAULT_PAGE_SIZE,
    ) -> cards.CardPage:
        return await cards.list_cards(
            operator.operator_id,
            query=q,
            status=status,
            sort=sort,
            descending=desc,
            offset=offset,
            limit=limit,
        )

    @post(summary="Create a card", description="Operator admins only.")
    async def create_card(
        self, operator: CallingOperator, state: State, data: JSONBody[cards.CardInput]
    ) -> cards.CardView:
        return await cards.create_card(state.ctx, operator, data)

    @get(
        "/export.csv",
        summary="All cards as CSV",
        description="Spreadsheet-safe (cells that would run as formulas are defused); "
        "imports again unchanged.",
        media_type="text/csv; charset=utf-8",
    )
    async def export_csv(self, operator: CallingOperator) -> Stream:
        return Stream(
            cards.export_csv(operator.operator_id),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="cards-{operator.slug}.csv"'},
        )

    @post(
        "/import/dry-run",
        summary="What importing a CSV file would change",
        description="Changes nothing. " + IMPORT_HELP,
        status_code=200,
    )
    async def import_dry_run(
        self, operator: CallingOperator, data: JSONBody[CardImport]
    ) -> ImportReport:
        return await cards.import_dry_run(operator.operator_id, data.csv)

    @post(
        "/import",
        summary="Import cards from a CSV file",
        description=(
            "All rows or none: a file with an invalid row changes nothing (422 "
            "`invalid_rows`; see the dry run). Operator admins only. " + IMPORT_HELP
        ),
        status_code=200,
    )
    async def import_cards(
        self, operator: CallingOperator, state: State, data: JSONBody[CardImport]
    ) -> ImportReport:
        return await cards.import_cards(state.ctx, operator, data.csv)

    @get(
        "/used-at",
        summary="Which cards charged at a station or EVSE",
        description="Give `station` (OCPP identity) or `evse_id`; newest use first.",
        cache_control=None,
    )
    async def used_at(
        self,
        operator: CallingOperator,
        station: Annotated[str | None, QueryParameter(max_length=48)] = None,
        evse_id: Annotated[str | None, QueryParameter(max_length=48)] = None,
    ) -> list[cards.CardUse]:
        return await cards.cards_used_at(operator.operator_id, station=station, evse_id=evse_id)

    @get("/{card_id:int}", summary="One card", cache_control=None)
    async def get_card(self, operator: CallingOperator, card_id: FromPath[int]) -> cards.CardView:
        return await cards.get_card(operator.operator_id, card_id)

    @patch(
        "/{card_id:int}",
        summary="Edit a card, or assign it to a customer",
        description=(
            "Label, expiry, customer group, parent group (`group_id`), customer, holder and "
            "`cost_centre`; "
            "a field left out stays, `null` clears it. Assigning a customer gives the card "
            "the customer's tariff group unless `customer_group` is given. Operator admins only."
        ),
    )
    async def update_card(
        self,
        operator: CallingOperator,
        state: State,
        card_id: FromPath[int],
        data: JSONBody[cards.CardChange],
    ) -> cards.CardView:
        return await cards.update_card(state.ctx, operator, card_id, data)

    @post(
        "/{card_id:int}/block",
        summary="Block a card",
        description="Operator staff may block. " + PUSH_HELP,
        status_code=200,
    )
    async def block(
        self, operator: CallingOperator, state: State, card_id: FromPath[int]
    ) -> cards.CardView:
        return await cards.set_blocked(state.ctx, operator, card_id, blocked=True)

    @post(
        "/{card_id:int}/unblock",
        summary="Unblock a card",
        description="Operator staff may unblock. " + PUSH_HELP,
        status_code=200,
    )
    async def unblock(
        self, operator: CallingOperator, state: State, card_id: FromPath[int]
    ) -> cards.CardView:
        return await cards.set_blocked(state.ctx, operator, card_id, blocked=False)

    @post(
        "/{card_id:int}/expire",
        summary="Let a card expire now",
        description="Its expiry becomes now; pushed to the stations like a block. "
        "Operator admins only.",
        status_code=200,
    )
    async def expire(
        self, operator: CallingOperator, state: State, card_id: FromPath[int]
    ) -> cards.CardView:
        return await cards.expire_card(state.ctx, operator, card_id)

    @get(
        "/{card_id:int}/pushes",
        summary="The card's last change at each station",
        description=(
            "Per station: pending, accepted, failed or not_supported; the method "
            "(send_local_list or clear_cache), the charger's answer and the list version."
        ),
        cache_control=None,
    )
    async def push_results(
        self, operator: CallingOperator, card_id: FromPath[int]
    ) -> list[pushes.PushView]:
        await cards.get_card(operator.operator_id, card_id)
        return await pushes.results(operator.operator_id, card_id)

    @post(
        "/{card_id:int}/pushes",
        summary="Push the card's status to every station again",
        description="After failed pushes; operator staff may do this.",
        status_code=200,
    )
    async def resend(
        self, operator: CallingOperator, state: State, card_id: FromPath[int]
    ) -> list[pushes.PushView]:
        return await cards.resend(state.ctx, operator, card_id)

    @get(
        "/{card_id:int}/sessions",
        summary="Where the card was used",
        description="Its charging sessions, newest first.",
        cache_control=None,
    )
    async def sessions(
        self,
        operator: CallingOperator,
        card_id: FromPath[int],
        limit: Annotated[int, QueryParameter(ge=1, le=cards.MAX_PAGE_SIZE)] = 50,
    ) -> list[cards.CardSession]:
        return await cards.card_sessions(operator.operator_id, card_id, limit=limit)
