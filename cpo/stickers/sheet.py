"""A printable A4 sheet of QR stickers: every EVSE of a site, three across and four down,
each code 50 mm wide (readable from a metre) with its EVSE ID underneath and cut marks
around it. Vector graphics: the codes stay sharp at any printer resolution.

Helvetica, as on receipts (cpo/cdrs/receipt.py says why and where its encoding ends); EVSE
IDs are ASCII by their standard.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, Final

from cpo.stickers.rules import QUIET_ZONE, dark_runs, modules, sticker_url

COLUMNS: Final = 3
ROWS: Final = 4
CODE_MM: Final = 50.0
MM: Final = 72 / 25.4  # points per millimetre


def sheet_pdf(base_url: str, title: str, evse_ids: Sequence[str]) -> bytes:
    """The sheet of `evse_ids`, titled (the site's name) on every page."""
    # Imported on first use, as for receipts: reportlab ships no type hints.
    from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
    from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("cpo-platform")
    page_width, page_height = A4
    cell_width = (page_width - 20 * MM) / COLUMNS
    cell_height = (page_height - 30 * MM) / ROWS
    per_page = COLUMNS * ROWS
    pages = [evse_ids[start : start + per_page] for start in range(0, len(evse_ids), per_page)]
    for number, chunk in enumerate(pages or [[]], start=1):
        canvas.setFont("Helvetica-Bold", 11)
        canvas.drawString(10 * MM, page_height - 12 * MM, title)
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(
            page_width - 10 * MM, page_height - 12 * MM, f"{number}/{len(pages)}"
        )
        for index, evse_id in enumerate(chunk):
            column, row = index % COLUMNS, index // COLUMNS
            left = 10 * MM + column * cell_width
            top = page_height - 20 * MM - row * cell_height
            _cell(canvas, base_url, evse_id, left, top, cell_width, cell_height)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _cell(
    canvas: Any,
    base_url: str,
    evse_id: str,
    left: float,
    top: float,
    width: float,
    height: float,
) -> None:
    matrix = modules(sticker_url(base_url, evse_id))
    module = CODE_MM * MM / (len(matrix) + 2 * QUIET_ZONE)
    code_left = left + (width - CODE_MM * MM) / 2
    code_top = top - 4 * MM
    canvas.setStrokeGray(0.75)
    canvas.setLineWidth(0.3)
    canvas.setDash(2, 2)
    canvas.rect(left, top - height, width, height, stroke=1, fill=0)
    canvas.setDash()
    canvas.setFillGray(0)
    for row, column, length in dark_runs(matrix):
        x = code_left + (column + QUIET_ZONE) * module
        y = code_top - (row + QUIET_ZONE + 1) * module
        # A hair wider than the module, so no hairline gaps show between neighbours.
        canvas.rect(x, y, length * module + 0.05, module + 0.05, stroke=0, fill=1)
    canvas.setFont("Helvetica-Bold", 12)
    canvas.drawCentredString(left + width / 2, code_top - CODE_MM * MM - 5 * MM, evse_id)
