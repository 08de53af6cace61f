"""QR stickers for the operator's charge points: one EVSE as SVG or PNG, a site as an A4
sheet to print. Staff may download them too (reading only)."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.params import FromPath

from api.auth import CallingOperator
from cpo.stickers import rules, service
from cpo.stickers.sheet import sheet_pdf


def _download(content: bytes | str, media_type: str, filename: str) -> Response[bytes | str]:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _file_name(evse_id: str) -> str:
    """`DE*DEM*E0001*1` → `DE-DEM-E0001-1` (a `*` is not allowed in file names on Windows)."""
    return "".join(char if char.isalnum() else "-" for char in evse_id)


class StickerController(Controller):
    path = "/api/admin/stickers"
    tags = ["admin: QR stickers"]

    @get(
        summary="Sites and EVSEs with their sticker URL",
        description=(
            "Every site of the operator with the EVSEs of its stations, and the EVSEs of "
            "stations not at a site yet. `url` is what the QR code holds: "
            "`<public URL>/c/<EVSE ID>`."
        ),
    )
    async def list_stickers(
        self, operator: CallingOperator, state: State
    ) -> service.StickerOverview:
        return await service.overview(operator.operator_id, state.ctx.settings.base_url)

    @get(
        "/evses/{evse_id:str}/qr.svg",
        summary="The sticker of one EVSE as SVG",
        description="The QR code with the EVSE ID printed under it, for any size.",
        media_type="image/svg+xml",
    )
    async def evse_svg(
        self, operator: CallingOperator, state: State, evse_id: FromPath[str]
    ) -> Response[bytes | str]:
        found = await service.own_evse_id(operator.operator_id, evse_id)
        svg = rules.sticker_svg(state.ctx.settings.base_url, found)
        return _download(svg, "image/svg+xml", f"qr-{_file_name(found)}.svg")

    @get(
        "/evses/{evse_id:str}/qr.png",
        summary="The sticker of one EVSE as PNG",
        description="The QR code (10 pixels per module) with the EVSE ID printed under it.",
        media_type="image/png",
    )
    async def evse_png(
        self, operator: CallingOperator, state: State, evse_id: FromPath[str]
    ) -> Response[bytes | str]:
        found = await service.own_evse_id(operator.operator_id, evse_id)
        png = rules.sticker_png(state.ctx.settings.base_url, found)
        return _download(png, "image/png", f"qr-{_file_name(found)}.png")

    @get(
        "/sites/{site_id:int}/sheet.pdf",
        summary="A printable sheet of every EVSE of a site",
        description="A4, twelve stickers a page (50 mm codes), the site's name on top.",
        media_type="application/pdf",
    )
    async def site_sheet(
        self, operator: CallingOperator, state: State, site_id: FromPath[int]
    ) -> Response[bytes | str]:
        name, evse_ids = await service.site_sheet(operator.operator_id, site_id)
        pdf = sheet_pdf(state.ctx.settings.base_url, name, evse_ids)
        return _download(pdf, "application/pdf", f"qr-stickers-site-{site_id}.pdf")
