"""E-mail adapters implementing `cpo.ports.Mailer`.

- `SmtpMailer` (`mail.smtp`): production, through an SMTP server given as one URL;
- `FolderMailer` (`mail.folder`): the demo and development, each mail an ``.eml`` file.

Both deliver the same MIME message, built by `mail.message.build_message`, and both refuse
implausible recipients and header injection with `MailNotSent(retryable=False)`.
"""

from __future__ import annotations

from mail.folder import FolderMailer
from mail.message import build_message
from mail.smtp import SmtpMailer, parse_smtp_url

__all__ = ["FolderMailer", "SmtpMailer", "build_message", "parse_smtp_url"]
