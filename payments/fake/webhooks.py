"""Asynchronous webhook delivery, as the providers do it: signed POSTs, retries on failure.

Each receiving URL has its own queue and is served in order, one request at a time; a
failed attempt (non-2xx, connection error, timeout) goes back into the queue after a short
back-off, so later events may overtake it — as at the real providers. Tests steer delivery
with holds (keep matching events back until released: out of order), duplicates (deliver
an event twice) and redelivery (the last event, or one by id, again).
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

# Builds the headers of one delivery attempt from the exact body (signatures are per
# attempt: Stripe signs with the attempt's timestamp, PayPal sends a new transmission).
Signer = Callable[[bytes], dict[str, str]]


@dataclass(frozen=True)
class OutgoingEvent:
    provider: str  # "stripe" | "paypal"
    account: str  # Stripe secret key / PayPal client id the event belongs to
    event_id: str
    event_type: str
    body: bytes
    url: str
    sign: Signer


@dataclass(frozen=True)
class DeliveryAttempt:
    """One POST of an event (for assertions and the `/_fake/webhooks/deliveries` log)."""

    provider: str
    event_id: str
    event_type: str
    url: str
    attempt: int
    status_code: int | None
    error: str | None
    headers: dict[str, str]
    at: float

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class _Hold:
    pattern: str
    provider: str | None


@dataclass
class _Duplicate:
    pattern: str
    provider: str | None
    remaining: int


@dataclass
class _Queue:
    items: asyncio.Queue[tuple[OutgoingEvent, int]] = field(default_factory=asyncio.Queue)
    worker: asyncio.Task[None] | None = None


class WebhookDispatcher:
    def __init__(
        self,
        *,
        retry_delays_s: tuple[float, ...] = (0.1, 0.3, 1.0, 2.0),
        attempt_timeout_s: float = 5.0,
    ) -> None:
        self.retry_delays_s = retry_delays_s
        self.attempt_timeout_s = attempt_timeout_s
        self.attempts: list[DeliveryAttempt] = []
        self.published: dict[str, OutgoingEvent] = {}
        self.last_delivered: dict[str, OutgoingEvent] = {}  # per provider
        self.last_event: OutgoingEvent | None = None  # the last one POSTed
        self._queues: dict[str, _Queue] = {}
        self._retries: set[asyncio.Task[None]] = set()
        self._holds: list[_Hold] = []
        self._held: list[OutgoingEvent] = []
        self._duplicates: list[_Duplicate] = []
        self._outstanding = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._client: httpx.AsyncClient | None = None

    # -- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self.attempt_timeout_s, follow_redirects=False)

    async def stop(self) -> None:
        tasks = [q.worker for q in self._queues.values() if q.worker is not None]
        tasks.extend(self._retries)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._queues.clear()
        self._retries.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- publishing -------------------------------------------------------------------

    def publish(self, event: OutgoingEvent) -> None:
        self.published[event.event_id] = event
        if any(self._matches(h.pattern, h.provider, event) for h in self._holds):
            self._held.append(event)
            return
        copies = 1
        for duplicate in self._duplicates:
            if duplicate.remaining > 0 and self._matches(
                duplicate.pattern, duplicate.provider, event
            ):
                duplicate.remaining -= 1
                copies = 2
                break
        self._duplicates = [d for d in self._duplicates if d.remaining > 0]
        for _ in range(copies):
            self._enqueue(event, 1)

    # -- test controls ------------------------------------------------------------------

    def hold(self, pattern: str, provider: str | None = None) -> None:
        """Keep events whose type matches the glob back until `release`."""
        self._holds.append(_Hold(pattern, provider))

    def release(self, pattern: str | None = None, provider: str | None = None) -> int:
        """Stop holding (all holds, or the one with this pattern) and deliver what was
        held, in the order it happened. Returns the number of events released."""
        if pattern is None:
            self._holds.clear()
        else:
            self._holds = [
                h for h in self._holds if not (h.pattern == pattern and h.provider == provider)
            ]
        still_held: list[OutgoingEvent] = []
        released = 0
        for event in self._held:
            if any(self._matches(h.pattern, h.provider, event) for h in self._holds):
                still_held.append(event)
            else:
                self._enqueue(event, 1)
                released += 1
        self._held = still_held
        return released

    def duplicate(self, pattern: str = "*", times: int = 1, provider: str | None = None) -> None:
        """Deliver each of the next `times` events matching the glob twice."""
        self._duplicates.append(_Duplicate(pattern, provider, times))

    def redeliver(self, event_id: str | None = None, provider: str | None = None) -> OutgoingEvent:
        """Send an event again (freshly signed): by id, or the last one delivered (POSTed,
        whatever the answer)."""
        if event_id is not None:
            event = self.published.get(event_id)
        elif provider is not None:
            event = self.last_delivered.get(provider)
        else:
            event = self.last_event
        if event is None:
            raise LookupError("no such webhook event was published or delivered")
        self._enqueue(event, 1)
        return event

    @property
    def held(self) -> list[OutgoingEvent]:
        return list(self._held)

    async def wait_idle(self, within_s: float = 10.0) -> None:
        """Wait until nothing is queued, in flight or waiting for a retry."""
        async with asyncio.timeout(within_s):
            await self._idle.wait()

    # -- delivery ---------------------------------------------------------------------

    @staticmethod
    def _matches(pattern: str, provider: str | None, event: OutgoingEvent) -> bool:
        if provider is not None and provider != event.provider:
            return False
        return fnmatch.fnmatchcase(event.event_type, pattern)

    def _enqueue(self, event: OutgoingEvent, attempt: int) -> None:
        queue = self._queues.get(event.url)
        if queue is None:
            queue = _Queue()
            self._queues[event.url] = queue
        if queue.worker is None or queue.worker.done():
            queue.worker = asyncio.get_running_loop().create_task(self._work(queue))
        self._outstanding += 1
        self._idle.clear()
        queue.items.put_nowait((event, attempt))

    def _done_one(self) -> None:
        self._outstanding -= 1
        if self._outstanding == 0:
            self._idle.set()

    async def _work(self, queue: _Queue) -> None:
        while True:
            event, attempt = await queue.items.get()
            try:
                ok = await self._attempt(event, attempt)
                if not ok and attempt <= len(self.retry_delays_s):
                    self._schedule_retry(event, attempt + 1, self.retry_delays_s[attempt - 1])
            finally:
                self._done_one()

    def _schedule_retry(self, event: OutgoingEvent, attempt: int, delay_s: float) -> None:
        self._outstanding += 1

        async def later() -> None:
            try:
                await asyncio.sleep(delay_s)
                self._enqueue(event, attempt)
            finally:
                self._done_one()

        task = asyncio.get_running_loop().create_task(later())
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    async def _attempt(self, event: OutgoingEvent, attempt: int) -> bool:
        assert self._client is not None, "the dispatcher is not started"
        headers = event.sign(event.body)
        self.last_event = self.last_delivered[event.provider] = event
        status: int | None = None
        error: str | None = None
        try:
            response = await self._client.post(event.url, content=event.body, headers=headers)
            status = response.status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        self.attempts.append(
            DeliveryAttempt(
                provider=event.provider,
                event_id=event.event_id,
                event_type=event.event_type,
                url=event.url,
                attempt=attempt,
                status_code=status,
                error=error,
                headers=headers,
                at=time.time(),
            )
        )
        return status is not None and 200 <= status < 300
