"""Pure rules of operator notifications: the webhook signature, recipients, retries."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import timedelta
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-CPO-Signature"
SIGNATURE_SCHEME = "sha256"
EVENT_HEADER = "X-CPO-Event"
DELIVERY_HEADER = "X-CPO-Delivery"
MAX_ATTEMPTS = 8
FIRST_RETRY_S = 30
MAX_RETRY_S = 3600
MAX_RECIPIENTS = 10
_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


def sign(secret: str, body: bytes) -> str:
    """The value of the signature header: HMAC-SHA256 of the exact body, hex."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_SCHEME}={digest}"


def signature_matches(secret: str, body: bytes, header: str) -> bool:
    """What a receiver checks (constant-time)."""
    return hmac.compare_digest(sign(secret, body), header.strip())


def retry_delay(attempts: int) -> timedelta:
    """Wait before attempt `attempts + 1`: 30 s, 1 min, 2 min … at most an hour."""
    return timedelta(seconds=min(MAX_RETRY_S, FIRST_RETRY_S * 2 ** max(0, attempts - 1)))


def gives_up(attempts: int) -> bool:
    return attempts >= MAX_ATTEMPTS


def parse_recipients(text: str) -> list[str]:
    """Addresses separated by lines, commas or semicolons; ValueError names a bad one."""
    addresses: list[str] = []
    for part in re.split(r"[\n,;]+", text):
        address = part.strip()
        if not address:
            continue
        if not _ADDRESS.match(address) or len(address) > 254:
            raise ValueError(f"{address!r} is not an e-mail address")
        if address.lower() not in (known.lower() for known in addresses):
            addresses.append(address)
    if len(addresses) > MAX_RECIPIENTS:
        raise ValueError(f"at most {MAX_RECIPIENTS} recipients")
    return addresses


def is_webhook_url(url: str) -> bool:
    """An absolute http(s) URL without credentials in it."""
    parts = urlsplit(url)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and parts.username is None
        and parts.password is None
        and len(url) <= 500
    )
