"""Tokens, Receiver interface: the partner pushes its drivers' tokens; bad input gets the
right OCPI status, never a 500."""

from __future__ import annotations

from tests.support import ocpi_spec as spec
from tests.support.emsp import FakeEmsp
from tests.support.platform import RunningPlatform

TOKENS = ("tokens", "RECEIVER")
UID = "12345678905880"


async def test_a_pushed_token_can_be_read_back_patched_and_replaced(
    platform: RunningPlatform, registered: FakeEmsp
) -> None:
    pushed = await registered.push_token(UID, visual_number="NL-EMS-000123", group_id="FAMILY")
    assert (pushed.status_code, pushed.json()["status_code"]) == (200, 1000)
    spec.check(spec.envelope(), pushed.json())

    read = await registered.request("GET", TOKENS, f"/NL/EMS/{UID}", params={"type": "RFID"})
    assert read.status_code == 200
    spec.check(spec.envelope(spec.TOKEN), read.json())
    token = read.json()["data"]
    assert (token["uid"], token["visual_number"], token["group_id"], token["valid"]) == (
        UID,
        "NL-EMS-000123",
        "FAMILY",
        True,
    )

    patched = await registered.request(
        "PATCH",
        TOKENS,
        f"/NL/EMS/{UID}",
        json_body={"valid": False, "group_id": None, "last_updated": "2026-11-25T12:00:00Z"},
    )
    assert (patched.status_code, patched.json()["status_code"]) == (200, 1000)
    token = (await registered.request("GET", TOKENS, f"/NL/EMS/{UID}")).json()["data"]
    assert token["valid"] is False
    assert "group_id" not in token
    assert token["last_updated"] == "2026-11-25T12:00:00Z"

    replaced = await registered.push_token(UID, whitelist="NEVER")
    assert replaced.status_code == 200
    token = (await registered.request("GET", TOKENS, f"/NL/EMS/{UID}")).json()["data"]
    assert (token["whitelist"], token["valid"]) == ("NEVER", True)
    # Another type of token with the same uid is another token.
    app = await registered.request("GET", TOKENS, f"/NL/EMS/{UID}", params={"type": "APP_USER"})
    assert (app.status_code, app.json()["status_code"]) == (404, 2004)


async def test_bad_token_requests_get_the_right_status(
    platform: RunningPlatform, registered: FakeEmsp
) -> None:
    async def status_of(method: str, suffix: str, **kwargs: object) -> tuple[int, int]:
        response = await registered.request(method, TOKENS, suffix, **kwargs)  # type: ignore[arg-type]
        body = response.json()
        spec.check(spec.envelope(), body)
        return response.status_code, body["status_code"]

    token = registered.token(UID)
    # Unknown token.
    assert await status_of("GET", "/NL/EMS/UNKNOWN1") == (404, 2004)
    assert await status_of(
        "PATCH",
        "/NL/EMS/UNKNOWN1",
        json_body={"valid": False, "last_updated": token["last_updated"]},
    ) == (404, 2004)
    # Not JSON, not an object, a wrong type, a missing field, too long, a bad enum value.
    assert await status_of("PUT", f"/NL/EMS/{UID}", content=b"{oops") == (400, 2001)
    assert await status_of("PUT", f"/NL/EMS/{UID}", content=b"[1, 2]") == (400, 2001)
    assert await status_of("PUT", f"/NL/EMS/{UID}", content=b"") == (400, 2001)
    for broken in (
        {**token, "valid": "yes"},
        {key: value for key, value in token.items() if key != "contract_id"},
        {**token, "issuer": "x" * 65},
        {**token, "whitelist": "SOMETIMES"},
        {**token, "last_updated": "yesterday"},
        {**token, "uid": UID + "X"},  # not the token the URL names
        {**token, "type": "APP_USER"},  # the URL says RFID
    ):
        assert await status_of("PUT", f"/NL/EMS/{UID}", json_body=broken) == (400, 2001), broken
    # A uid longer than 36 characters, an unknown type in the query.
    long_uid = "U" * 37
    assert await status_of("PUT", f"/NL/EMS/{long_uid}", json_body={**token, "uid": long_uid}) == (
        400,
        2001,
    )
    assert await status_of("GET", f"/NL/EMS/{UID}", params={"type": "PASSPORT"}) == (400, 2001)
    # PATCH needs last_updated, and cannot rename a token.
    assert await status_of("PUT", f"/NL/EMS/{UID}", json_body=token) == (200, 1000)
    assert await status_of("PATCH", f"/NL/EMS/{UID}", json_body={"valid": False}) == (400, 2001)
    assert await status_of(
        "PATCH", f"/NL/EMS/{UID}", json_body={"uid": "OTHER", "last_updated": token["last_updated"]}
    ) == (400, 2001)
    assert await status_of(
        "PATCH", f"/NL/EMS/{UID}", json_body={"valid": None, "last_updated": token["last_updated"]}
    ) == (400, 2001)
    # Tokens of a party the partner does not speak for.
    other = {**token, "party_id": "XYZ"}
    assert await status_of("PUT", f"/NL/XYZ/{UID}", json_body=other) == (403, 2000)
    assert await status_of("GET", f"/NL/XYZ/{UID}") == (403, 2000)
    # Tokens cannot be deleted (OCPI: invalidate them), and a path that is no token's.
    assert await status_of("DELETE", f"/NL/EMS/{UID}") == (405, 2000)
    assert await status_of("GET", "/NL/EMS") == (404, 2000)
    # Without a valid token: 401.
    response = await registered.request("GET", TOKENS, f"/NL/EMS/{UID}", token="guess")
    assert response.status_code == 401


async def test_older_partners_send_the_token_unencoded(
    platform: RunningPlatform, registered: FakeEmsp
) -> None:
    registered.send_raw_token_header = True
    response = await registered.push_token(UID)
    assert (response.status_code, response.json()["status_code"]) == (200, 1000)
