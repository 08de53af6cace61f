"""Connecting a partner: the credentials handshake in both directions, token rotation,
unregistering, both forms of the Authorization header, and the OCPI envelope."""

from __future__ import annotations

import base64

import httpx

from tests.roaming.conftest import admin, offer
from tests.support import ocpi_spec as spec
from tests.support.emsp import FakeEmsp
from tests.support.platform import RunningPlatform


def token_header(token: str) -> dict[str, str]:
    return {"Authorization": "Token " + base64.b64encode(token.encode()).decode()}


async def get(url: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.get(url, headers=headers)


async def test_a_partner_registers_with_a_registration_token(
    platform: RunningPlatform, emsp: FakeEmsp
) -> None:
    offered = await offer(platform)
    assert offered["versions_url"] == f"{platform.base_url}/ocpi/versions"
    token_a = offered["token"]

    body = await emsp.register(offered["versions_url"], token_a)

    ours = body["data"]
    assert ours["token"] != token_a
    assert ours["roles"] == [
        {
            "role": "CPO",
            "business_details": {
                "name": "Demo Stadtwerke Laden",
                "website": "https://charge.example.org",
            },
            "party_id": "DEM",
            "country_code": "DE",
        }
    ]
    assert emsp.schema_problems == []
    # We read the partner's versions with the token it gave us, during its POST.
    assert emsp.requests_to("GET", "/versions")
    # Our endpoints: the CPO side of every module we serve.
    assert {(module, role) for module, role in emsp.platform_endpoints} >= {
        ("credentials", "SENDER"),
        ("locations", "SENDER"),
        ("tariffs", "SENDER"),
        ("sessions", "SENDER"),
        ("cdrs", "SENDER"),
        ("tokens", "RECEIVER"),
        ("commands", "RECEIVER"),
    }
    # Token A is spent; token C works, in the 2.2.1 (Base64) and the older (raw) form.
    refused = await get(offered["versions_url"], **token_header(token_a))
    assert refused.status_code == 401
    spec.check(spec.envelope(), refused.json())
    assert refused.json()["status_code"] == 2000
    assert (await get(offered["versions_url"], **token_header(ours["token"]))).status_code == 200
    raw = await get(offered["versions_url"], Authorization=f"Token {ours['token']}")
    assert raw.status_code == 200

    partners = await admin(platform, "GET", "/api/admin/roaming/partners")
    assert [(p["name"], p["status"], p["country_code"], p["party_id"]) for p in partners] == [
        ("Test Mobility", "registered", "NL", "EMS")
    ]
    # The operator's change is in the audit log; no credentials token is.
    log = await admin(platform, "GET", "/api/admin/audit")
    assert [entry["action"] for entry in log["entries"]] == ["roaming_partner.offer"]
    assert token_a not in str(log)
    assert ours["token"] not in str(log)


async def test_every_answer_is_an_envelope_with_the_request_ids(
    platform: RunningPlatform, registered: FakeEmsp
) -> None:
    response = await registered.request(
        "GET",
        ("credentials", "SENDER"),
        "",
        extra_headers={"X-Request-ID": "req-1", "X-Correlation-ID": "corr-1"},
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req-1"
    assert response.headers["x-correlation-id"] == "corr-1"
    # Routing headers come back swapped: the answer goes to who asked.
    assert response.headers["ocpi-to-country-code"] == "NL"
    assert response.headers["ocpi-to-party-id"] == "EMS"
    body = response.json()
    spec.check(spec.envelope(spec.CREDENTIALS), body)
    assert body["status_code"] == 1000
    assert body["data"]["token"] == registered.token_for_platform


async def test_unknown_missing_and_malformed_tokens_are_refused(platform: RunningPlatform) -> None:
    url = f"{platform.base_url}/ocpi/versions"
    for headers in (
        {},
        {"Authorization": "Token"},
        {"Authorization": "Bearer abc"},
        token_header("not-a-token-we-know"),
        {"Authorization": "Token %%%%"},
        {"Authorization": "Token " + "A" * 5000},
    ):
        response = await get(url, **headers)
        assert response.status_code == 401, headers
        body = response.json()
        spec.check(spec.envelope(), body)
        assert body["status_code"] == 2000


async def test_registering_twice_or_updating_unregistered_is_not_allowed(
    platform: RunningPlatform, emsp: FakeEmsp
) -> None:
    offered = await offer(platform)
    await emsp.learn_platform(offered["versions_url"], offered["token"])
    # PUT before registering: 405.
    response = await emsp.request(
        "PUT", ("credentials", "SENDER"), "", json_body=emsp.credentials("b-token-123")
    )
    assert response.status_code == 405
    assert response.json()["status_code"] == 2000
    await emsp.register(offered["versions_url"], offered["token"])
    response = await emsp.request(
        "POST", ("credentials", "SENDER"), "", json_body=emsp.credentials("b-token-456")
    )
    assert response.status_code == 405


async def test_bad_credentials_get_2001_or_3xxx(platform: RunningPlatform, emsp: FakeEmsp) -> None:
    offered = await offer(platform)
    await emsp.learn_platform(offered["versions_url"], offered["token"])
    credentials = ("credentials", "SENDER")

    malformed = await emsp.request("POST", credentials, "", content=b"{not json")
    assert (malformed.status_code, malformed.json()["status_code"]) == (400, 2001)

    no_roles = emsp.credentials("b-token-123")
    no_roles["roles"] = []
    response = await emsp.request("POST", credentials, "", json_body=no_roles)
    assert (response.status_code, response.json()["status_code"]) == (400, 2001)

    long_party = emsp.credentials("b-token-123")
    long_party["roles"][0]["party_id"] = "TOOLONG"
    response = await emsp.request("POST", credentials, "", json_body=long_party)
    assert (response.status_code, response.json()["status_code"]) == (400, 2001)

    cpo_only = emsp.credentials("b-token-123")
    cpo_only["roles"][0]["role"] = "CPO"
    response = await emsp.request("POST", credentials, "", json_body=cpo_only)
    assert response.json()["status_code"] == 2001

    # A versions URL we cannot read with the token given: 3001.
    unreachable = emsp.credentials("b-token-123")
    unreachable["url"] = "http://127.0.0.1:9/versions"
    response = await emsp.request("POST", credentials, "", json_body=unreachable)
    assert (response.status_code, response.json()["status_code"]) == (400, 3001)
    wrong_token = emsp.credentials("a-token-the-emsp-does-not-accept")
    response = await emsp.request("POST", credentials, "", json_body=wrong_token)
    assert response.json()["status_code"] == 3001

    # None of that registered the partner: token A still reaches only the handshake.
    tokens = await emsp.request("GET", ("tokens", "RECEIVER"), "/NL/EMS/0102030405")
    assert (tokens.status_code, tokens.json()["status_code"]) == (401, 2000)
    assert emsp.schema_problems == []


async def test_the_partner_rotates_its_token_and_unregisters(
    platform: RunningPlatform, registered: FakeEmsp
) -> None:
    old = registered.token_for_platform
    assert old is not None
    registered.accepted_tokens.add("b-token-rotated")
    response = await registered.request(
        "PUT", ("credentials", "SENDER"), "", json_body=registered.credentials("b-token-rotated")
    )
    assert response.status_code == 200, response.text
    new = response.json()["data"]["token"]
    assert new != old
    versions = f"{platform.base_url}/ocpi/versions"
    assert (await get(versions, **token_header(old))).status_code == 401
    assert (await get(versions, **token_header(new))).status_code == 200

    registered.token_for_platform = new
    response = await registered.request("DELETE", ("credentials", "SENDER"), "")
    assert (response.status_code, response.json()["status_code"]) == (200, 1000)
    assert (await get(versions, **token_header(new))).status_code == 401
    partners = await admin(platform, "GET", "/api/admin/roaming/partners")
    assert partners[0]["status"] == "unregistered"


async def test_we_register_with_a_partner_rotate_and_disconnect(
    platform: RunningPlatform, emsp: FakeEmsp
) -> None:
    token_a = emsp.offer_token_a()
    summary = await admin(
        platform,
        "POST",
        "/api/admin/roaming/partners/connections",
        json={"name": "Test Mobility", "versions_url": emsp.versions_url, "token": token_a},
    )
    assert (summary["status"], summary["country_code"], summary["party_id"]) == (
        "registered",
        "NL",
        "EMS",
    )
    assert "tokens:SENDER" in summary["modules"]
    assert emsp.schema_problems == []
    posted = emsp.requests_to("POST", "/2.2.1/credentials")
    assert len(posted) == 1
    # We called with token A, in the 2.2.1 form.
    assert (
        posted[0].headers["authorization"] == "Token " + base64.b64encode(token_a.encode()).decode()
    )
    # The partner reads our versions with the token we gave it, and it works for modules.
    assert emsp.token_for_platform == posted[0].body["token"]
    response = await emsp.request("GET", ("tokens", "RECEIVER"), "/NL/EMS/0102030405")
    assert (response.status_code, response.json()["status_code"]) == (404, 2004)
    # Our calls now carry the token the partner gave back (token C), not token A.
    assert token_a not in emsp.accepted_tokens

    await admin(platform, "POST", f"/api/admin/roaming/partners/{summary['id']}/rotation")
    put = emsp.requests_to("PUT", "/2.2.1/credentials")
    assert len(put) == 1
    assert emsp.token_for_platform == put[0].body["token"] != posted[0].body["token"]
    response = await emsp.request("GET", ("tokens", "RECEIVER"), "/NL/EMS/0102030405")
    assert response.status_code == 404

    ours = emsp.token_for_platform
    await admin(platform, "DELETE", f"/api/admin/roaming/partners/{summary['id']}")
    assert len(emsp.requests_to("DELETE", "/2.2.1/credentials")) == 1
    response = await emsp.request("GET", ("tokens", "RECEIVER"), "/NL/EMS/0102030405", token=ours)
    assert response.status_code == 401
    log = await admin(platform, "GET", "/api/admin/audit")
    assert [entry["action"] for entry in log["entries"]] == [
        "roaming_partner.disconnect",
        "roaming_partner.rotate",
        "roaming_partner.connect",
    ]
    assert token_a not in str(log)


async def test_a_partner_that_refuses_our_registration_is_reported(
    platform: RunningPlatform, emsp: FakeEmsp
) -> None:
    emsp.offer_token_a()
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=20) as http:
        response = await http.post(
            "/api/admin/roaming/partners/connections",
            headers={"Authorization": "Bearer cpo_demo-admin-token-for-trying-the-api"},
            json={"name": "Wrong", "versions_url": emsp.versions_url, "token": "wrong-token"},
        )
    assert response.status_code == 409
    assert "cannot use the partner's platform" in response.json()["title"]
