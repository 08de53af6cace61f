"""The `WebhookSender` that posts operators' signed network events over HTTP(S) with httpx."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from cpo.ports import WebhookNotSent

TIMEOUT_S = 10.0


class HttpWebhookSender:
    """One shared client; redirects are not followed (a receiver answers where it is asked)."""

    def __init__(self, timeout_s: float = TIMEOUT_S) -> None:
        self._client = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        try:
            response = await self._client.post(url, content=body, headers=dict(headers))
        except httpx.HTTPError as error:
            raise WebhookNotSent(f"{type(error).__name__}: {error}", retryable=True) from None
        if 200 <= response.status_code < 300:
            return
        # The receiver's trouble (5xx, throttling) passes; a 4xx other than those will not.
        retryable = response.status_code >= 500 or response.status_code in (408, 429)
        raise WebhookNotSent(f"the receiver answered {response.status_code}", retryable=retryable)

    async def close(self) -> None:
        await self._client.aclose()
