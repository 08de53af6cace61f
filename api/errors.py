"""Domain errors as RFC 9457 problem details with a stable machine-readable code."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from api.ocpi.common import ocpi_http_handler
from cpo.errors import DomainError, NotAuthenticated


def domain_error_handler(request: Request[Any, Any, Any], error: DomainError) -> Response[Any]:
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, NotAuthenticated) else None
    return Response(
        {
            "type": "about:blank",
            "title": error.message,
            "status": error.http_status,
            "code": error.code,
        },
        status_code=error.http_status,
        media_type="application/problem+json",
        headers=headers,
    )


def validation_error_handler(
    request: Request[Any, Any, Any], error: ValidationException
) -> Response[Any]:
    return Response(
        {
            "type": "about:blank",
            "title": "The request is not valid.",
            "status": 400,
            "code": "invalid_request",
            "errors": error.extra,
        },
        status_code=400,
        media_type="application/problem+json",
    )


def http_error_handler(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    if request.url.path.startswith("/ocpi/"):
        # No OCPI route matched (unknown path, method not allowed): still an OCPI answer.
        return ocpi_http_handler(request, error)
    return Response(
        {
            "type": "about:blank",
            "title": error.detail,
            "status": error.status_code,
            "code": f"http_{error.status_code}",
        },
        status_code=error.status_code,
        media_type="application/problem+json",
    )
