"""Passkeys with a software authenticator: registration while logged in, login without a
name or with an e-mail hint, and every check the server must make — origin, rp id,
challenge (ours, once), signature, sign count (a cloned authenticator is refused), user
handle."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.support.accounts import AccountsPlatform, Browser
from tests.support.webauthn import SoftwareAuthenticator, b64url

ANNA = "anna@example.org"
BEN = "ben@example.org"


async def anna_with_passkey(site: AccountsPlatform) -> tuple[Browser, SoftwareAuthenticator]:
    anna = await site.logged_in(ANNA)
    authenticator = SoftwareAuthenticator(origin=anna.origin)
    added = await anna.add_passkey(authenticator)
    assert added.status_code == 201, added.text
    return anna, authenticator


async def test_options_are_what_a_browser_takes(site: AccountsPlatform) -> None:
    anna = await site.logged_in(ANNA)
    ceremony = (await anna.post("/api/auth/passkeys/register-options")).json()
    options = ceremony["options"]
    assert options["rp"] == {"id": "localhost", "name": "Demo Stadtwerke Laden"}
    assert options["user"]["name"] == ANNA
    assert options["user"]["displayName"] == "Anna Schmidt"
    assert len(options["user"]["id"]) == 43  # 32 random bytes, base64url: no e-mail inside
    assert len(options["challenge"]) == 43
    assert [p["alg"] for p in options["pubKeyCredParams"]] == [-8, -7, -257]
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    assert options["attestation"] == "none"
    assert options["excludeCredentials"] == []
    assert ceremony["ceremony_id"]

    authenticator = SoftwareAuthenticator(origin=anna.origin)
    credential = authenticator.create(options)
    added = await anna.post(
        "/api/auth/passkeys/register",
        {"ceremony_id": ceremony["ceremony_id"], "credential": credential, "name": "Phone"},
    )
    assert added.status_code == 201, added.text
    assert added.json()["name"] == "Phone"
    assert added.json()["backed_up"] is True
    assert added.json()["transports"] == ["hybrid", "internal"]
    again = (await anna.post("/api/auth/passkeys/register-options")).json()["options"]
    assert again["excludeCredentials"] == [
        {
            "id": b64url(authenticator.credential_id),
            "type": "public-key",
            "transports": ["hybrid", "internal"],
        }
    ]


async def test_log_in_with_a_passkey_and_no_name(site: AccountsPlatform) -> None:
    _, authenticator = await anna_with_passkey(site)
    phone = site.browser()
    ceremony = await phone.login_options()
    assert ceremony["options"]["allowCredentials"] == []  # the device offers what it holds
    assert ceremony["options"]["rpId"] == "localhost"
    assert ceremony["options"]["userVerification"] == "preferred"
    me = phone._logged_in(
        await phone.passkey_login(ceremony, authenticator.get(ceremony["options"]))
    )
    assert me["user"]["email"] == ANNA
    assert (await phone.get("/api/me")).status_code == 200
    [passkey] = (await phone.get("/api/me/passkeys")).json()
    assert passkey["name"] == f"Passkey vom {dt.datetime.now(dt.UTC):%d.%m.%Y}"
    assert passkey["last_used_at"] is not None


async def test_log_in_with_an_e_mail_hint(site: AccountsPlatform) -> None:
    _, authenticator = await anna_with_passkey(site)
    laptop = site.browser()
    ceremony = await laptop.login_options(email="ANNA@example.org")
    [allowed] = ceremony["options"]["allowCredentials"]
    assert allowed["id"] == b64url(authenticator.credential_id)
    me = await laptop.login_with_passkey(authenticator, email=ANNA)
    assert me["customer"]["name"] == "Anna Schmidt"


async def test_a_hint_without_passkey_looks_like_one_with(site: AccountsPlatform) -> None:
    browser = site.browser()
    first = await browser.login_options(email="nobody@example.org")
    second = await browser.login_options(email="nobody@example.org")
    ben = await browser.login_options(email=BEN)  # Ben has an account, but no passkey
    for ceremony in (first, second, ben):
        assert len(ceremony["options"]["allowCredentials"]) == 1
    assert first["options"]["allowCredentials"] == second["options"]["allowCredentials"]
    assert first["options"]["challenge"] != second["options"]["challenge"]


@pytest.mark.parametrize(
    ("case", "forgery"),
    [
        ("another origin", {"origin": "https://charge.evil.example"}),
        ("another port", {"origin": "http://localhost:8443"}),
        ("another relying party", {"rp_id": "evil.example"}),
        ("a challenge of our making, but not this one", {"challenge": "OTHER"}),
        ("a challenge the client made up", {"challenge": b64url(b"x" * 32)}),
        ("a wrong signature", {"tamper_signature": True}),
    ],
)
async def test_a_forged_assertion_is_refused(
    site: AccountsPlatform, case: str, forgery: dict[str, Any]
) -> None:
    _, authenticator = await anna_with_passkey(site)
    browser = site.browser()
    ceremony = await browser.login_options()
    if forgery.get("challenge") == "OTHER":
        forgery["challenge"] = (await browser.login_options())["options"]["challenge"]
    forged = authenticator.get(ceremony["options"], **forgery)
    refused = await browser.http.post(
        "/api/auth/passkeys/login",
        json={"ceremony_id": ceremony["ceremony_id"], "credential": forged},
        headers={"Accept-Language": "de"},
    )
    assert refused.status_code == 401, case
    assert refused.json()["code"] == "passkey_rejected"
    assert refused.json()["title"].startswith("Wir konnten Ihren Passkey nicht prüfen")
    assert "set-cookie" not in refused.headers
    assert (await browser.get("/api/me")).status_code == 401
    # The genuine authenticator still works (the failed try changed nothing).
    assert (await browser.login_with_passkey(authenticator))["user"]["email"] == ANNA


async def test_a_ceremony_is_answered_once(site: AccountsPlatform) -> None:
    _, authenticator = await anna_with_passkey(site)
    browser = site.browser()
    ceremony = await browser.login_options()
    credential = authenticator.get(ceremony["options"])
    assert (await browser.passkey_login(ceremony, credential)).status_code == 200
    replay = await site.browser().passkey_login(ceremony, credential)
    assert replay.status_code == 401
    assert replay.json()["code"] == "ceremony_expired"


async def test_a_ceremony_expires_after_five_minutes(site: AccountsPlatform) -> None:
    _, authenticator = await anna_with_passkey(site)
    browser = site.browser()
    ceremony = await browser.login_options()
    site.clock.advance(dt.timedelta(minutes=5, seconds=1))
    late = await browser.passkey_login(ceremony, authenticator.get(ceremony["options"]))
    assert late.status_code == 401
    assert late.json()["code"] == "ceremony_expired"


async def test_a_cloned_authenticator_is_refused(site: AccountsPlatform) -> None:
    _, authenticator = await anna_with_passkey(site)
    browser = site.browser()
    await browser.login_with_passkey(authenticator)  # count 1
    clone = authenticator.clone()
    await browser.login_with_passkey(authenticator)  # count 2
    # The clone counts on from 1: 2 is not more than the 2 we saw last.
    ceremony = await browser.login_options()
    refused = await browser.passkey_login(ceremony, clone.get(ceremony["options"]))
    assert refused.status_code == 401
    assert refused.json()["code"] == "passkey_rejected"
    ceremony = await browser.login_options()
    lower = await browser.passkey_login(
        ceremony, authenticator.get(ceremony["options"], sign_count=1)
    )
    assert lower.status_code == 401
    # The genuine one, counting on, still logs in.
    ceremony = await browser.login_options()
    genuine = await browser.passkey_login(
        ceremony, authenticator.get(ceremony["options"], sign_count=3)
    )
    assert genuine.status_code == 200


async def test_a_passkey_answering_with_another_users_handle_is_refused(
    site: AccountsPlatform,
) -> None:
    _, anna_key = await anna_with_passkey(site)
    ben = await site.logged_in(BEN)
    ben_key = SoftwareAuthenticator(origin=ben.origin)
    assert (await ben.add_passkey(ben_key)).status_code == 201
    browser = site.browser()
    ceremony = await browser.login_options()
    confused = ben_key.get(ceremony["options"], user_handle=anna_key.user_handle)
    refused = await browser.passkey_login(ceremony, confused)
    assert refused.status_code == 401
    assert (await browser.login_with_passkey(ben_key))["user"]["email"] == BEN


@pytest.mark.parametrize(
    ("case", "forgery"),
    [
        ("another origin", {"origin": "https://charge.evil.example"}),
        ("another relying party", {"rp_id": "evil.example"}),
        ("a challenge the client made up", {"challenge": b64url(b"y" * 32)}),
    ],
)
async def test_a_forged_registration_is_refused(
    site: AccountsPlatform, case: str, forgery: dict[str, Any]
) -> None:
    anna = await site.logged_in(ANNA)
    ceremony = (await anna.post("/api/auth/passkeys/register-options")).json()
    credential = SoftwareAuthenticator(origin=anna.origin).create(ceremony["options"], **forgery)
    refused = await anna.post(
        "/api/auth/passkeys/register",
        {"ceremony_id": ceremony["ceremony_id"], "credential": credential},
    )
    assert refused.status_code == 422, case
    assert refused.json()["code"] == "passkey_invalid"
    assert (await anna.get("/api/me/passkeys")).json() == []


async def test_a_registration_belongs_to_the_session_that_began_it(
    site: AccountsPlatform,
) -> None:
    anna = await site.logged_in(ANNA)
    ben = await site.logged_in(BEN)
    ceremony = (await anna.post("/api/auth/passkeys/register-options")).json()
    credential = SoftwareAuthenticator(origin=ben.origin).create(ceremony["options"])
    taken = await ben.post(
        "/api/auth/passkeys/register",
        {"ceremony_id": ceremony["ceremony_id"], "credential": credential},
    )
    assert taken.status_code == 422
    assert taken.json()["code"] == "ceremony_expired"
    assert (await ben.get("/api/me/passkeys")).json() == []


async def test_a_credential_is_registered_once(site: AccountsPlatform) -> None:
    _, authenticator = await anna_with_passkey(site)
    ben = await site.logged_in(BEN)
    twice = await ben.add_passkey(authenticator)  # Ben's options do not exclude Anna's key
    assert twice.status_code == 409
    assert twice.json()["code"] == "passkey_exists"


async def test_a_removed_passkey_logs_nobody_in(site: AccountsPlatform) -> None:
    anna, authenticator = await anna_with_passkey(site)
    [passkey] = (await anna.get("/api/me/passkeys")).json()
    assert (
        await anna.send("DELETE", f"/api/me/passkeys/{passkey['id']}", csrf=False)
    ).status_code == 403
    assert (await anna.send("DELETE", f"/api/me/passkeys/{passkey['id']}")).status_code == 204
    browser = site.browser()
    ceremony = await browser.login_options()
    refused = await browser.passkey_login(ceremony, authenticator.get(ceremony["options"]))
    assert refused.status_code == 401
    # Someone else's passkey cannot be removed (it does not exist for them).
    ben = await site.logged_in(BEN)
    ben_key = SoftwareAuthenticator(origin=ben.origin)
    await ben.add_passkey(ben_key)
    [bens] = (await ben.get("/api/me/passkeys")).json()
    assert (await anna.send("DELETE", f"/api/me/passkeys/{bens['id']}")).status_code == 404
