"""A raw OCPP-J 1.6 client for tests: sends exactly the frames a test writes and checks every
answer of ours against the official JSON schemas of the `ocpp` package."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import websockets
from ocpp.messages import Call, CallResult, _validate_payload

ANSWER_TIMEOUT_S = 10
CommandHandler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]] | dict[str, Any]]


class CallErrorReceivedError(Exception):
    def __init__(self, frame: list[Any]) -> None:
        super().__init__(f"{frame[2]}: {frame[3]}")
        self.frame = frame
        self.code: str = frame[2]


def basic_auth(identity: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{identity}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class OcppTestClient:
    def __init__(self, websocket: Any) -> None:
        self.websocket = websocket
        self._ids = itertools.count(1)
        self._answers: dict[str, asyncio.Future[list[Any]]] = {}
        self._pending_untracked: asyncio.Queue[list[Any]] = asyncio.Queue()
        self.handlers: dict[str, CommandHandler] = {}
        self.received_calls: list[tuple[str, dict[str, Any]]] = []
        self._command_tasks: set[asyncio.Task[None]] = set()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self.websocket:
                frame = json.loads(raw)
                if frame[0] == 2:
                    task = asyncio.create_task(self._answer_command(frame))
                    self._command_tasks.add(task)
                    task.add_done_callback(self._command_tasks.discard)
                    continue
                waiter = self._answers.pop(frame[1], None)
                if waiter is None:
                    self._pending_untracked.put_nowait(frame)
                else:
                    waiter.set_result(frame)

    async def _answer_command(self, frame: list[Any]) -> None:
        _, message_id, action, payload = frame
        _validate_payload(Call(message_id, action, payload), "1.6")
        self.received_calls.append((action, payload))
        handler = self.handlers.get(action)
        if handler is None:
            await self.websocket.send(
                json.dumps([4, message_id, "NotImplemented", f"{action} not simulated", {}])
            )
            return
        answer = handler(payload)
        if asyncio.iscoroutine(answer):
            answer = await answer
        await self.websocket.send(json.dumps([3, message_id, answer]))

    async def call(self, action: str, payload: dict[str, Any], *, validate: bool = True) -> Any:
        """Send a Call; return the (schema-checked) CallResult payload or raise on a CallError."""
        message_id = f"t{next(self._ids)}"
        frame = await self.send_frame(json.dumps([2, message_id, action, payload]), message_id)
        if frame[0] == 4:
            raise CallErrorReceivedError(frame)
        assert frame[0] == 3, frame
        if validate:
            _validate_payload(CallResult(message_id, frame[2], action), "1.6")
        return frame[2]

    async def send_frame(self, raw: str, message_id: str | None) -> list[Any]:
        """Send any text; wait for the answer with `message_id` (None: the next untracked one)."""
        async with asyncio.timeout(ANSWER_TIMEOUT_S):
            if message_id is not None:
                waiter: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
                self._answers[message_id] = waiter
                await self.websocket.send(raw)
                return await waiter
            await self.websocket.send(raw)
            return await self._pending_untracked.get()

    async def close(self) -> None:
        await self.websocket.close()
        for task in self._command_tasks:
            task.cancel()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


@contextlib.asynccontextmanager
async def connect(
    ocpp_url: str,
    identity: str,
    password: str | None = None,
    *,
    subprotocols: list[str] | None = None,
) -> AsyncIterator[OcppTestClient]:
    headers = basic_auth(identity, password) if password is not None else {}
    websocket = await websockets.connect(
        f"{ocpp_url}/{identity}",
        subprotocols=subprotocols if subprotocols is not None else ["ocpp1.6"],  # type: ignore[arg-type]
        additional_headers=headers,
        open_timeout=10,
    )
    client = OcppTestClient(websocket)
    try:
        yield client
    finally:
        await client.close()
