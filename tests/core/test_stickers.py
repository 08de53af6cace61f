"""QR stickers: the code holds the charge point's URL, the EVSE ID is printed under it, and
every format draws the same modules."""

from __future__ import annotations

import io
import re

import pypdf
import segno
from PIL import Image

from cpo.stickers.rules import QUIET_ZONE, modules, sticker_png, sticker_svg, sticker_url
from cpo.stickers.sheet import sheet_pdf

BASE = "https://charge.example.org"
EVSE = "DE*DEM*E0001*1"


def test_the_code_holds_the_charge_point_page() -> None:
    assert sticker_url(BASE + "/", EVSE) == "https://charge.example.org/c/DE*DEM*E0001*1"
    matrix = modules(sticker_url(BASE, EVSE))
    # Version 4 (33 × 33 modules) is the smallest that holds these 43 bytes at level M.
    assert len(matrix) == 33
    assert all(len(row) == 33 for row in matrix)
    # The three finder patterns: a dark 7 × 7 ring in three corners.
    for top, left in ((0, 0), (0, 26), (26, 0)):
        assert all(matrix[top][left + column] for column in range(7))
        assert all(matrix[top + row][left] for row in range(7))
    expected = segno.make_qr(
        "https://charge.example.org/c/DE*DEM*E0001*1", error="M", boost_error=False
    )
    assert matrix == tuple(tuple(bool(cell) for cell in row) for row in expected.matrix)
    assert expected.designator == "4-M"
    assert modules(sticker_url(BASE, "DE*DEM*E0002*1")) != matrix


def svg_modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules an SVG sticker draws, read back from its path."""
    path = re.search(r'<path[^>]* d="([^"]+)"', svg)
    assert path is not None
    dark = set()
    for x, y, length in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", path.group(1)):
        for column in range(int(x), int(x) + int(length)):
            dark.add((int(y) - QUIET_ZONE, column - QUIET_ZONE))
    return dark


def test_the_svg_draws_exactly_the_code_and_prints_the_evse_id() -> None:
    svg = sticker_svg(BASE, EVSE)
    matrix = modules(sticker_url(BASE, EVSE))
    expected = {
        (row, column)
        for row, cells in enumerate(matrix)
        for column, dark in enumerate(cells)
        if dark
    }
    assert svg_modules(svg) == expected
    assert f">{EVSE}</text>" in svg
    assert f'aria-label="{EVSE}"' in svg
    # Texts are escaped: an EVSE ID is never markup.
    assert "&lt;b&gt;" in sticker_svg(BASE, "<b>")


def test_the_png_draws_the_same_modules() -> None:
    scale = 10
    image = Image.open(io.BytesIO(sticker_png(BASE, EVSE, scale=scale))).convert("L")
    matrix = modules(sticker_url(BASE, EVSE))
    size = (len(matrix) + 2 * QUIET_ZONE) * scale
    assert image.width == size
    assert image.height > size  # room for the EVSE ID
    for row, cells in enumerate(matrix):
        for column, dark in enumerate(cells):
            centre = (
                (column + QUIET_ZONE) * scale + scale // 2,
                (row + QUIET_ZONE) * scale + scale // 2,
            )
            assert (image.getpixel(centre) == 0) is dark
    # The EVSE ID: dark pixels in the band under the code.
    band = image.crop((0, size, size, image.height))
    assert band.getextrema()[0] == 0


def test_the_sheet_prints_every_evse_twelve_a_page() -> None:
    evse_ids = [f"DE*DEM*E{number:04d}*1" for number in range(14)]
    pdf = sheet_pdf(BASE, "Car park Mitte", evse_ids)
    assert pdf.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    first, second = (page.extract_text() for page in reader.pages)
    assert all(evse_id in first for evse_id in evse_ids[:12])
    assert all(evse_id in second for evse_id in evse_ids[12:])
    assert "Car park Mitte" in first
    assert "Car park Mitte" in second
