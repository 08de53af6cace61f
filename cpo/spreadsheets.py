"""CSV for people who open it in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from typing import Any, Final

# A spreadsheet runs a cell that starts like this as a formula ("CSV injection"). Texts from
# chargers, staff and customers end up in exports, so those cells are defused.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def defused(text: str) -> str:
    """The text as a spreadsheet shows it, never runs it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def undefused(text: str) -> str:
    """What `defused` was given: a file exported by us and read back stays the same."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


async def csv_stream(
    header: Sequence[str], batches: AsyncIterable[Iterable[Sequence[Any]]]
) -> AsyncIterator[bytes]:
    """A CSV file (UTF-8, CRLF, header row) written a batch of rows at a time, so that a
    long export never sits in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield take(buffer)
    async for rows in batches:
        writer.writerows(rows)
        yield take(buffer)


def take(buffer: io.StringIO) -> bytes:
    """What a csv.writer wrote into `buffer` so far, as UTF-8; the buffer is emptied (a
    streamed export writes a batch, takes it, writes the next)."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")
