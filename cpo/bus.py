"""The message bus: how commands reach a charger and events reach watchers, on any node.

Messages are bytes (encoded msgspec Structs) on every implementation, so code that works
with the in-process bus works unchanged with a networked one: nothing is shared by reference.

Topics used by the platform:
- `station.<identity>.command`  request/reply: a command for the node holding the socket
- `station.<identity>.connected` event: a node took the station's connection (others drop theirs)
- `station.<identity>.status`, `session.<id>.updated` ...: events for live views
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

RequestHandler = Callable[[bytes], Awaitable[bytes]]


class NoResponder(Exception):
    """Nobody serves the topic of a request (e.g. the charger is not connected)."""


class Subscription(Protocol):
    def __aiter__(self) -> AsyncIterator[bytes]: ...

    async def close(self) -> None: ...


class Responder(Protocol):
    async def close(self) -> None: ...


class MessageBus(Protocol):
    async def publish(self, topic: str, message: bytes) -> int:
        """Deliver to current subscribers of `topic`; returns how many got it."""
        ...

    async def subscribe(self, topic: str) -> Subscription:
        """Receive messages published on `topic` (or, for `prefix.*`, on any sub-topic)."""
        ...

    async def serve(self, topic: str, handler: RequestHandler) -> Responder:
        """Answer requests on `topic`; a newer responder for the same topic replaces older ones.

        A handler that raises NoResponder declines the request, as if it did not serve it.
        """
        ...

    async def request(self, topic: str, message: bytes, timeout_s: float) -> bytes:
        """Send a request to the responder of `topic` and wait for its reply.

        Raises NoResponder when nobody serves the topic and TimeoutError when no reply comes.
        """
        ...

    async def close(self) -> None: ...


SUBSCRIPTION_BUFFER = 1000


class _LocalSubscription:
    def __init__(self, bus: InProcessBus, topic: str) -> None:
        self._bus = bus
        self.topic = topic
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(SUBSCRIPTION_BUFFER)

    def deliver(self, message: bytes) -> None:
        if self.queue.full():
            # A watcher that stopped reading must not hold up the bus: it loses the oldest
            # event, and live views re-read state from the database when they resume.
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
        self.queue.put_nowait(message)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            message = await self.queue.get()
            if message is None:
                return
            yield message

    async def close(self) -> None:
        self._bus._unsubscribe(self)
        if self.queue.full():
            # The end marker must get in, or a reader's `async for` would never finish.
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
        self.queue.put_nowait(None)


class _LocalResponder:
    def __init__(self, bus: InProcessBus, topic: str, handler: RequestHandler) -> None:
        self._bus = bus
        self.topic = topic
        self.handler = handler

    async def close(self) -> None:
        if self._bus._responders.get(self.topic) is self:
            del self._bus._responders[self.topic]


class InProcessBus:
    """The bus of a single node: direct delivery inside the event loop."""

    def __init__(self) -> None:
        self._subscriptions: dict[str, set[_LocalSubscription]] = {}
        self._responders: dict[str, _LocalResponder] = {}

    async def publish(self, topic: str, message: bytes) -> int:
        receivers = list(self._subscriptions.get(topic, ()))
        prefix, _, _ = topic.rpartition(".")
        while prefix:
            receivers.extend(self._subscriptions.get(prefix + ".*", ()))
            prefix, _, _ = prefix.rpartition(".")
        for subscription in receivers:
            subscription.deliver(message)
        return len(receivers)

    async def subscribe(self, topic: str) -> _LocalSubscription:
        subscription = _LocalSubscription(self, topic)
        self._subscriptions.setdefault(topic, set()).add(subscription)
        return subscription

    def _unsubscribe(self, subscription: _LocalSubscription) -> None:
        subscribers = self._subscriptions.get(subscription.topic)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._subscriptions[subscription.topic]

    async def serve(self, topic: str, handler: RequestHandler) -> _LocalResponder:
        responder = _LocalResponder(self, topic, handler)
        self._responders[topic] = responder
        return responder

    async def request(self, topic: str, message: bytes, timeout_s: float) -> bytes:
        responder = self._responders.get(topic)
        if responder is None:
            raise NoResponder(topic)
        async with asyncio.timeout(timeout_s):
            return await responder.handler(message)

    async def close(self) -> None:
        for subscribers in list(self._subscriptions.values()):
            for subscription in list(subscribers):
                await subscription.close()
        self._responders.clear()
