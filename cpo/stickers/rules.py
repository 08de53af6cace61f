"""What a sticker shows and how it is drawn: pure functions, no database.

The QR code holds `<public URL>/c/<EVSE ID>` (DESIGN.md, the main flow), with the EVSE ID
as it is written (`DE*ABC*E0001*1`: `*` needs no escaping in a URL path). Error correction
level M (15 %) survives a scratched sticker and keeps the code small; segno picks the
smallest version and the mask deterministically, so the same EVSE always gets the same
code. The quiet zone is the four modules the standard asks for.

Drawn by us from segno's module matrix, not with segno's own writers, so that SVG, PNG and
the PDF sheet print the EVSE ID under the code the same way.
"""

from __future__ import annotations

import io
from typing import Final
from xml.sax.saxutils import escape

import segno

QUIET_ZONE: Final = 4  # modules of white around the code (ISO/IEC 18004)
ERROR_LEVEL: Final = "M"


def sticker_url(base_url: str, evse_id: str) -> str:
    """What the code holds: the charge point's page in the drivers' app."""
    return f"{base_url.rstrip('/')}/c/{evse_id}"


def modules(content: str) -> tuple[tuple[bool, ...], ...]:
    """The QR code's modules, row by row, True for dark; without the quiet zone."""
    code = segno.make_qr(content, error=ERROR_LEVEL, boost_error=False)
    return tuple(tuple(bool(cell) for cell in row) for row in code.matrix)


def dark_runs(matrix: tuple[tuple[bool, ...], ...]) -> list[tuple[int, int, int]]:
    """(row, first column, length) of each horizontal run of dark modules: fewer shapes to
    draw than one per module, and the same in every format."""
    runs = []
    for row_number, row in enumerate(matrix):
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            runs.append((row_number, start, column - start))
    return runs


def sticker_svg(base_url: str, evse_id: str) -> str:
    """The sticker as SVG: the code, and the EVSE ID below it in large type."""
    matrix = modules(sticker_url(base_url, evse_id))
    size = len(matrix) + 2 * QUIET_ZONE
    text_height = 6  # modules of space for the EVSE ID
    height = size + text_height
    path = "".join(
        f"M{column + QUIET_ZONE} {row + QUIET_ZONE}h{length}v1h-{length}z"
        for row, column, length in dark_runs(matrix)
    )
    label = escape(evse_id)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {height}" '
        f'width="{size * 8}" height="{height * 8}" role="img" aria-label="{label}">'
        f"<title>{label}</title>"
        f'<rect width="{size}" height="{height}" fill="#fff"/>'
        f'<path fill="#000" shape-rendering="crispEdges" d="{path}"/>'
        f'<text x="{size / 2}" y="{size + 3}" text-anchor="middle" '
        f'font-family="Helvetica, Arial, sans-serif" font-size="3" font-weight="bold" '
        f'fill="#000">{label}</text>'
        "</svg>\n"
    )


def sticker_png(base_url: str, evse_id: str, *, scale: int = 10) -> bytes:
    """The sticker as PNG (`scale` pixels per module), the EVSE ID below the code."""
    from PIL import Image, ImageDraw, ImageFont

    matrix = modules(sticker_url(base_url, evse_id))
    size = (len(matrix) + 2 * QUIET_ZONE) * scale
    text_height = 6 * scale
    image = Image.new("L", (size, size + text_height), 255)
    draw = ImageDraw.Draw(image)
    for row, column, length in dark_runs(matrix):
        left = (column + QUIET_ZONE) * scale
        top = (row + QUIET_ZONE) * scale
        draw.rectangle((left, top, left + length * scale - 1, top + scale - 1), fill=0)
    font = ImageFont.load_default(size=3 * scale)
    draw.text((size / 2, size + 1.5 * scale), evse_id, fill=0, font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
