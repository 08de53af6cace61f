"""Rules of ad hoc payment, decided without I/O."""

from __future__ import annotations

from datetime import datetime, timedelta

from cpo import messages
from cpo.payments.enums import FailureReason, PaymentState
from cpo.payments.schemas import HoldState

# A payment state never goes back: a late webhook ("authorized" after "captured") is
# recorded and ignored.
RANK = {
    PaymentState.CREATING: 0,
    PaymentState.REQUIRES_ACTION: 1,
    PaymentState.AUTHORIZED: 2,
    PaymentState.CAPTURE_PENDING: 3,
    PaymentState.CANCEL_PENDING: 3,
    PaymentState.CAPTURED: 4,
    PaymentState.CANCELLED: 4,
    PaymentState.FAILED: 4,
    PaymentState.EXPIRED: 4,
    PaymentState.REFUNDED: 5,
}
FINAL = frozenset(state for state, rank in RANK.items() if rank >= 4)

# The charger must report the start within this time after the payment is confirmed (the
# driver may still be plugging in); otherwise the hold is released at once.
START_TIMEOUT = timedelta(minutes=3)
# A hold the driver never completed (closed the payment page) is released after this.
ABANDONED_AFTER = timedelta(minutes=30)
# Retrying a failed capture or release: soon at first, then less often.
RETRY_DELAYS = (
    timedelta(seconds=10),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=2),
)
# A receipt e-mail is tried this often before it is given up (the receipt stays online).
MAIL_ATTEMPTS = 5
# Abuse limits for creating holds.
HOLDS_PER_CLIENT = 5
HOLDS_PER_CLIENT_WINDOW = timedelta(minutes=10)
OPEN_HOLDS_PER_EVSE = 3

FAILURE_MESSAGES = {
    FailureReason.PAYMENT_DECLINED: messages.PAYMENT_DECLINED,
    FailureReason.PAYMENT_ABANDONED: messages.PAYMENT_DECLINED,
    FailureReason.PAYMENT_UNAVAILABLE: messages.PAYMENT_UNAVAILABLE,
    FailureReason.CHARGER_OFFLINE: messages.CHARGING_DID_NOT_START,
    FailureReason.CHARGER_REJECTED: messages.CHARGING_DID_NOT_START,
    FailureReason.DID_NOT_START: messages.CHARGING_DID_NOT_START,
}


def may_move(current: PaymentState, target: PaymentState) -> bool:
    if current == target or (current in FINAL and target is not PaymentState.REFUNDED):
        return False
    if target is PaymentState.REFUNDED:
        return current is PaymentState.CAPTURED
    return RANK[target] > RANK[current]


def state_of_hold(hold: HoldState) -> PaymentState:
    return {
        HoldState.REQUIRES_ACTION: PaymentState.REQUIRES_ACTION,
        HoldState.AUTHORIZED: PaymentState.AUTHORIZED,
        HoldState.CAPTURED: PaymentState.CAPTURED,
        HoldState.CANCELLED: PaymentState.CANCELLED,
        HoldState.FAILED: PaymentState.FAILED,
        HoldState.EXPIRED: PaymentState.EXPIRED,
    }[hold]


def next_attempt_at(attempts: int, now: datetime) -> datetime:
    """When to try a failed capture or release again (attempts made so far ≥ 1)."""
    return now + RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


def hold_margin_minor(hold_minor: int) -> int:
    """How far below the hold a session is stopped: energy still flows for a moment after
    the stop is sent, and the driver must never owe more than was reserved."""
    return min(max(100, hold_minor // 20), hold_minor // 2)


def must_stop_for_hold(cost_minor: int, hold_minor: int) -> bool:
    return cost_minor >= hold_minor - hold_margin_minor(hold_minor)
