"""The admin API as operators reach it in tests: a script with an API token, or a member of
staff logged in with the web app's cookie."""

from __future__ import annotations

import httpx

from cpo.accounts import service as accounts
from cpo.accounts.enums import Role
from cpo.demo import DEMO_API_TOKEN, DEMO_OPERATOR_SLUG
from cpo.operators.tables import Operator
from tests.support.accounts import AccountsPlatform, Browser

STAFF_EMAIL = "staff@example.org"


def script(site: AccountsPlatform, token: str = DEMO_API_TOKEN) -> httpx.AsyncClient:
    """An operator's script with its API token (the demo operator's by default)."""
    return httpx.AsyncClient(
        base_url=site.platform.base_url, headers={"Authorization": f"Bearer {token}"}
    )


async def logged_in_staff(site: AccountsPlatform) -> Browser:
    """The demo operator's staff (reads, may not change), logged in."""
    operator = await Operator.select(Operator.id).where(Operator.slug == DEMO_OPERATOR_SLUG).first()
    assert operator is not None
    await accounts.create_user(
        site.ctx, operator["id"], accounts.UserInput(email=STAFF_EMAIL, role=Role.OPERATOR_STAFF)
    )
    return await site.logged_in(STAFF_EMAIL)
