"""The MIME message both mailers deliver, and the checks that come before it.

`build_message` turns an `OutgoingMail` into a standard `email.message.EmailMessage`:

- headers From (the sender, with an optional display name), To, Reply-To, Subject, Date (UTC),
  Message-ID (in the sender's domain) and ``Auto-Submitted: auto-generated`` (RFC 3834: no
  vacation replies to receipts); non-ASCII text in headers is RFC 2047 encoded by the stdlib;
- the plain text alone, or text and HTML as ``multipart/alternative``, both UTF-8 in
  quoted-printable, so the message is 7-bit clean and passes any relay unchanged;
- attachments (base64) under ``multipart/mixed``, with RFC 2231 filenames (``filename*=utf-8''…``).

Everything the caller passes is checked first. A recipient or Reply-To must be one bare address
(``anna@example.org``, no display name, no list); an internationalised domain is sent in its
ASCII (IDNA) form, a non-ASCII local part is refused because it would need SMTPUTF8 on every
relay on the way. Control characters (CR, LF and the like) in any header field are refused
rather than cleaned, since they are the tool of header injection. All of these are
`MailNotSent(retryable=False)`: trying again would not change the outcome.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from cpo.ports import MailNotSent, OutgoingMail

# RFC 5322 dot-atom local part; quoted local parts ("a b"@example.org) are refused as implausible.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_LOCAL_PART = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
# At least two labels: a mail for a driver never goes to a bare host name like "localhost".
_ASCII_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
# RFC 6838 restricted names, without parameters ("application/pdf").
_MIME_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
_CONTENT_TYPE = re.compile(rf"({_MIME_NAME})/({_MIME_NAME})")
# Control characters and the Unicode line and paragraph separators: anything that a parser
# might read as the end of a header line.
_LINE_BREAKING_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})


@dataclass(frozen=True, slots=True)
class Sender:
    """The From of every mail: `address` for the header, `addr_spec` for the SMTP envelope."""

    address: Address
    addr_spec: str
    domain: str


def parse_sender(sender: str) -> Sender:
    """Parse ``quittung@example.org`` or ``Ladenetz Müller <quittung@example.org>``.

    Raises ValueError: the sender is configuration, so a bad one should stop the start-up.
    """
    if _has_line_break(sender):
        raise ValueError("the mail sender contains a control character")
    header = policy.default.header_factory("From", sender)
    addresses: tuple[Address, ...] = header.addresses
    if len(addresses) != 1 or header.defects:
        raise ValueError(f"the mail sender is not one address: {sender!r}")
    parsed = addresses[0]
    addr_spec = normalise_address(parsed.addr_spec)
    if addr_spec is None:
        raise ValueError(f"the mail sender is not a plausible address: {sender!r}")
    local_part, _, domain = addr_spec.rpartition("@")
    return Sender(
        address=Address(display_name=parsed.display_name, username=local_part, domain=domain),
        addr_spec=addr_spec,
        domain=domain,
    )


def normalise_address(value: str) -> str | None:
    """The address in the form it is sent (ASCII, IDNA domain), or None if it is implausible.

    Surrounding spaces are dropped; control characters are never accepted.
    """
    if _has_line_break(value):
        return None
    local_part, at, domain = value.strip().rpartition("@")
    if not at or len(local_part) > 64 or not _LOCAL_PART.fullmatch(local_part):
        return None
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if len(domain) > 253 or not _ASCII_DOMAIN.fullmatch(domain):
        return None
    address = f"{local_part}@{domain}"
    return address if len(address) <= 254 else None


def recipient_address(mail: OutgoingMail) -> str:
    """The envelope recipient of `mail`; raises MailNotSent(retryable=False) if implausible."""
    return _checked_address("recipient", mail.to)


def build_message(
    mail: OutgoingMail, sender: str | Sender, *, now: datetime | None = None
) -> EmailMessage:
    """The complete MIME message for `mail` from `sender`, dated `now` (default: the present).

    Raises MailNotSent(retryable=False) when the mail cannot be sent as it is (see the module
    docstring) and ValueError for an implausible sender.
    """
    if isinstance(sender, str):
        sender = parse_sender(sender)
    to = recipient_address(mail)
    reply_to = None if mail.reply_to is None else _checked_address("Reply-To", mail.reply_to)
    _check_header_text("subject", mail.subject)
    _check_encodable("text", mail.text)
    if mail.html is not None:
        _check_encodable("HTML", mail.html)
    attachments = []
    for attachment in mail.attachments:
        _check_header_text("attachment filename", attachment.filename)
        if not attachment.filename.strip():
            raise MailNotSent("an attachment has no filename", retryable=False)
        maintype, subtype = _checked_content_type(attachment.content_type)
        attachments.append((attachment, maintype, subtype))

    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender.address
    message["To"] = _address(to)
    if reply_to is not None:
        message["Reply-To"] = _address(reply_to)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime((now or datetime.now(UTC)).astimezone(UTC))
    message["Message-ID"] = make_msgid(domain=sender.domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text, cte="quoted-printable")
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html", cte="quoted-printable")
    for attachment, maintype, subtype in attachments:
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    # The stdlib stamps MIME-Version on parts it creates; it belongs on the message only.
    for part in message.walk():
        if part is not message:
            del part["MIME-Version"]
    return message


def _address(addr_spec: str) -> Address:
    local_part, _, domain = addr_spec.rpartition("@")
    return Address(username=local_part, domain=domain)


def _checked_address(field: str, value: str) -> str:
    _check_header_text(field, value)
    address = normalise_address(value)
    if address is None:
        raise MailNotSent(f"the {field} is not one plausible e-mail address", retryable=False)
    return address


def _checked_content_type(content_type: str) -> tuple[str, str]:
    match = _CONTENT_TYPE.fullmatch(content_type)
    if match is None:
        raise MailNotSent(f"invalid attachment content type {content_type!r}", retryable=False)
    maintype, subtype = match.group(1).lower(), match.group(2).lower()
    # Containers are built here, not attached: message/* may not be base64 (RFC 2046 5.2.1).
    if maintype in ("multipart", "message"):
        raise MailNotSent(f"cannot attach a {maintype}/* part", retryable=False)
    return maintype, subtype


def _check_header_text(field: str, value: str) -> None:
    if _has_line_break(value):
        raise MailNotSent(
            f"the {field} contains a line break or control character", retryable=False
        )
    _check_encodable(field, value)


def _check_encodable(field: str, value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise MailNotSent(f"the {field} is not valid Unicode text", retryable=False) from None


def _has_line_break(value: str) -> bool:
    return any(unicodedata.category(char) in _LINE_BREAKING_CATEGORIES for char in value)
