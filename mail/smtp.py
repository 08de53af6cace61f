"""The `Mailer` that hands mail to an SMTP server (a mail provider's submission port or a relay).

The server is one URL (``CPO_SMTP_URL``):

- ``smtp://user:password@mail.example.org:587`` — plain connection upgraded with STARTTLS when
  the server offers it; add ``?starttls=require`` to refuse to go on without it (recommended with
  credentials: otherwise a server that stops offering STARTTLS, or someone in between who strips
  it, gets the password in clear text);
- ``smtps://user:password@mail.example.org:465`` — implicit TLS from the first byte;
- ``smtp://relay.internal:25`` — no credentials, e.g. the relay on the host. Relays often offer
  STARTTLS with a self-signed certificate (Debian's Postfix does), which fails the certificate
  check; ``?starttls=never`` keeps such a connection plain.

User and password are percent-decoded (``%40`` for ``@``, ``%3A`` for ``:``). Without a port,
``smtp`` uses 25 and ``smtps`` 465. Certificates are always verified against the system's trust
store (OpenSSL honours ``SSL_CERT_FILE``).

Each `send` opens its own connection, authenticates, delivers the one message and says QUIT.
Receipts, invitations and invoices come a few at a time, so a pool would add failure modes
(idle connections the server dropped) for no gain. `timeout_s` bounds every network step
(connect, TLS handshake, each command, the message data), not the whole exchange.

Failures become `MailNotSent`:

- ``retryable=True``: the server could not be reached or did not answer in time, the connection
  broke, the certificate did not verify, or a 4xx reply (greylisting, a full mailbox, a rate
  limit). A timeout after the message data was sent may mean the mail did arrive: a retry can
  deliver it twice, which SMTP cannot rule out.
- ``retryable=False``: a 5xx reply (recipient unknown, message refused, authentication failed),
  a server without STARTTLS under ``starttls=require``, a server that lacks a needed extension,
  and mail that cannot be sent as it is (`mail.message`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from cpo.ports import MailNotSent, OutgoingMail
from mail.message import build_message, parse_sender, recipient_address

log = logging.getLogger("mail")


class StartTls(StrEnum):
    """What a plain ``smtp://`` connection does about STARTTLS."""

    AUTO = "auto"  # upgrade when the server offers it
    REQUIRE = "require"  # refuse to send without it
    NEVER = "never"  # stay plain (a local relay with a self-signed certificate)


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how to connect, as read from the URL."""

    host: str
    port: int
    implicit_tls: bool
    starttls: StartTls
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:
        # The password never shows up in logs or tracebacks.
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.username}:***@" if self.username is not None else ""
        query = "" if self.implicit_tls or self.starttls is StartTls.AUTO else self.starttls
        return f"SmtpServer({scheme}://{user}{self.host}:{self.port}" + (
            f"?starttls={query})" if query else ")"
        )


def parse_smtp_url(url: str) -> SmtpServer:
    """Read an ``smtp://`` or ``smtps://`` URL (see the module docstring); raises ValueError.

    The messages never repeat the URL, since it may carry a password.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("the SMTP URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("the SMTP URL has no host")
    if parts.path not in ("", "/") or parts.fragment:
        raise ValueError("the SMTP URL has a path or fragment; only host, port and ?starttls=")
    implicit_tls = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if implicit_tls else 25)
    except ValueError:
        raise ValueError("the SMTP URL has an invalid port") from None

    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    unknown = set(query) - {"starttls"}
    if unknown:
        raise ValueError(f"unknown SMTP URL parameter(s): {', '.join(sorted(unknown))}")
    starttls = StartTls.AUTO
    if "starttls" in query:
        if implicit_tls:
            raise ValueError("smtps:// is TLS from the start; ?starttls= is for smtp:// only")
        values = query["starttls"]
        if len(values) != 1 or values[0] not in StartTls.__members__.values():
            raise ValueError("?starttls= must be one of auto, require, never")
        starttls = StartTls(values[0])

    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if (username is None) != (password is None):
        raise ValueError("the SMTP URL needs both a user and a password, or neither")
    return SmtpServer(
        host=parts.hostname,
        port=port,
        implicit_tls=implicit_tls,
        starttls=starttls,
        username=username,
        password=password,
    )


class SmtpMailer:
    """Sends each mail over its own SMTP connection (see the module docstring)."""

    def __init__(self, url: str, sender: str, *, timeout_s: float = 20) -> None:
        if not timeout_s > 0:
            raise ValueError("timeout_s must be positive")
        self._server = parse_smtp_url(url)
        self._sender = parse_sender(sender)
        self._timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"SmtpMailer({self._server!r}, sender={self._sender.addr_spec!r})"

    async def send(self, mail: OutgoingMail) -> None:
        message = build_message(mail, self._sender)
        recipient = recipient_address(mail)
        server = self._server
        where = f"SMTP server {server.host}:{server.port}"
        smtp = aiosmtplib.SMTP(
            hostname=server.host,
            port=server.port,
            username=server.username,
            password=server.password,
            use_tls=server.implicit_tls,
            start_tls=False if server.implicit_tls else _START_TLS[server.starttls],
            timeout=self._timeout_s,
        )
        try:
            async with smtp:
                _, reply = await smtp.send_message(
                    message, sender=self._sender.addr_spec, recipients=[recipient]
                )
        except aiosmtplib.SMTPRecipientsRefused as error:
            # One recipient: it was refused, and its reply decides.
            refusal = error.recipients[0]
            stage = f"{where} refused the recipient"
            raise _refused(stage, refusal.code, refusal.message) from error
        except aiosmtplib.SMTPResponseException as error:
            stage = _REFUSED.get(type(error), "answered")
            raise _refused(f"{where} {stage}", error.code, error.message) from error
        except (TimeoutError, OSError) as error:
            # Unreachable, no answer in time, connection lost, TLS handshake or certificate
            # failed (aiosmtplib's timeout and disconnect errors derive from these too).
            raise MailNotSent(f"{where}: {error}", retryable=True) from error
        except aiosmtplib.SMTPException as error:
            # No reply code: STARTTLS missing under ?starttls=require, no common AUTH mechanism,
            # an extension the message would need. Retrying meets the same server.
            raise MailNotSent(f"{where}: {error.message}", retryable=False) from error
        log.info(
            "mail %s accepted by %s:%s: %s", message["Message-ID"], server.host, server.port, reply
        )


_START_TLS: dict[StartTls, bool | None] = {
    StartTls.AUTO: None,
    StartTls.REQUIRE: True,
    StartTls.NEVER: False,
}

_REFUSED: dict[type[aiosmtplib.SMTPResponseException], str] = {
    aiosmtplib.SMTPConnectResponseError: "refused the connection",
    aiosmtplib.SMTPHeloError: "refused the greeting",
    aiosmtplib.SMTPAuthenticationError: "refused the credentials",
    aiosmtplib.SMTPSenderRefused: "refused the sender",
    aiosmtplib.SMTPDataError: "refused the message",
}


def _refused(stage: str, code: int, reply: str) -> MailNotSent:
    """5xx is final; 4xx (and anything unexpected) may pass."""
    return MailNotSent(f"{stage}: {code} {reply}", retryable=not 500 <= code < 600)
