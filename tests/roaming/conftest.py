"""The platform with the demo operator, and an e-mobility provider next to it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest

from cpo.context import Context
from cpo.demo import DEMO_API_TOKEN
from cpo.settings import Settings
from tests.support.emsp import FakeEmsp, running_emsp
from tests.support.platform import RunningPlatform, start_platform

T = TypeVar("T")
ADMIN = {"Authorization": f"Bearer {DEMO_API_TOKEN}"}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        port=0,
        node_id="test-node",
        ocpp_validate_outgoing=True,
        ocpp_call_timeout_s=5.0,
        # A partner that does not answer real-time authorization in a second is offline.
        ocpi_authorize_timeout_s=1.0,
        ocpi_request_timeout_s=5.0,
        ocpi_push_max_attempts=3,
        ocpi_session_update_interval_s=1,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def platform(demo: Context) -> AsyncIterator[RunningPlatform]:
    """The platform on a free port that it knows: partners are given URLs on it."""
    port = free_port()
    settings = demo.settings.replace(public_url=f"http://127.0.0.1:{port}", port=port)
    running = await start_platform(
        Context(settings=settings, bus=demo.bus, clock=demo.clock), port=port
    )
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def emsp() -> AsyncIterator[FakeEmsp]:
    async with running_emsp() as partner:
        yield partner


async def admin(platform: RunningPlatform, method: str, path: str, **kwargs: Any) -> Any:
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=20) as http:
        response = await http.request(method, path, headers=ADMIN, **kwargs)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


async def eventually(check: Callable[[], Awaitable[T]], timeout_s: float = 15.0) -> T:
    """What the operator's view shows once the platform got there: push states change right
    after a partner's answer, and no event announces them, so the view is read until it
    shows the expected (bounded, like every wait here)."""
    attempts = int(timeout_s / 0.05)
    for _ in range(attempts):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"not so after {timeout_s} s")


async def offer(platform: RunningPlatform) -> dict[str, Any]:
    offered: dict[str, Any] = await admin(
        platform, "POST", "/api/admin/roaming/partners/offers", json={"name": "Test Mobility"}
    )
    return offered


@pytest.fixture
async def registered(platform: RunningPlatform, emsp: FakeEmsp) -> FakeEmsp:
    """The e-mobility provider registered with the platform (token A from the operator)."""
    offered = await offer(platform)
    await emsp.register(offered["versions_url"], offered["token"])
    return emsp
