from enum import StrEnum


class PaymentState(StrEnum):
    """A payment's life; it only moves forward (see rules.RANK)."""

    CREATING = "creating"  # recorded; the hold is being asked for at the provider
    REQUIRES_ACTION = "requires_action"  # the driver pays, approves or does 3-D Secure
    AUTHORIZED = "authorized"  # the hold stands
    CAPTURE_PENDING = "capture_pending"  # the session ended; the amount is being taken
    CANCEL_PENDING = "cancel_pending"  # nothing is owed; the hold is being released
    CAPTURED = "captured"
    CANCELLED = "cancelled"
    FAILED = "failed"  # declined, abandoned, or the provider refused the hold
    EXPIRED = "expired"  # the authorisation ran out before it could be captured
    REFUNDED = "refunded"


class AdHocState(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    STARTING = "starting"  # paid; waiting for the charger to start
    CHARGING = "charging"
    STOPPING = "stopping"  # a stop was asked for; waiting for the charger
    FINISHED = "finished"
    FAILED = "failed"


class FailureReason(StrEnum):
    """Why an ad hoc session ended without charging; each has a message for the driver."""

    PAYMENT_DECLINED = "payment_declined"
    PAYMENT_ABANDONED = "payment_abandoned"
    PAYMENT_UNAVAILABLE = "payment_unavailable"
    CHARGER_OFFLINE = "charger_offline"
    CHARGER_REJECTED = "charger_rejected"
    DID_NOT_START = "did_not_start"


class SavedMethodState(StrEnum):
    """A payment method a contract customer keeps on file, from the setup on."""

    PENDING = "pending"  # the customer is entering it (or doing 3-D Secure) at the provider
    ACTIVE = "active"  # on file: invoices may be charged to it
    FAILED = "failed"  # not saved: declined, not authenticated, given up
    REMOVED = "removed"  # removed by the customer, or replaced by a newer one


class MethodChargeState(StrEnum):
    """A charge of a method on file without the customer (off-session)."""

    PENDING = "pending"  # recorded; the provider has not answered yet (retried)
    PROCESSING = "processing"  # a bank debit on its way: settles in days
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # declined, or the debit came back
    REQUIRES_ACTION = "requires_action"  # the customer must authenticate (3-D Secure)
