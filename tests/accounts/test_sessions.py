"""Login sessions: the cookie, the CSRF token on every change, logging out, expiry, and
what each role may reach."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.support.accounts import AccountsPlatform

ANNA = "anna@example.org"
BEN = "ben@example.org"
OPERATOR_ADMIN = "operator@example.org"


async def test_without_a_login_the_account_is_closed(site: AccountsPlatform) -> None:
    browser = site.browser()
    answer = await browser.http.get("/api/me", headers={"Accept-Language": "de"})
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "not_authenticated"
    assert answer.json()["title"] == "Bitte melden Sie sich an."
    async with httpx.AsyncClient(
        base_url=site.platform.base_url, cookies={"cpo_session": "made-up"}
    ) as forger:
        assert (await forger.get("/api/me")).status_code == 401


async def test_every_change_needs_the_csrf_token(site: AccountsPlatform) -> None:
    anna = await site.logged_in(ANNA)
    assert (await anna.get("/api/me")).json()["user"]["language"] == "de"
    for token in (None, "", "not-the-token"):
        refused = await anna.send("PATCH", "/api/me", {"language": "en"}, csrf=token or False)
        assert refused.status_code == 403
        assert refused.json()["code"] == "csrf_failed"
        assert refused.json()["title"].startswith("Wir konnten diese Anfrage nicht prüfen")
    # Another session's token is no good either.
    ben = await site.logged_in(BEN)
    assert ben.csrf is not None
    crossed = await anna.send("PATCH", "/api/me", {"language": "en"}, csrf=ben.csrf)
    assert crossed.status_code == 403
    assert (await anna.get("/api/me")).json()["user"]["language"] == "de"

    changed = await anna.send("PATCH", "/api/me", {"language": "en", "display_name": "Anna S."})
    assert changed.status_code == 200, changed.text
    assert changed.json()["user"]["language"] == "en"
    assert changed.json()["user"]["display_name"] == "Anna S."
    # Starting a session or adding a passkey is a change too.
    assert (await anna.post("/api/auth/passkeys/register-options", csrf=False)).status_code == 403
    start = await anna.post("/api/evses/DE*DEM*E0001*1/contract-sessions", csrf=False)
    assert start.status_code == 403


async def test_logging_out_ends_the_session_on_the_server(site: AccountsPlatform) -> None:
    anna = await site.logged_in(ANNA)
    token = anna.http.cookies["cpo_session"]
    assert (await anna.post("/api/auth/logout", csrf=False)).status_code == 403
    assert (await anna.get("/api/me")).status_code == 200  # not logged out by a forged post

    out = await anna.post("/api/auth/logout")
    assert out.status_code == 204
    assert (
        'cpo_session=""' in out.headers["set-cookie"]
        or "cpo_session=;" in out.headers["set-cookie"]
    )
    assert "Max-Age=0" in out.headers["set-cookie"]
    assert (await anna.get("/api/me")).status_code == 401
    # The old cookie, kept by someone: the server has revoked it.
    async with httpx.AsyncClient(
        base_url=site.platform.base_url, cookies={"cpo_session": token}
    ) as other:
        kept = await other.get("/api/me")
        assert kept.status_code == 401
        assert kept.json()["code"] == "login_expired"
    # Logging out twice is fine.
    assert (await anna.post("/api/auth/logout")).status_code == 204


async def test_a_driver_stays_logged_in_while_using_the_app(site: AccountsPlatform) -> None:
    anna = await site.logged_in(ANNA)
    for _ in range(3):  # 87 days, never 30 without a visit
        site.clock.advance(timedelta(days=29))
        assert (await anna.get("/api/me")).status_code == 200
    site.clock.advance(timedelta(days=30, minutes=1))
    expired = await anna.get("/api/me")
    assert expired.status_code == 401
    assert expired.json()["code"] == "login_expired"


async def test_operator_staff_log_in_for_one_working_day(site: AccountsPlatform) -> None:
    admin = await site.logged_in(OPERATOR_ADMIN)
    me = (await admin.get("/api/me")).json()
    assert me["user"]["role"] == "operator_admin"
    assert me["customer"] is None
    site.clock.advance(timedelta(hours=7, minutes=30))
    assert (await admin.get("/api/me")).status_code == 200
    site.clock.advance(timedelta(minutes=31))  # used all day long, still 8 hours at most
    assert (await admin.get("/api/me")).status_code == 401


async def test_roles_decide_what_a_user_reaches(site: AccountsPlatform) -> None:
    nobody = site.browser()
    assert (await nobody.get("/api/operator/customers")).status_code == 401
    anna = await site.logged_in(ANNA)
    refused = await anna.get("/api/operator/customers")
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden_role"
    assert refused.json()["title"] == "Dazu sind Sie nicht berechtigt."

    admin = await site.logged_in(OPERATOR_ADMIN)
    customers = await admin.get("/api/operator/customers")
    assert customers.status_code == 200
    assert [c["name"] for c in customers.json()] == ["Anna Schmidt", "Ben Müller", "Musterbau GmbH"]
    assert customers.json()[1]["customer_group"] == "employees"
    # Operator staff have no contract: they cannot charge as a customer.
    charging = await admin.post("/api/evses/DE*DEM*E0001*1/contract-sessions")
    assert charging.status_code == 403
    assert charging.json()["code"] == "forbidden_role"
    assert (await admin.get("/api/me/sessions")).status_code == 403
