from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cpo.context import Context
from tests.support.accounts import AccountsPlatform, accounts_platform


@pytest.fixture
async def site(demo: Context) -> AsyncIterator[AccountsPlatform]:
    """The demo platform (Anna, Ben and the operator's admin have accounts), with mail kept
    in memory and a clock the test can move forward."""
    async with accounts_platform(demo) as running:
        yield running
