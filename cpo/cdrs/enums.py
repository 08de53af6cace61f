from enum import StrEnum


class CdrKind(StrEnum):
    SESSION = "session"  # the original record of a session
    CREDIT = "credit"  # cancels a record (amounts negated)
    REBILL = "rebill"  # replaces a cancelled record with corrected amounts
