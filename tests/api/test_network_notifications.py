"""The operator is told when a station faults or goes offline: an e-mail to the recipients it
chose and a webhook signed with its own secret (HMAC-SHA256 of the body), retried when the
receiver fails; a station back within the grace time is nobody's news."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from cpo.context import Context
from cpo.demo import DEMO_API_TOKEN
from cpo.notifications.rules import signature_matches
from tests.support.accounts import AccountsPlatform, accounts_platform
from tests.support.ocpp_client import connect
from tests.support.webhook_receiver import WebhookReceiver, webhook_receiver

STATION = "DEMO-AC-1"
PASSWORD = "demo-password-demo-ac-1"


@pytest.fixture
async def site(demo: Context) -> AsyncIterator[AccountsPlatform]:
    async with accounts_platform(demo) as running:
        yield running


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with webhook_receiver() as running:
        yield running


async def configure(script: httpx.AsyncClient, receiver: WebhookReceiver, grace_s: int = 0) -> str:
    secret = await script.post("/api/admin/notifications/webhook-secret")
    assert secret.status_code == 201, secret.text
    settings = await script.put(
        "/api/admin/notifications",
        json={
            "email_recipients": ["ops@example.org", "Night-Shift@example.org"],
            "webhook_url": receiver.url,
            "offline_grace_s": grace_s,
            "language": "en",
        },
    )
    assert settings.status_code == 200, settings.text
    assert settings.json()["has_webhook_secret"] is True
    assert "webhook_secret" not in settings.json()
    value: str = secret.json()["webhook_secret"]
    return value


async def retry_planned(script: httpx.AsyncClient) -> bool:
    deliveries = (await script.get("/api/admin/notifications/deliveries")).json()
    return any(d["attempts"] == 1 and d["state"] == "pending" for d in deliveries)


async def all_dropped(script: httpx.AsyncClient) -> bool:
    deliveries = (await script.get("/api/admin/notifications/deliveries")).json()
    return bool(deliveries) and all(d["state"] == "dropped" for d in deliveries)


async def test_a_fault_and_an_outage_reach_mail_and_a_signed_webhook_with_retries(
    site: AccountsPlatform, receiver: WebhookReceiver
) -> None:
    async with httpx.AsyncClient(
        base_url=site.platform.base_url, headers={"Authorization": f"Bearer {DEMO_API_TOKEN}"}
    ) as script:
        secret = await configure(script, receiver)
        async with connect(site.platform.ocpp_url, STATION, PASSWORD) as client:
            await client.call(
                "BootNotification", {"chargePointVendor": "ACME", "chargePointModel": "W"}
            )
            await client.call(
                "StatusNotification",
                {
                    "connectorId": 2,
                    "status": "Faulted",
                    "errorCode": "GroundFailure",
                    "vendorId": "ACME",
                    "vendorErrorCode": "E42",
                },
            )
            hook = await receiver.next_request()
            mails = [await site.mailer.next_mail(), await site.mailer.next_mail()]

            assert hook.method == "POST"
            assert hook.headers["x-cpo-event"] == "station.fault"
            assert signature_matches(secret, hook.body, hook.headers["x-cpo-signature"])
            assert not signature_matches(
                "whsec_another", hook.body, hook.headers["x-cpo-signature"]
            )
            event = json.loads(hook.body)
            assert (event["event"], event["station_identity"], event["connector_id"]) == (
                "station.fault",
                STATION,
                2,
            )
            assert (event["error_code"], event["vendor_error_code"]) == ("GroundFailure", "E42")
            assert sorted(mail.to for mail in mails) == [
                "Night-Shift@example.org",
                "ops@example.org",
            ]
            assert mails[0].subject.endswith("reports a fault: GroundFailure")
            assert "connector 2" in mails[0].text
            assert "/admin/stations/" in mails[0].text

            # The same fault reported again is no new news.
            await client.call(
                "StatusNotification",
                {"connectorId": 2, "status": "Faulted", "errorCode": "GroundFailure"},
            )
            receiver.statuses = [500]  # the receiver fails once

        failed = await receiver.next_request()
        assert failed.headers["x-cpo-event"] == "station.offline"
        offline_mail = await site.mailer.next_mail()
        await site.mailer.next_mail()
        assert offline_mail.subject.endswith("is offline")
        async with asyncio.timeout(15):
            while not await retry_planned(script):  # noqa: ASYNC110 (a row, not an event)
                await asyncio.sleep(0.05)
        site.clock.advance(timedelta(minutes=2))  # past the first retry pause
        retried = await receiver.next_request()
        assert retried.body == failed.body
        assert retried.headers["x-cpo-delivery"] == failed.headers["x-cpo-delivery"]
        assert signature_matches(secret, retried.body, retried.headers["x-cpo-signature"])
        assert site.mailer.pending() == 0

        deliveries = (await script.get("/api/admin/notifications/deliveries")).json()
        offline_hook = next(
            d for d in deliveries if d["channel"] == "webhook" and d["event"] == "station.offline"
        )
        assert (offline_hook["state"], offline_hook["attempts"]) == ("sent", 2)
        assert len(deliveries) == 6
        log = (await script.get("/api/admin/audit", params={"action": "notifications"})).json()
        assert [e["action"] for e in log["entries"]] == [
            "notifications.update",
            "notifications.rotate_secret",
        ]
        assert secret not in json.dumps(log)


async def test_a_station_back_within_the_grace_time_is_not_reported(
    site: AccountsPlatform, receiver: WebhookReceiver
) -> None:
    async with httpx.AsyncClient(
        base_url=site.platform.base_url, headers={"Authorization": f"Bearer {DEMO_API_TOKEN}"}
    ) as script:
        await configure(script, receiver, grace_s=120)
        async with connect(site.platform.ocpp_url, STATION, PASSWORD) as blinking:
            # Answered only once the connection is fully taken (see bridge._serve).
            await blinking.call("Heartbeat", {})
        async with connect(site.platform.ocpp_url, STATION, PASSWORD) as client:
            await client.call("Heartbeat", {})
            site.clock.advance(timedelta(minutes=5))
            async with asyncio.timeout(15):
                while not await all_dropped(script):  # noqa: ASYNC110 (a row, not an event)
                    await asyncio.sleep(0.05)
            # Asked while still connected: leaving this block is an outage of its own.
            deliveries = (await script.get("/api/admin/notifications/deliveries")).json()
        assert len(deliveries) == 3  # two addresses and the webhook
        assert receiver.received == []
        assert site.mailer.pending() == 0

        bad = await script.put(
            "/api/admin/notifications", json={"email_recipients": ["not-an-address"]}
        )
        assert (bad.status_code, bad.json()["code"]) == (422, "invalid_recipient")
        bad_url = await script.put(
            "/api/admin/notifications", json={"webhook_url": "ftp://example.org/x"}
        )
        assert (bad_url.status_code, bad_url.json()["code"]) == (422, "invalid_webhook_url")
