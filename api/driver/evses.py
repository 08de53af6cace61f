"""A charge point as a driver sees it: state, place, brand and the complete ad hoc price."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, HeaderParameter, QueryParameter

from cpo.i18n import negotiate
from cpo.stations.public import Estimate, EvseForDriver, estimate_for_driver, evse_for_driver

MAX_ESTIMATE_KWH = 500


class EvseController(Controller):
    path = "/api/evses"
    tags = ["driver"]

    @get(
        "/{evse_id:str}",
        summary="A charge point by its EVSE ID, with its price",
        description=(
            "The EVSE ID as on the QR sticker, case and `*` separators optional. The price "
            "lists every component with VAT, in the driver's language (`lang`, else "
            "Accept-Language), and the amount reserved on the card before charging."
        ),
        cache_control=None,
    )
    async def evse(
        self,
        state: State,
        evse_id: FromPath[str],
        lang: FromQuery[str | None] = None,
        accept_language: Annotated[str | None, HeaderParameter(name="Accept-Language")] = None,
    ) -> EvseForDriver:
        return await evse_for_driver(state.ctx, evse_id, negotiate(accept_language, lang))

    @get("/{evse_id:str}/estimate", summary="What charging some energy here would cost")
    async def estimate(
        self,
        state: State,
        evse_id: FromPath[str],
        energy_kwh: Annotated[float, QueryParameter(gt=0, le=MAX_ESTIMATE_KWH)],
        lang: FromQuery[str | None] = None,
        accept_language: Annotated[str | None, HeaderParameter(name="Accept-Language")] = None,
    ) -> Estimate:
        return await estimate_for_driver(
            state.ctx, evse_id, round(energy_kwh * 1000), negotiate(accept_language, lang)
        )
