"""The pure rules of accounts: session lifetimes, whose sessions a user sees, addresses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cpo.accounts import rules
from cpo.accounts.enums import CustomerKind, Role, ThrottleScope

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("role", "lifetime", "sliding"),
    [
        (Role.DRIVER, timedelta(days=30), True),
        (Role.FLEET_MANAGER, timedelta(days=30), True),
        (Role.OPERATOR_STAFF, timedelta(hours=8), False),
        (Role.OPERATOR_ADMIN, timedelta(hours=8), False),
        (Role.PLATFORM_ADMIN, timedelta(hours=8), False),
    ],
)
def test_session_policies(role: Role, lifetime: timedelta, sliding: bool) -> None:
    policy = rules.session_policy(role)
    assert (policy.lifetime, policy.sliding) == (lifetime, sliding)


def test_a_sliding_session_is_pushed_out_at_most_hourly() -> None:
    policy = rules.DRIVER_SESSIONS
    fresh = NOW + policy.lifetime
    assert rules.refreshed_expiry(policy, fresh, NOW) is None
    assert rules.refreshed_expiry(policy, fresh, NOW + timedelta(minutes=59)) is None
    later = NOW + timedelta(hours=2)
    assert rules.refreshed_expiry(policy, fresh, later) == later + policy.lifetime
    assert rules.refreshed_expiry(rules.STAFF_SESSIONS, NOW, later) is None


def test_validity() -> None:
    assert rules.session_is_valid(NOW + timedelta(seconds=1), None, NOW)
    assert not rules.session_is_valid(NOW, None, NOW)
    assert not rules.session_is_valid(NOW + timedelta(days=1), NOW, NOW)


@pytest.mark.parametrize(
    ("role", "kind", "token_customer", "holder", "visible"),
    [
        (Role.DRIVER, CustomerKind.PERSON, 7, 1, True),  # her own card or app token
        (Role.DRIVER, CustomerKind.PERSON, 7, None, True),  # her unassigned card
        (Role.DRIVER, CustomerKind.PERSON, 7, 2, False),  # someone else holds it
        (Role.DRIVER, CustomerKind.COMPANY, 7, 1, True),
        (Role.DRIVER, CustomerKind.COMPANY, 7, None, False),  # the fleet's pool card
        (Role.DRIVER, CustomerKind.COMPANY, 7, 2, False),  # a colleague's card
        (Role.FLEET_MANAGER, CustomerKind.COMPANY, 7, 2, True),
        (Role.FLEET_MANAGER, CustomerKind.COMPANY, 7, None, True),
        (Role.FLEET_MANAGER, CustomerKind.COMPANY, 8, None, False),  # another customer
        (Role.DRIVER, CustomerKind.PERSON, 8, 1, False),  # another customer, same holder id
        (Role.DRIVER, CustomerKind.PERSON, None, None, False),  # nobody's (ad hoc)
        (Role.OPERATOR_ADMIN, CustomerKind.PERSON, 7, 1, False),
    ],
)
def test_whose_sessions_a_user_sees(
    role: Role, kind: CustomerKind, token_customer: int | None, holder: int | None, visible: bool
) -> None:
    assert (
        rules.may_see_token(
            role=role,
            user_id=1,
            customer_id=7,
            customer_kind=kind,
            token_customer_id=token_customer,
            token_holder_id=holder,
        )
        is visible
    )


def test_without_a_customer_nothing_is_visible() -> None:
    assert not rules.may_see_token(
        role=Role.DRIVER,
        user_id=1,
        customer_id=None,
        customer_kind=None,
        token_customer_id=None,
        token_holder_id=1,
    )


@pytest.mark.parametrize(
    ("role", "kind", "pays"),
    [
        (Role.DRIVER, CustomerKind.PERSON, True),  # a person answers for their own money
        (Role.DRIVER, CustomerKind.COMPANY, False),  # a company's driver only charges
        (Role.FLEET_MANAGER, CustomerKind.COMPANY, True),
        (Role.OPERATOR_ADMIN, CustomerKind.PERSON, False),
        (Role.OPERATOR_STAFF, CustomerKind.COMPANY, False),
    ],
)
def test_who_sees_invoices_and_chooses_the_payment_method(
    role: Role, kind: CustomerKind, pays: bool
) -> None:
    assert rules.may_see_invoices(role, kind) is pays
    assert rules.may_manage_payment_method(role, kind) is pays


@pytest.mark.parametrize(
    ("typed", "key"),
    [(" Anna@Example.ORG ", "anna@example.org"), ("ben@example.org", "ben@example.org")],
)
def test_addresses_are_found_regardless_of_case(typed: str, key: str) -> None:
    assert rules.normalize_email(typed) == key


@pytest.mark.parametrize(
    ("address", "plausible"),
    [
        ("anna@example.org", True),
        (" anna@example.org ", True),
        ("anna@localhost", False),
        ("anna example@example.org", False),
        ("anna@@example.org", False),
        ("@example.org", False),
        ("anna@", False),
        ("a" * 250 + "@example.org", False),
    ],
)
def test_plausible_addresses(address: str, plausible: bool) -> None:
    assert rules.is_plausible_email(address) is plausible


def test_limits() -> None:
    assert not rules.over_limit(ThrottleScope.EMAIL, 4)
    assert rules.over_limit(ThrottleScope.EMAIL, 5)
    assert not rules.over_limit(ThrottleScope.CLIENT, 19)
    assert rules.over_limit(ThrottleScope.CLIENT, 20)
