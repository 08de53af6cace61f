"""What every OCPI route shares: the partner's credentials token, the response envelope with
echoed request/correlation ids and routing headers, and errors as OCPI status codes."""

from __future__ import annotations

import logging
from typing import Any, TypeVar

import msgspec
from litestar import Request, Response
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, ValidationException

from cpo.errors import DomainError
from cpo.partners.enums import PartnerStatus
from roaming import partners
from roaming.client import PartnerClient
from roaming.partners import PartnerRef
from roaming.transport import (
    OcpiError,
    Status,
    clean_header_id,
    envelope,
    invalid,
    new_request_id,
    presented_tokens,
    unauthorized,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_BODY_BYTES = 1024 * 1024


class Caller(msgspec.Struct, frozen=True):
    partner: PartnerRef
    token: str


# What an OCPI route declares to get the partner that calls it.
CallingPartner = NamedDependency[Caller]


async def provide_caller(request: Request[Any, Any, Any]) -> Caller:
    """The partner whose credentials token came with the request (token A or C)."""
    found = await partners.authenticate(presented_tokens(request.headers.get("authorization")))
    if found is None:
        raise unauthorized()
    return Caller(*found)


def registered(caller: Caller) -> PartnerRef:
    """Modules other than versions and credentials need a completed registration."""
    if caller.partner.status is not PartnerStatus.REGISTERED:
        raise unauthorized("register first: this token only reaches versions and credentials")
    return caller.partner


def partner_client(state: State) -> PartnerClient:
    client: PartnerClient = state.roaming_client
    return client


def reply(
    request: Request[Any, Any, Any],
    data: Any = None,
    *,
    status: Status = Status.SUCCESS,
    message: str | None = None,
    http_status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    out = dict(headers or {})
    out["X-Request-ID"] = clean_header_id(request.headers.get("x-request-id")) or new_request_id()
    out["X-Correlation-ID"] = (
        clean_header_id(request.headers.get("x-correlation-id")) or out["X-Request-ID"]
    )
    # Through a hub, the answer goes back to whoever sent the request.
    for ours, theirs in (
        ("OCPI-to-country-code", "ocpi-from-country-code"),
        ("OCPI-to-party-id", "ocpi-from-party-id"),
        ("OCPI-from-country-code", "ocpi-to-country-code"),
        ("OCPI-from-party-id", "ocpi-to-party-id"),
    ):
        value = clean_header_id(request.headers.get(theirs))
        if value is not None and len(value) <= 3:
            out[ours] = value
    return Response(
        envelope(data, status=status, message=message),
        status_code=http_status,
        headers=out,
        media_type="application/json",
    )


async def body(request: Request[Any, Any, Any], kind: type[T]) -> T:
    """The request body as `kind`, or OCPI 2001 saying what is wrong with it."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise OcpiError(Status.INVALID_PARAMETERS, "request body too large", http_status=413)
    if not raw.strip():
        raise invalid("a JSON body is required")
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.ValidationError as error:
        raise invalid(f"invalid object: {error}") from None
    except msgspec.DecodeError:
        raise invalid("the body is not valid JSON") from None


def ocpi_error_handler(request: Request[Any, Any, Any], error: OcpiError) -> Response[Any]:
    if error.http_status >= 500:
        log.warning("OCPI %s %s: %s", request.method, request.url.path, error.message)
    headers = {"WWW-Authenticate": "Token"} if error.http_status == 401 else None
    return reply(
        request,
        status=error.status,
        message=error.message,
        http_status=error.http_status,
        headers=headers,
    )


def ocpi_validation_handler(
    request: Request[Any, Any, Any], error: ValidationException
) -> Response[Any]:
    return reply(
        request,
        status=Status.INVALID_PARAMETERS,
        message=str(error.detail),
        http_status=400,
    )


def ocpi_domain_handler(request: Request[Any, Any, Any], error: DomainError) -> Response[Any]:
    status = Status.CLIENT_ERROR if error.http_status < 500 else Status.SERVER_ERROR
    return reply(request, status=status, message=error.message, http_status=error.http_status)


def ocpi_http_handler(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    status = Status.CLIENT_ERROR if error.status_code < 500 else Status.SERVER_ERROR
    return reply(request, status=status, message=error.detail, http_status=error.status_code)


def ocpi_crash_handler(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    log.exception("OCPI %s %s failed", request.method, request.url.path, exc_info=error)
    return reply(
        request,
        status=Status.SERVER_ERROR,
        message="the request could not be processed now",
        http_status=500,
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    OcpiError: ocpi_error_handler,
    ValidationException: ocpi_validation_handler,
    DomainError: ocpi_domain_handler,
    HTTPException: ocpi_http_handler,
    Exception: ocpi_crash_handler,
}
