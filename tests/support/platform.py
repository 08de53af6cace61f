"""The platform served by uvicorn inside the test's event loop, on a free port."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import uvicorn
from litestar import Litestar

from api.app import create_app
from cpo.context import Context
from ocpp_bridge.bridge import MAX_FRAME_BYTES, WEBSOCKET_IMPLEMENTATION, Bridge


@dataclass
class RunningPlatform:
    ctx: Context
    app: Litestar
    server: uvicorn.Server
    task: asyncio.Task[None]
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ocpp_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp"

    @property
    def bridge(self) -> Bridge:
        bridge: Bridge = self.app.state.bridge
        return bridge

    async def stop(self) -> None:
        self.server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, timeout=10)

    async def restart(self) -> RunningPlatform:
        """Stop this server and start a fresh app on the same port (a node restart)."""
        await self.stop()
        return await start_platform(self.ctx, port=self.port)


async def start_platform(ctx: Context, *, port: int = 0) -> RunningPlatform:
    app = create_app(
        ctx.settings,
        bus=ctx.bus,
        clock=ctx.clock,
        payments=ctx.payments,
        mailer=ctx.mailer,
        manage_database=False,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            ws=WEBSOCKET_IMPLEMENTATION,
            ws_max_size=MAX_FRAME_BYTES,
            log_config=None,
            lifespan="on",
        )
    )
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
    bound_port = server.servers[0].sockets[0].getsockname()[1]
    return RunningPlatform(ctx, app, server, task, bound_port)
