"""Rules of ad hoc payment, decided without I/O."""

from __future__ import annotations

from datetime import datetime, timedelta

from cpo import messages
from cpo.payments.enums import FailureReason, MethodChargeState, PaymentState
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


# -- methods on file ---------------------------------------------------------------------

# The provider's failure codes of a setup that tell the customer something specific.
_AUTHENTICATION_FAILURES = frozenset({"setup_intent_authentication_failure"})
# Ours: a setup that was never finished (closed page, given up, lost).
SETUP_ABANDONED = "abandoned"
SETUP_NOT_STARTED = "not_started"
SETUP_CANCELLED = "cancelled"
_NOT_FINISHED = frozenset({SETUP_ABANDONED, SETUP_NOT_STARTED, SETUP_CANCELLED})
# A card decline has a decline code (`generic_decline`, `insufficient_funds`, …) or
# Stripe's error code `card_declined`.
_DECLINES = frozenset(
    {
        "card_declined",
        "generic_decline",
        "insufficient_funds",
        "lost_card",
        "stolen_card",
        "expired_card",
        "incorrect_cvc",
        "do_not_honor",
        "fraudulent",
        "transaction_not_allowed",
    }
)
# Pending setups are asked about this often (a lost webhook), and given up after this.
SETUP_CHECK_EVERY = timedelta(minutes=1)
SETUP_ABANDONED_AFTER = timedelta(days=1)
# A setup recorded but never started at the provider (a crash, an unreachable provider).
SETUP_NOT_STARTED_AFTER = timedelta(hours=1)
# A bank debit is asked about this often until it settles (days), in case a webhook is lost.
DEBIT_CHECK_EVERY = timedelta(hours=1)
# An off-session charge whose call got no recorded answer (a crash mid-call) is asked for
# again, under the same key, this long after it was recorded.
CHARGE_ANSWER_AWAITED = timedelta(minutes=1)
# Where an off-session charge may come from: it only moves forward; a bank debit settles
# once (a late "processing" after the answer changes nothing).
CHARGE_MAY_MOVE_FROM = {
    MethodChargeState.PROCESSING: frozenset({MethodChargeState.PENDING}),
    MethodChargeState.SUCCEEDED: frozenset(
        {MethodChargeState.PENDING, MethodChargeState.PROCESSING}
    ),
    MethodChargeState.FAILED: frozenset({MethodChargeState.PENDING, MethodChargeState.PROCESSING}),
    MethodChargeState.REQUIRES_ACTION: frozenset(
        {MethodChargeState.PENDING, MethodChargeState.PROCESSING}
    ),
}


def setup_failure_message(failure_code: str) -> str:
    """What a customer reads about a setup that did not save anything (a message id)."""
    if failure_code in _AUTHENTICATION_FAILURES:
        return messages.SETUP_AUTHENTICATION_FAILED
    if failure_code in _NOT_FINISHED:
        return messages.SETUP_NOT_FINISHED
    if failure_code in _DECLINES:
        return messages.SETUP_DECLINED
    return messages.SETUP_FAILED
