"""OCPI transport and format (2.2.1, chapter 4): status codes, errors, the credentials token
in the Authorization header, the response envelope, request and correlation ids, pagination.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import uuid
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any
from urllib.parse import urlencode

import msgspec

from cpo.clock import as_utc

VERSION = "2.2.1"
# Largest page we hand out, whatever `limit` a partner asks for (X-Limit says so).
MAX_PAGE_LIMIT = 100
DEFAULT_PAGE_LIMIT = 50


class Status(IntEnum):
    SUCCESS = 1000
    CLIENT_ERROR = 2000
    INVALID_PARAMETERS = 2001
    NOT_ENOUGH_INFORMATION = 2002
    UNKNOWN_LOCATION = 2003
    UNKNOWN_TOKEN = 2004
    SERVER_ERROR = 3000
    UNABLE_TO_USE_CLIENT_API = 3001
    UNSUPPORTED_VERSION = 3002
    NO_MATCHING_ENDPOINTS = 3003
    HUB_ERROR = 4000
    UNKNOWN_RECEIVER = 4001
    HUB_TIMEOUT = 4002
    CONNECTION_PROBLEM = 4003


class OcpiError(Exception):
    """A request we refuse (or could not serve), with its OCPI status and HTTP status."""

    def __init__(self, status: Status, message: str, *, http_status: int = 400) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.http_status = http_status


def invalid(message: str) -> OcpiError:
    return OcpiError(Status.INVALID_PARAMETERS, message, http_status=400)


def unauthorized(message: str = "missing or unknown credentials token") -> OcpiError:
    return OcpiError(Status.CLIENT_ERROR, message, http_status=401)


def not_allowed(message: str) -> OcpiError:
    return OcpiError(Status.CLIENT_ERROR, message, http_status=405)


class PartnerError(Exception):
    """A partner's platform did not do what we asked (unreachable, refused, nonsense)."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        ocpi_status: int | None = None,
        retryable: bool = True,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.ocpi_status = ocpi_status
        self.retryable = retryable


# -- credentials tokens ------------------------------------------------------------------


def new_credentials_token() -> str:
    """256 random bits; URL-safe characters only, so both header forms stay unambiguous."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authorization_header(token: str) -> str:
    """OCPI 2.2.1: `Token ` followed by the credentials token in Base64 (RFC 4648)."""
    return "Token " + base64.b64encode(token.encode()).decode()


def presented_tokens(header: str | None) -> list[str]:
    """The credentials token candidates in an Authorization header.

    2.2.1 partners send the token Base64-encoded; partners of 2.1.1 and 2.2 send it as is.
    A header that decodes as Base64 could also be a raw token, so both are candidates
    (decoded first); the caller accepts the one it knows.
    """
    if not header:
        return []
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "token" or not value or len(value) > 512:
        return []
    candidates: list[str] = []
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if decoded and decoded.isprintable() and " " not in decoded:
        candidates.append(decoded)
    if value not in candidates:
        candidates.append(value)
    return candidates


# -- headers -----------------------------------------------------------------------------


def new_request_id() -> str:
    return str(uuid.uuid4())


def clean_header_id(value: str | None) -> str | None:
    """A partner's X-Request-ID / X-Correlation-ID, if it is sane enough to echo."""
    if not value:
        return None
    value = value.strip()
    if not value or len(value) > 100 or not value.isprintable():
        return None
    return value


# -- envelope ----------------------------------------------------------------------------


def ocpi_time(moment: datetime) -> datetime:
    """OCPI DateTime: UTC, whole seconds (string(25) leaves no room for microseconds)."""
    return as_utc(moment).replace(microsecond=0)


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def envelope(
    data: Any = None,
    *,
    status: Status = Status.SUCCESS,
    message: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status_code": int(status),
        "timestamp": msgspec.to_builtins(ocpi_time(at or now_utc())),
    }
    if data is not None:
        body["data"] = msgspec.to_builtins(data)
    if message:
        body["status_message"] = message
    return body


# -- pagination --------------------------------------------------------------------------


class PageRequest(msgspec.Struct, frozen=True):
    offset: int
    limit: int
    date_from: datetime | None
    date_to: datetime | None


def page_request(query: dict[str, str]) -> PageRequest:
    """offset, limit, date_from, date_to from the query string (every one may be absent)."""

    def number(name: str, default: int) -> int:
        raw = query.get(name)
        if raw is None or raw == "":
            return default
        if not raw.isdigit() or len(raw) > 9:
            raise invalid(f"{name} must be a non-negative integer")
        return int(raw)

    def moment(name: str) -> datetime | None:
        raw = query.get(name)
        if not raw:
            return None
        try:
            return as_utc(msgspec.convert(raw, datetime))
        except msgspec.ValidationError:
            raise invalid(f"{name} must be an RFC 3339 date and time") from None

    offset = number("offset", 0)
    limit = min(number("limit", DEFAULT_PAGE_LIMIT), MAX_PAGE_LIMIT) or DEFAULT_PAGE_LIMIT
    return PageRequest(offset, limit, moment("date_from"), moment("date_to"))


def page_headers(base_url: str, page: PageRequest, total: int) -> dict[str, str]:
    """X-Total-Count, X-Limit, and a Link to the next page while there is one."""
    headers = {"X-Total-Count": str(total), "X-Limit": str(page.limit)}
    following = page.offset + page.limit
    if following < total:
        params: dict[str, str] = {"offset": str(following), "limit": str(page.limit)}
        if page.date_from is not None:
            params["date_from"] = msgspec.to_builtins(ocpi_time(page.date_from))
        if page.date_to is not None:
            params["date_to"] = msgspec.to_builtins(ocpi_time(page.date_to))
        headers["Link"] = f'<{base_url}?{urlencode(params)}>; rel="next"'
    return headers
