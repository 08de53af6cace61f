"""Domain errors: values with stable machine codes.

One handler maps them to HTTP problem details, another to OCPP CallErrors; nothing else
decides how a failure looks to the outside.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class Conflict(DomainError):
    code = "conflict"
    http_status = 409


class NotAuthenticated(DomainError):
    """No valid credentials came with the request."""

    code = "not_authenticated"
    http_status = 401


class NotAllowed(DomainError):
    code = "not_allowed"
    http_status = 403


class CsrfFailed(NotAllowed):
    """A state-changing request authenticated by the session cookie came without the
    session's CSRF token (or with another one)."""

    code = "csrf_failed"


class TooManyRequests(DomainError):
    code = "too_many_requests"
    http_status = 429


class InvalidInput(DomainError):
    code = "invalid_input"
    http_status = 422


class InvalidPeriod(InvalidInput):
    """The period of a request cannot be meant as given: the request is malformed (400),
    not a well-formed request the domain refuses."""

    code = "invalid_period"
    http_status = 400


class ChargerUnavailable(DomainError):
    """The charge station is not connected to any node."""

    code = "charger_unavailable"
    http_status = 409


class ChargerTimeout(DomainError):
    """The charge station did not answer a command in time."""

    code = "charger_timeout"
    http_status = 504


class ChargerError(DomainError):
    """The charge station answered a command with an OCPP CallError."""

    code = "charger_error"
    http_status = 502
