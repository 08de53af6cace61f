"""Operator B can neither read nor change anything of operator A through ANY admin, export
or platform endpoint: every route of the app under /api/admin, /api/operator and
/api/platform is called with B's credentials — reads must not show A's data, calls that
name A's records by id must be refused — and A's data is the same afterwards.

The routes come from the app itself, so an endpoint added later is covered without
touching this test; `KNOWN_PARAMETERS` says what to put into path parameters."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from cpo.accounts.tables import User
from cpo.context import Context
from cpo.demo import DEMO_API_TOKEN
from cpo.operators.service import create_api_token
from cpo.operators.tables import Operator
from cpo.privacy.enums import RequestKind, RequestStatus
from cpo.privacy.tables import PrivacyRequest
from cpo.tables import ALL_TABLES
from tests.support.billing_site import anna_charges_last_month
from tests.support.platform import RunningPlatform

ADMIN_PREFIXES = ("/api/admin", "/api/operator", "/api/platform")
# Texts that only operator A's (the demo's) data contains.
MARKERS = ("DE*DEM*", "DEMO-AC", "DEMO-DC", "04A2B3C4D5E6F7", "Demo Stadtwerke", "anna@example")
# Path parameters by name: the ids and keys of A's records (the demo's first rows).
KNOWN_PARAMETERS = {
    "evse_id": "DE*DEM*E0001*1",
    "identity": "DEMO-AC-1",
    "station": "DEMO-AC-1",
    "uid": "04A2B3C4D5E6F7",
    "slug": "demo",
    "site": "1",
}
ANY_ID = "1"
# Query parameters some reads require (periods, months); others ignore them.
QUERY = {
    "date_from": "2020-01-01T00:00:00Z",
    "date_to": "2030-01-01T00:00:00Z",
    "month": "2026-11",
    "year": "2026",
}
STREAM_READ_S = 1.5
_PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")


@pytest.fixture
async def rival(platform: RunningPlatform, demo: Context) -> AsyncIterator[httpx.AsyncClient]:
    rows = await Operator.insert(
        Operator(slug="rival", name="Rival", country_code="DE", party_id="RIV")
    ).returning(Operator.id)
    token, _ = await create_api_token(demo, rows[0]["id"], "rival")
    async with httpx.AsyncClient(
        base_url=platform.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        yield client


def admin_routes(platform: RunningPlatform) -> list[tuple[str, str]]:
    found = []
    for route in platform.app.routes:
        if route.path.startswith(ADMIN_PREFIXES):
            for method in sorted(getattr(route, "methods", set()) - {"OPTIONS", "HEAD"}):
                found.append((method, route.path))
    return found


def concrete(path: str) -> str:
    return _PARAMETER.sub(lambda m: KNOWN_PARAMETERS.get(m.group(1), ANY_ID), path)


async def operator_a_data(operator_id: int) -> str:
    """A digest of every row of every table that belongs to operator A."""
    digest = hashlib.sha256()
    for table in ALL_TABLES:
        if "operator" not in {column._meta.name for column in table._meta.columns}:
            continue
        owned = table.select().where(table.operator == operator_id)
        rows = await owned.order_by(table._meta.primary_key)
        digest.update(table._meta.tablename.encode())
        digest.update(json.dumps(rows, default=str, sort_keys=True).encode())
    return digest.hexdigest()


async def read(client: httpx.AsyncClient, path: str) -> tuple[int, str]:
    """A GET, also of event streams (which never end: read for a moment, then stop)."""
    async with client.stream("GET", path, params=QUERY) as response:
        body = b""
        started = time.monotonic()
        try:
            async with asyncio.timeout(STREAM_READ_S):
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if time.monotonic() - started > STREAM_READ_S:
                        break
        except TimeoutError:
            pass  # a live stream: what it sent so far is what B could see
        return response.status_code, body.decode(errors="replace")


async def seed_operator_a(platform: RunningPlatform) -> None:
    """Records of A that ids in paths can name: a report with a photo and Anna's request to
    be erased, beside the demo's."""
    anna = await User.select(User.id, User.operator).where(User.email == "anna@example.org").first()
    assert anna is not None
    await PrivacyRequest.insert(
        PrivacyRequest(
            operator=anna["operator"],
            user=anna["id"],
            kind=RequestKind.DELETION,
            status=RequestStatus.OPEN,
            created_at=platform.ctx.clock.now(),
        )
    )
    async with httpx.AsyncClient(base_url=platform.base_url) as driver:
        ticket = await driver.post(
            "/api/evses/DE*DEM*E0001*1/problems", json={"kind": "damaged", "description": "x"}
        )
        assert ticket.status_code == 201, ticket.text
        photo = await driver.post(
            f"/api/support/tickets/{ticket.json()['token']}/photos",
            content=b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
        )
        assert photo.status_code == 204
    async with httpx.AsyncClient(
        base_url=platform.base_url, headers={"Authorization": f"Bearer {DEMO_API_TOKEN}"}
    ) as own:
        audit = await own.get("/api/admin/audit")
        assert audit.status_code == 200
        # An invoice (id 1) and its credit note, for the invoice routes.
        period = await anna_charges_last_month(platform.ctx, 20_000, 8_000)
        billed = await own.post("/api/admin/billing-runs", json={"period": str(period)})
        assert billed.json()["new_invoices"], billed.text
        credited = await own.post(
            "/api/admin/invoices/1/credit-notes", json={"reason": "seed", "positions": [2]}
        )
        assert credited.status_code == 201, credited.text


async def test_operator_b_sees_and_changes_nothing_of_operator_a(
    platform: RunningPlatform, rival: httpx.AsyncClient
) -> None:
    await seed_operator_a(platform)
    demo = await Operator.select(Operator.id).where(Operator.slug == "demo").first()
    assert demo is not None
    before = await operator_a_data(demo["id"])
    routes = admin_routes(platform)
    assert len(routes) >= 15  # the walk found the admin API
    leaks = []
    for method, template in routes:
        path = concrete(template)
        names_a_record = path != template
        if method == "GET":
            status, body = await read(rival, path)
            # A refusal may repeat what B itself asked for (the id in the path): no leak.
            shown = [
                marker
                for marker in MARKERS
                if marker in body and not (status >= 400 and marker in path)
            ]
            if status >= 500 or shown or (names_a_record and status < 400):
                leaks.append(f"GET {template}: {status} {shown}")
        elif names_a_record:
            response = await rival.request(method, path, json={})
            if response.status_code < 400 or response.status_code >= 500:
                leaks.append(f"{method} {template}: {response.status_code}")
    assert leaks == []
    assert await operator_a_data(demo["id"]) == before
