from enum import StrEnum


class RequestKind(StrEnum):
    EXPORT = "export"  # the user downloaded their data (GDPR Art. 15, 20)
    DELETION = "deletion"  # the user asked to be erased (GDPR Art. 17)


class RequestStatus(StrEnum):
    OPEN = "open"  # waiting for the operator
    DONE = "done"  # exported, or erased
    DECLINED = "declined"  # the operator said no, and why
