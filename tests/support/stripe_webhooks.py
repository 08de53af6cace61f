"""A Stripe webhook endpoint for adapter tests: a bare HTTP/1.1 server on loopback that
keeps what the fake Stripe delivers, and lets a test wait for one event."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

WAIT_S = 5.0


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]  # as sent, in the sender's spelling
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(self.body)
        return event


class WebhookEndpoint:
    """A bare HTTP/1.1 endpoint on loopback that answers every POST with 200 and keeps it."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._arrived = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[Any]] = set()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/webhooks/stripe"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        self._writers.add(writer)
        try:
            while await reader.readline():  # the request line; b"" when the peer closed
                headers: dict[str, str] = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode().partition(":")
                    headers[name.strip()] = value.strip()
                length = next((v for k, v in headers.items() if k.lower() == "content-length"), 0)
                body = await reader.readexactly(int(length))
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                async with self._arrived:
                    self.deliveries.append(Delivery(headers, body))
                    self._arrived.notify_all()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            self._writers.discard(writer)
            self._handlers.discard(handler)

    async def event(self, event_type: str, object_id: str, within: float = WAIT_S) -> Delivery:
        """The first delivery of that event about that object (intent or its charge)."""

        def found() -> Delivery | None:
            for delivery in self.deliveries:
                event = delivery.event
                obj = event["data"]["object"]
                if event["type"] == event_type and object_id in (
                    obj.get("id"),
                    obj.get("payment_intent"),
                ):
                    return delivery
            return None

        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: found() is not None), within)
        delivery = found()
        assert delivery is not None
        return delivery
