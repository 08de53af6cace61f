"""One typed settings object, read from the environment once and passed down."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any

import msgspec


class AutoRegistration(StrEnum):
    """What happens when an unknown charge station identity connects."""

    OFF = "off"  # unknown identities are refused with HTTP 401
    PENDING = "pending"  # registered, boots as Pending until an operator accepts it
    ACCEPTED = "accepted"  # registered and accepted at once (the demo)


class LogFormat(StrEnum):
    JSON = "json"
    TEXT = "text"


DEMO_SECRET_KEY = "demo-secret-key-not-for-production"  # noqa: S105


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = "sqlite:///cpo.sqlite3"
    # With Redis, commands and live events travel between nodes; without, within one process.
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 8000
    public_url: str | None = None
    node_id: str = msgspec.field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.TEXT
    auto_registration: AutoRegistration = AutoRegistration.ACCEPTED
    auto_registration_operator: str | None = None
    heartbeat_interval_s: Annotated[int, msgspec.Meta(ge=10, le=86_400)] = 300
    ocpp_call_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=600)] = 30.0
    ocpp_validate_outgoing: bool = False
    meter_write_batch_max: Annotated[int, msgspec.Meta(ge=1, le=5000)] = 500
    # What an ad hoc session reserves on the driver's card at most (minor units of the
    # tariff's currency); a small EVSE's worst case may make it less.
    ad_hoc_hold_minor: Annotated[int, msgspec.Meta(ge=100, le=100_000)] = 5000
    # E-mail (receipts): an SMTP server, e.g. smtp://user:password@mail.example.org:587 or
    # smtps://…:465; without one, mails are written as .eml files to `outbox_dir`.
    smtp_url: str | None = None
    mail_from: str = "Charging <noreply@cpo-demo.invalid>"
    outbox_dir: str = "outbox"
    # Seals provider secrets in the database and signs drivers' session links; set your own
    # (e.g. `openssl rand -base64 32`) anywhere but the demo, and keep it.
    secret_key: Annotated[str, msgspec.Meta(min_length=16)] = DEMO_SECRET_KEY
    # Roaming (OCPI 2.2.1): how long a charger waits on a partner's real-time authorization,
    # how long other calls to partners may take, how often pushes to partners are retried
    # (with back-off) before they show as failed, and how often a running roaming session
    # is sent to its partner.
    ocpi_authorize_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=60)] = 5.0
    ocpi_request_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=300)] = 20.0
    ocpi_push_max_attempts: Annotated[int, msgspec.Meta(ge=1, le=100)] = 12
    ocpi_session_update_interval_s: Annotated[int, msgspec.Meta(ge=1, le=86_400)] = 300

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        # Browsers treat localhost as a secure context and accept it for passkeys; an IP
        # address is neither.
        host = "localhost" if self.host in {"127.0.0.1", "0.0.0.0", "::1", "::"} else self.host  # noqa: S104
        return f"http://{host}:{self.port}"

    @property
    def ocpp_url(self) -> str:
        scheme, _, rest = self.base_url.partition("://")
        ws_scheme = "wss" if scheme == "https" else "ws"
        return f"{ws_scheme}://{rest}/ocpp"

    def replace(self, **changes: Any) -> Settings:
        return msgspec.structs.replace(self, **changes)


class SettingsError(ValueError):
    """The environment holds a value a setting cannot take."""


ENVIRONMENT_PREFIX = "CPO_"
# DATABASE_URL is the name every hosting platform already uses.
UNPREFIXED = {"database_url": "DATABASE_URL"}


def environment_names() -> dict[str, str]:
    """Setting name → environment variable, as documented in the README."""
    return {
        name: UNPREFIXED.get(name, ENVIRONMENT_PREFIX + name.upper())
        for name in Settings.__struct_fields__
    }


def settings_from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Read every setting from the environment; missing ones keep their default."""
    source = os.environ if environ is None else environ
    raw: dict[str, str] = {}
    for name, variable in environment_names().items():
        if variable in source and source[variable] != "":
            raw[name] = source[variable]
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as error:
        raise SettingsError(f"invalid setting: {_with_variable_names(str(error))}") from error


def _with_variable_names(message: str) -> str:
    for name, variable in environment_names().items():
        message = message.replace(f"$.{name}", variable)
    return message
