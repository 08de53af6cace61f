"""Stripe's test instruments as the fake knows them: card numbers with their test
PaymentMethod tokens, and test IBANs for SEPA Direct Debit.

What a card does depends on where it is used, as Stripe documents it for its test cards:
confirming a PaymentIntent while the customer is there (`on_session`), saving it with a
SetupIntent (`setup`), and charging it later without the customer (`off_session`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

# While the customer is there: authorised, declined, or 3-D Secure first.
Outcome = Literal["succeed", "decline", "three_d_secure"]
# Without the customer there is nobody to do 3-D Secure: the payment fails instead.
OffSessionOutcome = Literal["succeed", "decline", "authentication_required"]


@dataclass(frozen=True)
class TestCard:
    token: str  # Stripe's test PaymentMethod id, e.g. "pm_card_visa"
    number: str
    brand: str
    funding: str
    outcome: Outcome  # paying while the customer is there
    decline_code: str | None = None
    label: str = ""  # shown on the demo card page when set
    setup: Outcome | None = None  # saving it with a SetupIntent (default: `outcome`)
    off_session: OffSessionOutcome | None = None  # charging it later (default: from `outcome`)
    setup_label: str = ""  # shown on the demo setup page when set

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def when_saved(self) -> Outcome:
        return self.setup or self.outcome

    @property
    def when_charged_off_session(self) -> OffSessionOutcome:
        if self.off_session is not None:
            return self.off_session
        return "authentication_required" if self.outcome == "three_d_secure" else self.outcome


TEST_CARDS = (
    TestCard(
        "pm_card_visa",
        "4242424242424242",
        "visa",
        "credit",
        "succeed",
        label="success",
        setup_label="saved; charges succeed",
    ),
    TestCard("pm_card_mastercard", "5555555555554444", "mastercard", "credit", "succeed"),
    TestCard(
        "pm_card_chargeDeclined",
        "4000000000000002",
        "visa",
        "credit",
        "decline",
        decline_code="generic_decline",
        label="decline",
        setup_label="declined when saving",
    ),
    TestCard(
        "pm_card_chargeDeclinedInsufficientFunds",
        "4000000000009995",
        "visa",
        "credit",
        "decline",
        decline_code="insufficient_funds",
    ),
    TestCard(
        "pm_card_authenticationRequired",
        "4000002760003184",
        "visa",
        "credit",
        "three_d_secure",
        label="3-D Secure challenge",
        setup_label="3-D Secure every time: charges without you fail",
    ),
    TestCard(
        "pm_card_authenticationRequiredOnSetup",
        "4000002500003155",
        "visa",
        "credit",
        "three_d_secure",
        off_session="succeed",
        setup_label="3-D Secure when saving; later charges succeed",
    ),
    TestCard(
        "pm_card_chargeCustomerFail",
        "4000000000000341",
        "visa",
        "credit",
        "decline",
        decline_code="generic_decline",
        setup="succeed",
        setup_label="saved; charges are declined",
    ),
)
CARDS_BY_TOKEN = {card.token: card for card in TEST_CARDS}
CARDS_BY_NUMBER = {card.number: card for card in TEST_CARDS}

DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
}


@dataclass(frozen=True)
class TestIban:
    """A test IBAN from Stripe's table: a debit from it settles (succeeds or fails) after
    `processing`. Any other valid IBAN behaves like the successful one."""

    token: str  # Stripe's test PaymentMethod id, e.g. "pm_success_de"
    iban: str
    succeeds: bool
    failure_code: str = ""
    failure_message: str = ""
    label: str = ""  # shown on the demo setup page when set

    @property
    def last4(self) -> str:
        return self.iban[-4:]

    @property
    def country(self) -> str:
        return self.iban[:2]

    @property
    def bank_code(self) -> str:
        return bank_code_of(self.iban)


TEST_IBANS = (
    TestIban("pm_success_de", "DE89370400440532013000", succeeds=True, label="debits succeed"),
    TestIban(
        "pm_failed_de",
        "DE62370400440532013001",
        succeeds=False,
        failure_code="generic_could_not_process",
        failure_message="The customer's bank could not process the debit.",
        label="debits fail after processing",
    ),
    TestIban(
        "pm_insufficientFunds_de",
        "DE65370400440002222227",
        succeeds=False,
        failure_code="insufficient_funds",
        failure_message="The customer's account has insufficient funds to cover this payment.",
    ),
)
IBANS_BY_TOKEN = {iban.token: iban for iban in TEST_IBANS}
IBANS_BY_NUMBER = {iban.iban: iban for iban in TEST_IBANS}

_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
# Where the bank's code sits in the BBAN (after country and check digits), by country.
_BANK_CODE_LENGTH = {"DE": 8, "AT": 5, "FR": 5, "NL": 4, "BE": 3, "IT": 6, "ES": 4}


def compact_iban(text: str) -> str:
    return "".join(text.split()).upper()


def iban_is_valid(iban: str) -> bool:
    """The ISO 13616 check: shape, then the rearranged number modulo 97 is 1."""
    if not _IBAN_SHAPE.fullmatch(iban):
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def bank_code_of(iban: str) -> str:
    return iban[4 : 4 + _BANK_CODE_LENGTH.get(iban[:2], 4)]


def iban_behaviour(iban: str) -> TestIban:
    """The test IBAN's behaviour, or that of a successful one for any other valid IBAN."""
    known = IBANS_BY_NUMBER.get(iban)
    if known is not None:
        return known
    return TestIban(f"iban_{iban[-4:]}", iban, succeeds=True)
