"""Pure rules of support tickets: what a report may contain, which photos we keep, how a
ticket's status moves, how often one client may report."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Final

from cpo.accounts.rules import is_plausible_email
from cpo.support.enums import TicketStatus

MAX_DESCRIPTION_LENGTH: Final = 2000
MAX_REPLY_LENGTH: Final = 5000
MAX_PHOTO_BYTES: Final = 5 * 1024 * 1024
MAX_PHOTOS: Final = 3
# A photo belongs to the report it was taken for: it may follow the report for this long.
PHOTO_WINDOW: Final = timedelta(minutes=30)
# One client (address) may report this many problems per window: enough for a driver who
# tries several charge points, too few for a flood.
REPORTS_PER_CLIENT: Final = 5
REPORTS_WINDOW: Final = timedelta(hours=1)
MAIL_ATTEMPTS: Final = 5

_PHONE: Final = re.compile(r"\+?[0-9 ()/.-]{5,40}")


def photo_media_type(data: bytes) -> str | None:
    """The image type by its first bytes (never by what the client claims), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def clean_email(email: str) -> str | None:
    """The address trimmed, or None when it is not one ('' stays '': no address given)."""
    address = email.strip()
    if not address:
        return ""
    return address if is_plausible_email(address) else None


def clean_phone(phone: str) -> str | None:
    number = " ".join(phone.split())
    if not number:
        return ""
    return number if _PHONE.fullmatch(number) and sum(c.isdigit() for c in number) >= 5 else None


def status_change(
    current: TicketStatus, wanted: TicketStatus, now: datetime, resolved_at: datetime | None
) -> datetime | None:
    """The ticket's `resolved_at` after moving to `wanted`: set when it is resolved, kept
    when it stays resolved, cleared when it is reopened."""
    if wanted is TicketStatus.RESOLVED:
        return resolved_at if current is TicketStatus.RESOLVED and resolved_at else now
    return None
