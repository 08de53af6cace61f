"""The client that calls partners' OCPI platforms.

Every request carries our credentials token (Base64, OCPI 2.2.1), a fresh X-Request-ID, an
X-Correlation-ID, and the routing headers a hub needs to forward it. Every answer is
treated as hostile: size-limited, decoded strictly, and turned into a PartnerError when it
is not what OCPI promises.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

import httpx
import msgspec

from roaming.schemas import RawResponse
from roaming.transport import (
    PartnerError,
    Status,
    authorization_header,
    new_request_id,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_RESPONSE_BYTES = 5 * 1024 * 1024


class Routing(msgspec.Struct, frozen=True):
    """OCPI-from-* (us) and OCPI-to-* (the party the request is for), for hubs."""

    from_country_code: str
    from_party_id: str
    to_country_code: str
    to_party_id: str

    def headers(self) -> dict[str, str]:
        return {
            "OCPI-from-country-code": self.from_country_code,
            "OCPI-from-party-id": self.from_party_id,
            "OCPI-to-country-code": self.to_country_code,
            "OCPI-to-party-id": self.to_party_id,
        }


class Reply(msgspec.Struct, frozen=True):
    http_status: int
    status_code: int
    status_message: str
    data: msgspec.Raw
    headers: dict[str, str]

    def decode(self, kind: type[T]) -> T:
        try:
            return msgspec.json.decode(self.data, type=kind, strict=False)
        except (msgspec.ValidationError, msgspec.DecodeError) as error:
            raise PartnerError(f"the partner sent an invalid object: {error}") from None


class PartnerClient:
    """One HTTP connection pool for every partner; `transport` lets tests route in-process."""

    def __init__(
        self, *, timeout_s: float = 20.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._http = httpx.AsyncClient(
            timeout=timeout_s, transport=transport, follow_redirects=False
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def call(
        self,
        method: str,
        url: str,
        *,
        token: str,
        body: Any = None,
        routing: Routing | None = None,
        correlation_id: str | None = None,
        timeout_s: float | None = None,
    ) -> Reply:
        """Send one request; raises PartnerError unless the partner answered with an OCPI
        envelope (whatever its status code: callers decide what a 2xxx means to them)."""
        if not url.lower().startswith(("https://", "http://")):
            raise PartnerError(f"not an HTTP URL: {url[:100]!r}", retryable=False)
        request_id = new_request_id()
        headers = {
            "Authorization": authorization_header(token),
            "X-Request-ID": request_id,
            "X-Correlation-ID": correlation_id or request_id,
            "Accept": "application/json",
        }
        if routing is not None:
            headers.update(routing.headers())
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = body if isinstance(body, bytes) else msgspec.json.encode(body)
        try:
            response = await self._http.request(
                method,
                url,
                headers=headers,
                content=content,
                timeout=timeout_s if timeout_s is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TimeoutException:
            raise PartnerError(f"{method} {url}: no answer in time") from None
        except httpx.HTTPError as error:
            raise PartnerError(f"{method} {url}: {error.__class__.__name__}: {error}") from None
        raw = response.content
        if len(raw) > MAX_RESPONSE_BYTES:
            raise PartnerError(
                f"{method} {url}: answer too large", http_status=response.status_code
            )
        try:
            envelope = msgspec.json.decode(raw, type=RawResponse, strict=False)
        except (msgspec.ValidationError, msgspec.DecodeError):
            raise PartnerError(
                f"{method} {url}: HTTP {response.status_code} without an OCPI answer",
                http_status=response.status_code,
                retryable=response.status_code >= 500 or response.status_code in {408, 429},
            ) from None
        log.debug(
            "%s %s → HTTP %s, OCPI %s",
            method,
            url,
            response.status_code,
            envelope.status_code,
            extra={"request_id": request_id},
        )
        return Reply(
            http_status=response.status_code,
            status_code=envelope.status_code,
            status_message=envelope.status_message or "",
            data=envelope.data,
            headers=dict(response.headers),
        )

    async def fetch(self, url: str, *, token: str, kind: type[T], **options: Any) -> T:
        """GET an object that must come with HTTP 200 and OCPI 1000."""
        reply = await self.call("GET", url, token=token, **options)
        expect_success(reply, f"GET {url}")
        return reply.decode(kind)


def expect_success(reply: Reply, what: str) -> None:
    if 200 <= reply.http_status < 300 and reply.status_code // 1000 == Status.SUCCESS // 1000:
        return
    client_side = reply.status_code // 1000 == 2 or reply.http_status in {400, 401, 403, 404, 405}
    message = f"{what}: HTTP {reply.http_status}, OCPI {reply.status_code} {reply.status_message}"
    raise PartnerError(
        message.strip(),
        http_status=reply.http_status,
        ocpi_status=reply.status_code,
        retryable=not client_side,
    )
