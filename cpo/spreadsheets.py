"""CSV for people who open it in a spreadsheet."""

from __future__ import annotations

import io
from typing import Final

# A spreadsheet runs a cell that starts like this as a formula ("CSV injection"). Texts from
# chargers, staff and customers end up in exports, so those cells are defused.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def defused(text: str) -> str:
    """The text as a spreadsheet shows it, never runs it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def take(buffer: io.StringIO) -> bytes:
    """What a csv.writer wrote into `buffer` so far, as UTF-8; the buffer is emptied (a
    streamed export writes a batch, takes it, writes the next)."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")
