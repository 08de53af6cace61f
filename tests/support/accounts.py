"""Logging in as a person would: a browser with a cookie jar, mail that arrives, a clock
that can be moved forward to let logins and links expire."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from cpo.context import Context
from cpo.ports import OutgoingMail
from tests.support.platform import RunningPlatform, start_platform
from tests.support.webauthn import SoftwareAuthenticator

WAIT_S = 15.0
LOGIN_LINK = re.compile(r"/login/([A-Za-z0-9_-]{20,})")


class MovableClock:
    """The system clock, plus whatever the test moved it forward by."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, by: timedelta) -> None:
        self.offset += by


class RecordingMailer:
    """Keeps the mails it is given; `next_mail()` waits for one."""

    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []
        self._queue: asyncio.Queue[OutgoingMail] = asyncio.Queue()

    async def send(self, mail: OutgoingMail) -> None:
        self.sent.append(mail)
        self._queue.put_nowait(mail)

    async def next_mail(self, within: float = WAIT_S) -> OutgoingMail:
        async with asyncio.timeout(within):
            return await self._queue.get()

    def pending(self) -> int:
        return self._queue.qsize()


def login_token(mail: OutgoingMail) -> str:
    found = LOGIN_LINK.search(mail.text)
    assert found is not None, mail.text
    return found.group(1)


class Browser:
    """One browser: keeps the session cookie, sends the CSRF token like the web app does."""

    def __init__(self, platform: RunningPlatform) -> None:
        self.platform = platform
        self.http = httpx.AsyncClient(base_url=platform.base_url, timeout=WAIT_S)
        self.csrf: str | None = None

    async def close(self) -> None:
        await self.http.aclose()

    @property
    def origin(self) -> str:
        """Where the web app runs, as the browser would put it into clientDataJSON."""
        return self.platform.ctx.settings.base_url

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(path, **kwargs)

    async def send(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        csrf: str | bool | None = True,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        token = self.csrf if csrf is True else (csrf or None)
        if token:
            headers["X-CSRF-Token"] = token
        return await self.http.request(method, path, json=json, headers=headers, **kwargs)

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return await self.send("POST", path, json, **kwargs)

    def _logged_in(self, response: httpx.Response) -> dict[str, Any]:
        assert response.status_code == 200, response.text
        me: dict[str, Any] = response.json()
        self.csrf = me["csrf_token"]
        return me

    async def ask_for_link(self, email: str, **extra: Any) -> httpx.Response:
        return await self.http.post("/api/auth/email-link", json={"email": email, **extra})

    async def redeem(self, token: str) -> httpx.Response:
        return await self.http.post("/api/auth/email-link/redeem", json={"token": token})

    async def login_by_mail(self, mailer: RecordingMailer, email: str) -> dict[str, Any]:
        response = await self.ask_for_link(email, language="de")
        assert response.status_code == 202, response.text
        mail = await mailer.next_mail()
        return self._logged_in(await self.redeem(login_token(mail)))

    async def add_passkey(self, authenticator: SoftwareAuthenticator) -> httpx.Response:
        ceremony = (await self.post("/api/auth/passkeys/register-options")).json()
        credential = authenticator.create(ceremony["options"])
        return await self.post(
            "/api/auth/passkeys/register",
            {"ceremony_id": ceremony["ceremony_id"], "credential": credential},
        )

    async def login_options(self, **hint: Any) -> dict[str, Any]:
        response = await self.http.post("/api/auth/passkeys/login-options", json=hint)
        assert response.status_code == 200, response.text
        ceremony: dict[str, Any] = response.json()
        return ceremony

    async def passkey_login(
        self, ceremony: dict[str, Any], credential: dict[str, Any]
    ) -> httpx.Response:
        response = await self.http.post(
            "/api/auth/passkeys/login",
            json={"ceremony_id": ceremony["ceremony_id"], "credential": credential},
        )
        if response.status_code == 200:
            self._logged_in(response)
        return response

    async def login_with_passkey(
        self, authenticator: SoftwareAuthenticator, **hint: Any
    ) -> dict[str, Any]:
        ceremony = await self.login_options(**hint)
        return self._logged_in(
            await self.passkey_login(ceremony, authenticator.get(ceremony["options"]))
        )


class AccountsPlatform:
    def __init__(
        self, platform: RunningPlatform, mailer: RecordingMailer, clock: MovableClock
    ) -> None:
        self.platform = platform
        self.mailer = mailer
        self.clock = clock
        self._browsers: list[Browser] = []

    @property
    def ctx(self) -> Context:
        return self.platform.ctx

    def browser(self) -> Browser:
        browser = Browser(self.platform)
        self._browsers.append(browser)
        return browser

    async def logged_in(self, email: str) -> Browser:
        browser = self.browser()
        await browser.login_by_mail(self.mailer, email)
        return browser

    async def close(self) -> None:
        for browser in self._browsers:
            await browser.close()


@contextlib.asynccontextmanager
async def accounts_platform(demo: Context) -> AsyncIterator[AccountsPlatform]:
    """The demo platform with a recording mailer and a movable clock."""
    mailer = RecordingMailer()
    clock = MovableClock()
    ctx = Context(demo.settings, demo.bus, clock, payments=demo.payments, mailer=mailer)
    platform = await start_platform(ctx)
    running = AccountsPlatform(platform, mailer, clock)
    try:
        yield running
    finally:
        await running.close()
        await running.platform.stop()
