"""The message log of each station: the last OCPP frames in and out, for operators.

The bridge calls `record` for every frame it reads or writes; that only appends a tuple to
the station's ring in memory (a deque of the newest `keep` frames: no I/O, no parsing; the
OCPP connection is the hot path). A background task writes what accumulated every
`FLUSH_INTERVAL_S` in one batch transaction and prunes each station's rows to the newest
`keep` (a ring in the database, `keep + PRUNE_SLACK` rows at most). Frames that a busy
station pushed out of its ring before a flush are never written: the database only ever
gets what the log will show.

Reading (`recent`) flushes this node's rings first, so a frame the bridge just handled is
never missing from what the same node shows; other nodes see it after the next flush. The
interval trades that lag (and what a crash loses) for fewer writes competing with the meter
values on the database: at 50 busy chargers, 15 s means about 700 rows a second at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, deque
from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from cpo import database
from cpo.context import Context
from cpo.stations.tables import OcppFrame

log = logging.getLogger(__name__)

DEFAULT_KEEP = 200
MAX_KEEP = 1000
# A station's rows are pruned once this many new ones arrived since its last pruning.
PRUNE_SLACK = 50
FLUSH_INTERVAL_S = 15.0
# Frames longer than this (signed meter data, big configurations) are cut for the log.
FRAME_TEXT_MAX = 4000

INSERT_FRAMES = database.insert_statement(
    OcppFrame, ("station", "at", "direction", "frame", "length")
)
# Keeps the newest `keep` rows of a station: everything older than the keep-th newest goes.
PRUNE_FRAMES = """
DELETE FROM ocpp_frames WHERE station = ? AND id < (
    SELECT id FROM ocpp_frames WHERE station = ? ORDER BY id DESC LIMIT 1 OFFSET ?
)
"""


class Direction(StrEnum):
    IN = "in"  # from the station
    OUT = "out"  # to the station


class LoggedFrame(msgspec.Struct, frozen=True, kw_only=True):
    """One frame of the log, with what an operator needs to read it."""

    id: int
    at: datetime
    direction: Direction
    message_type: str  # Call, CallResult, CallError, or "?" for a malformed frame
    message_id: str
    action: str  # of the Call; of the answered Call for results and errors, when known
    frame: str
    truncated: bool


def describe(frame: str) -> tuple[str, str, str]:
    """(message type, message id, action) of an OCPP-J frame; pure, for reading the log."""
    try:
        parts = msgspec.json.decode(frame)
    except msgspec.DecodeError:
        return "?", "", ""
    if not isinstance(parts, list) or len(parts) < 3:
        return "?", "", ""
    kind = {2: "Call", 3: "CallResult", 4: "CallError"}.get(parts[0], "?")
    message_id = parts[1] if isinstance(parts[1], str) else ""
    action = parts[2] if kind == "Call" and isinstance(parts[2], str) else ""
    return kind, message_id, action


def _text(data: str | bytes) -> str:
    if isinstance(data, bytes):
        data = data[: FRAME_TEXT_MAX * 4].decode("utf-8", errors="replace")
    return data[:FRAME_TEXT_MAX]


class FrameLog:
    def __init__(self, ctx: Context, *, keep: int = DEFAULT_KEEP) -> None:
        self._ctx = ctx
        self.keep = keep
        # Per station, the frames not written yet (the newest `keep` of them).
        self._rings: dict[int, deque[tuple[int, datetime, str, str, int]]] = {}
        self._since_prune: Counter[int] = Counter()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def record(self, station_id: int, direction: Direction, data: str | bytes) -> None:
        """Remember a frame for the log (cheap: no I/O, no parsing)."""
        ring = self._rings.get(station_id)
        if ring is None:
            ring = self._rings[station_id] = deque(maxlen=self.keep)
        ring.append((station_id, self._ctx.clock.now(), direction.value, _text(data), len(data)))

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="ocpp-frame-log")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            try:
                await self.flush()
            except Exception:  # the log is a diagnostic aid: a failed write loses frames only
                log.exception("writing the OCPP message log failed")

    async def flush(self) -> None:
        """Write what accumulated and prune the stations that grew past their ring."""
        async with self._lock:
            rings, self._rings = self._rings, {}
            rows = [row for ring in rings.values() for row in ring]
            if not rows:
                return
            self._since_prune.update({station_id: len(ring) for station_id, ring in rings.items()})
            full = [
                station_id
                for station_id, count in self._since_prune.items()
                if count >= PRUNE_SLACK
            ]
            for station_id in full:
                del self._since_prune[station_id]
            await database.write_batch(
                [
                    (INSERT_FRAMES, rows),
                    (
                        PRUNE_FRAMES,
                        [(station_id, station_id, self.keep - 1) for station_id in full],
                    ),
                ]
            )

    async def recent(
        self, station_id: int, *, limit: int = DEFAULT_KEEP, before: int | None = None
    ) -> list[LoggedFrame]:
        """The station's newest frames first (flushed first, so nothing just seen is missing)."""
        await self.flush()
        condition: Any = OcppFrame.station == station_id
        if before is not None:
            condition &= OcppFrame.id < before
        rows = (
            await OcppFrame.select()
            .where(condition)
            .order_by(OcppFrame.id, ascending=False)
            .limit(max(1, min(limit, MAX_KEEP)))
        )
        described = [(row, describe(row["frame"])) for row in rows]
        calls = {
            (row["direction"], message_id): action
            for row, (kind, message_id, action) in described
            if kind == "Call"
        }
        frames = []
        for row, (kind, message_id, action) in described:
            if kind in ("CallResult", "CallError"):
                # An answer goes the other way than the call it answers.
                asked = Direction.OUT if row["direction"] == Direction.IN else Direction.IN
                action = calls.get((asked.value, message_id), "")
            frames.append(
                LoggedFrame(
                    id=row["id"],
                    at=row["at"],
                    direction=Direction(row["direction"]),
                    message_type=kind,
                    message_id=message_id,
                    action=action,
                    frame=row["frame"],
                    truncated=row["length"] > len(row["frame"]),
                )
            )
        return frames
