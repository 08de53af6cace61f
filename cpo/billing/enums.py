from enum import StrEnum


class InvoiceStatus(StrEnum):
    OPEN = "open"  # issued, awaiting payment (bank transfer)
    PAID = "paid"
    FAILED = "failed"  # a charge through the payment provider failed
    CREDITED = "credited"  # cancelled by a credit note


class RunState(StrEnum):
    RUNNING = "running"
    DONE = "done"
