"""Draw the app's icons once: a white lightning bolt on a neutral dark square.

The icons are the same for every operator (an installed app takes the operator's name and
colours from the manifest); they are committed, so this runs only when they change:

    .venv/bin/python pwa/icons/make_icons.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
BACKGROUND = (31, 41, 55)  # #1f2937, the app's neutral colour before a brand is known
BOLT = ((0.58, 0.08), (0.26, 0.56), (0.48, 0.56), (0.40, 0.92), (0.74, 0.40), (0.52, 0.40))


def icon(size: int, *, maskable: bool) -> Image.Image:
    """Maskable icons fill the square and keep the bolt in the central safe circle."""
    scale = 4  # drawn large, then scaled down: smooth edges without anti-aliasing support
    canvas = size * scale
    image = Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, canvas, canvas), fill=BACKGROUND)
        inset, span = canvas * 0.2, canvas * 0.6
    else:
        draw.rounded_rectangle((0, 0, canvas - 1, canvas - 1), radius=canvas // 5, fill=BACKGROUND)
        inset, span = canvas * 0.1, canvas * 0.8
    draw.polygon([(inset + x * span, inset + y * span) for x, y in BOLT], fill=(255, 255, 255, 255))
    small = image.resize((size, size), Image.Resampling.LANCZOS)
    # A palette keeps the files at a few kilobytes.
    return small.quantize(colors=32, method=Image.Quantize.FASTOCTREE)


def main() -> None:
    for name, size, maskable in (
        ("icon-32.png", 32, False),
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("icon-maskable-512.png", 512, True),
    ):
        icon(size, maskable=maskable).save(HERE / name, optimize=True)


if __name__ == "__main__":
    main()
