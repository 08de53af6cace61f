"""An anonymous driver's ad hoc session: pay, start, watch, stop, get the receipt.

The session is reached only through its token, which the driver's device keeps; there is
no account and no login.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.auth import client_ip
from cpo.i18n import negotiate
from cpo.payments import ad_hoc

# How often the stream looks at the session when no meter value arrives; also keeps
# proxies from dropping an idle stream.
REFRESH_S = 5.0
# After the session finished, how many rounds to wait for the payment to be settled.
ROUNDS_AFTER_FINISH = 12


class AdHocController(Controller):
    tags = ["driver"]

    @post(
        "/api/evses/{evse_id:str}/sessions",
        status_code=HTTP_201_CREATED,
        summary="Pay and charge here",
        description=(
            "Reserves the hold with the chosen provider and returns the payment step for the "
            "web app. Repeat the request with the same `client_key` and you get the same "
            "session and hold back, never a second one."
        ),
    )
    async def start(
        self,
        request: Request[Any, Any, Any],
        state: State,
        evse_id: FromPath[str],
        data: JSONBody[ad_hoc.StartRequest],
        accept_language: Annotated[str | None, HeaderParameter(name="Accept-Language")] = None,
    ) -> ad_hoc.AdHocView:
        language = negotiate(accept_language, data.language or None)
        request_in_language = msgspec.structs.replace(data, language=language)
        return await ad_hoc.start(state.ctx, evse_id, request_in_language, client_ip(request))

    @get("/api/sessions/{token:str}", summary="The session now (poll)", cache_control=None)
    async def view(
        self, state: State, token: FromPath[str], lang: FromQuery[str | None] = None
    ) -> ad_hoc.AdHocView:
        return await ad_hoc.view(state.ctx, token, lang)

    @post(
        "/api/sessions/{token:str}/payment-confirmed",
        status_code=HTTP_200_OK,
        summary="The driver is back from paying",
        description="The platform asks the provider; if the hold stands, the charger starts.",
    )
    async def payment_confirmed(self, state: State, token: FromPath[str]) -> ad_hoc.AdHocView:
        return await ad_hoc.confirm_payment(state.ctx, token)

    @post("/api/sessions/{token:str}/stop", status_code=HTTP_200_OK, summary="Stop charging")
    async def stop(self, state: State, token: FromPath[str]) -> ad_hoc.AdHocView:
        return await ad_hoc.stop(state.ctx, token)

    @get(
        "/api/sessions/{token:str}/events",
        summary="The session, live (server-sent events)",
        description=(
            "An `update` event with the whole session whenever it changes (every meter value "
            "while charging) and at least every 5 s; reconnect at will, the first event is "
            "always the current state."
        ),
    )
    async def events(
        self, state: State, token: FromPath[str], lang: FromQuery[str | None] = None
    ) -> ServerSentEvent:
        ctx = state.ctx
        first = await ad_hoc.view(ctx, token, lang)  # 404 before the stream starts

        async def stream() -> AsyncIterator[ServerSentEventMessage]:
            current = first
            yield _message(current)
            watch = _SessionWatch(ctx, ad_hoc.session_id_of(ctx, token))
            await watch.start()
            rounds_after_finish = 0
            try:
                while not _settled(current) and rounds_after_finish < ROUNDS_AFTER_FINISH:
                    if current.live is not None:
                        await watch.follow(current.live.session_id)
                    await watch.next_change()
                    current = await ad_hoc.view(ctx, token, lang)
                    if current.state.value == "finished":
                        rounds_after_finish += 1
                    yield _message(current)
            finally:
                await watch.close()

        return ServerSentEvent(stream(), retry_duration=3000)


def _message(view: ad_hoc.AdHocView) -> ServerSentEventMessage:
    return ServerSentEventMessage(data=msgspec.json.encode(view).decode(), event="update")


def _settled(view: ad_hoc.AdHocView) -> bool:
    """Nothing more will change for the driver: it failed, or it is paid for."""
    if view.state.value == "failed":
        return True
    return view.state.value == "finished" and view.amount_paid_minor is not None


class _SessionWatch:
    """Wakes the stream when the ad hoc session moves or its charging session gets a meter
    value, or after REFRESH_S, whichever comes first."""

    def __init__(self, ctx: Any, ad_hoc_session_id: int) -> None:
        self._ctx = ctx
        self._ad_hoc_session_id = ad_hoc_session_id
        self._changes: asyncio.Queue[None] = asyncio.Queue()
        self._forwarders: list[asyncio.Task[None]] = []
        self._subscriptions: list[Any] = []
        self._charging_session: int | None = None

    async def start(self) -> None:
        await self._listen(ad_hoc.changes_topic(self._ad_hoc_session_id))

    async def follow(self, charging_session_id: int) -> None:
        if self._charging_session != charging_session_id:
            self._charging_session = charging_session_id
            await self._listen(f"session.{charging_session_id}.updated")

    async def _listen(self, topic: str) -> None:
        subscription = await self._ctx.bus.subscribe(topic)
        self._subscriptions.append(subscription)

        async def forward() -> None:
            async for _ in subscription:
                self._changes.put_nowait(None)

        self._forwarders.append(asyncio.create_task(forward()))

    async def next_change(self) -> None:
        try:
            await asyncio.wait_for(self._changes.get(), timeout=REFRESH_S)
        except TimeoutError:
            return
        while not self._changes.empty():  # several changes at once: one new view is enough
            self._changes.get_nowait()

    async def close(self) -> None:
        for forwarder in self._forwarders:
            forwarder.cancel()
        for subscription in self._subscriptions:
            await subscription.close()
        self._forwarders.clear()
        self._subscriptions.clear()
