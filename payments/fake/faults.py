"""Injected failures: the next N requests matching a path pattern fail with a 5xx or hang.

A rule either strikes *before* the request is processed (nothing happened at the provider;
a retry runs it for the first time) or *after* it (the provider did it, but the answer is
lost or late: a retry with the same idempotency key must get the saved result back). This
is the difference between "Stripe is down" and "the network ate the response".
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from payments.fake.common import dump_json, paypal_id, stripe_id

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class FaultKind(StrEnum):
    ERROR = "error"  # answer with an HTTP 5xx in the provider's error shape
    HANG = "hang"  # answer nothing for `seconds` (longer than the client's timeout)


@dataclass
class FaultRule:
    """`path` is a glob on the request path (`*` also matches `/`), e.g.
    `/v1/payment_intents/*/capture` or `/v2/payments/*`."""

    path: str
    kind: FaultKind
    times: int = 1
    method: str | None = None
    status: int = 500
    seconds: float = 30.0
    after_processing: bool = False
    hits: int = field(default=0)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return fnmatch.fnmatchcase(path, self.path)


class FaultPlan:
    """The active rules, consumed in the order they were added."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self.stopping = asyncio.Event()

    def add(self, rule: FaultRule) -> FaultRule:
        if rule.times < 1:
            raise ValueError("times must be at least 1")
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        self.rules.clear()

    def take(self, method: str, path: str) -> FaultRule | None:
        if path.startswith("/_fake/"):
            return None  # the controls themselves never fail
        for rule in self.rules:
            if rule.matches(method, path):
                rule.hits += 1
                if rule.hits >= rule.times:
                    self.rules.remove(rule)
                return rule
        return None

    async def hang(self, seconds: float) -> None:
        """Wait `seconds`, or less when the server shuts down."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), timeout=seconds)


def _error_body(path: str, status: int) -> bytes:
    if _is_paypal(path):
        return dump_json(
            {
                "name": "INTERNAL_SERVER_ERROR",
                "message": "An internal server error occurred.",
                "debug_id": paypal_id(13).lower(),
                "links": [
                    {
                        "href": "https://developer.paypal.com/api/rest/reference/orders/v2/errors/#INTERNAL_SERVER_ERROR",
                        "rel": "information_link",
                        "method": "GET",
                    }
                ],
            }
        )
    return dump_json(
        {
            "error": {
                "type": "api_error",
                "message": (
                    "An unknown error occurred while processing your request "
                    f"(fake provider: injected HTTP {status})."
                ),
                "request_log_url": f"https://dashboard.stripe.com/test/logs/{stripe_id('req')}",
            }
        },
        pretty=True,
    )


def _is_paypal(path: str) -> bool:
    return (
        path.startswith("/v2/")
        or path.startswith("/v1/oauth2/")
        or path.startswith("/v1/notifications/")
    )


class FaultMiddleware:
    """Plain ASGI wrapper around the fake's app that applies the `FaultPlan`."""

    def __init__(self, app: ASGIApp, plan: FaultPlan) -> None:
        self.app = app
        self.plan = plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rule = self.plan.take(scope["method"], scope["path"])
        if rule is None:
            await self.app(scope, receive, send)
            return
        if not rule.after_processing:
            if rule.kind is FaultKind.HANG:
                await self.plan.hang(rule.seconds)
                await _send_error(send, scope["path"], 504)
            else:
                await _send_error(send, scope["path"], rule.status)
            return
        # Let the provider do the work, keep its answer back, then fail or delay it.
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        if rule.kind is FaultKind.HANG:
            await self.plan.hang(rule.seconds)
            for message in held:
                await send(message)
        else:
            await _send_error(send, scope["path"], rule.status)


async def _send_error(send: Send, path: str, status: int) -> None:
    body = _error_body(path, status)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
