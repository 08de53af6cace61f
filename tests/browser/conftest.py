"""The drivers' web app in a real browser: Debian's Chromium, headless, driven by Playwright.

Playwright's own browser downloads are never used: the tests launch `/usr/bin/chromium`
(or `CPO_TEST_CHROMIUM`). Without it, or without Playwright, they are skipped with the
reason; CI sets `CPO_TEST_REQUIRE_BROWSER=1`, which turns the skip into a failure.

They run on SQLite only (the `database_url` fixture below replaces the one that adds
PostgreSQL): they test what the driver sees, and every API call beneath it runs on both
engines in tests/api and tests/payments already.

Every screen a test reaches goes through `Phone.look` (tests/browser/support.py): a
screenshot in `test-artifacts/screenshots/` and an axe-core scan that must find no serious
or critical violation (all findings are written to `test-artifacts/axe/`).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cpo.context import Context
from tests.browser.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    REQUIRE_BROWSER,
    WAIT_MS,
    Shop,
    browser_missing,
)
from tests.support.platform import start_platform
from tests.support.shop import Inbox, paying_platform, simulated_charger, smtp_inbox

if TYPE_CHECKING:
    from playwright.async_api import Browser


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """SQLite only, for the reason in the module's docstring."""
    target = tmp_path / "cpo.sqlite3"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    reason = browser_missing()
    if reason is not None:
        if REQUIRE_BROWSER:
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=WAIT_MS)
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_inbox() as inbox:
        yield inbox


@pytest.fixture
async def shop(demo: Context, inbox: Inbox) -> AsyncIterator[Shop]:
    """The platform taking money at the fake providers, with DEMO-AC-1 simulated."""
    async with paying_platform(demo, inbox) as paying:
        # Payment pages send the browser back to the platform's public URL, which a server
        # on a free port only knows once it runs: start it again there, knowing it. The
        # host is localhost, not 127.0.0.1: passkeys need a domain as relying party.
        first = paying.platform
        await first.stop()
        ctx = first.ctx
        public = Context(
            ctx.settings.replace(public_url=f"http://localhost:{first.port}"),
            ctx.bus,
            ctx.clock,
            ctx.payments,
            ctx.mailer,
        )
        paying.platform = await start_platform(public, port=first.port)
        async with simulated_charger(paying.platform) as charger:
            yield Shop(paying.platform, paying.fake, charger)
