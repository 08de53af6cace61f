"""The `Mailer` for the demo and development: every mail becomes an ``.eml`` file in a folder.

The file holds exactly the MIME message `SmtpMailer` would send (open it with any mail client
or `email.parser.BytesParser`). It is named ``<UTC timestamp>-<recipient>.eml``, e.g.
``20250120T101502.123456Z-anna.mueller@example.org.eml``, so the folder lists in sending order;
the recipient keeps only characters that are safe in file names on every system. The folder is
created on the first mail; each path is logged at INFO on the ``mail`` logger.

A normal mail never fails here. A mail that SMTP would refuse as it is (implausible recipient,
header injection) raises `MailNotSent(retryable=False)` just the same, so the demo shows what
production does; a folder that cannot be written raises `MailNotSent(retryable=True)`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from pathlib import Path

from cpo.ports import MailNotSent, OutgoingMail
from mail.message import build_message, parse_sender, recipient_address

log = logging.getLogger("mail")

# The .invalid top-level domain (RFC 2606) can never receive a reply by accident.
DEMO_SENDER = "CPO Platform (demo) <noreply@cpo-demo.invalid>"

_UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9._@+-]")


class FolderMailer:
    """Writes each mail to `directory` (see the module docstring)."""

    def __init__(self, directory: Path, *, sender: str = DEMO_SENDER) -> None:
        self._directory = directory
        self._sender = parse_sender(sender)

    def __repr__(self) -> str:
        return f"FolderMailer({str(self._directory)!r}, sender={self._sender.addr_spec!r})"

    async def send(self, mail: OutgoingMail) -> None:
        now = datetime.now(UTC)
        message = build_message(mail, self._sender, now=now)
        recipient = _UNSAFE_IN_FILE_NAME.sub("_", recipient_address(mail))[:100]
        stem = f"{now:%Y%m%dT%H%M%S.%fZ}-{recipient}"
        try:
            path = await asyncio.to_thread(self._write, stem, message.as_bytes())
        except OSError as error:
            raise MailNotSent(f"cannot write the mail: {error}", retryable=True) from error
        log.info("mail %s written to %s", message["Message-ID"], path)

    def _write(self, stem: str, content: bytes) -> Path:
        self._directory.mkdir(parents=True, exist_ok=True)
        # Two mails to one recipient within a microsecond get -1, -2, …; never overwrite.
        for attempt in range(1000):
            path = self._directory / (f"{stem}.eml" if attempt == 0 else f"{stem}-{attempt}.eml")
            try:
                with path.open("xb") as file:
                    file.write(content)
            except FileExistsError:
                continue
            return path
        raise FileExistsError(f"no free file name for {stem}.eml in {self._directory}")
