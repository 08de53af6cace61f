"""Contract customers keep a payment method on file (`cpo.payments.saved_methods`) and the
provider charges it without them (`cpo.payments.off_session`): the core against the fake
Stripe with the real SDK, on SQLite and PostgreSQL.

The customer's browser is played with plain HTTP on the fake's setup page; the provider's
webhooks are caught at a local endpoint and handed to the platform's webhook handler when
the test says so — before or after the browser comes back, twice, or never (a lost one, for
the sweeper). The clock is moved instead of waiting.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import msgspec
import pytest

from cpo.accounts import service as accounts
from cpo.accounts.enums import CustomerKind, Role
from cpo.accounts.service import UserRef
from cpo.accounts.tables import User
from cpo.context import Context
from cpo.errors import InvalidInput, NotAllowed, NotFound
from cpo.payments import off_session, saved_methods, webhooks
from cpo.payments.accounts import AccountInput, add_account
from cpo.payments.enums import MethodChargeState, SavedMethodState
from cpo.payments.saved_methods import PaymentMethodView, SetupStart, SetupStep
from cpo.payments.schemas import (
    EventKind,
    MethodKind,
    MethodOnFileNotOffered,
    PaymentProblem,
    ProviderEvent,
    ProviderName,
)
from cpo.payments.tables import MethodCharge, PaymentAccount, PaymentEvent, SavedPaymentMethod
from payments.fake import FakeProviderServer, StripeTestAccount
from payments.gateway import ProviderGateway
from tests.payments.conftest import account_config
from tests.support.accounts import MovableClock
from tests.support.rival import rival_operator
from tests.support.stripe_webhooks import WebhookEndpoint

ANNA = "anna@example.org"
SUCCESS_IBAN = "DE89 3704 0044 0532 0130 00"
FAILING_IBAN = "DE62 3704 0044 0532 0130 01"


@dataclass
class OnFile:
    """The demo operator with its Stripe account at the fake; webhooks wait at `endpoint`."""

    ctx: Context
    clock: MovableClock
    fake: FakeProviderServer
    account_id: int
    endpoint: WebhookEndpoint
    browser: httpx.AsyncClient

    async def deliver(self, event_type: str, object_id: str) -> None:
        """The provider's webhook reaches the platform (as often as the test calls this)."""
        delivery = await self.endpoint.event(event_type, object_id)
        await webhooks.handle_webhook(
            self.ctx, ProviderName.STRIPE, self.account_id, delivery.headers, delivery.body
        )

    async def enter(self, step: SetupStep, what: str) -> httpx.Response:
        """The customer enters a card number or an IBAN on the fake's setup page."""
        assert step.redirect_url is not None
        if step.kind is MethodKind.CARD:
            form = {"method": "card", "card_number": what}
        else:
            form = {
                "method": "sepa_debit",
                "iban": what,
                "name": "Anna Schmidt",
                "email": ANNA,
                "mandate": "accepted",
            }
        return await self.browser.post(step.redirect_url, data=form)

    async def saved(self, user: UserRef, kind: MethodKind, what: str) -> PaymentMethodView:
        """A method put on file the usual way: start, enter, come back."""
        step = await start(self, user, kind)
        answer = await self.enter(step, what)
        assert answer.status_code == 303, answer.text
        return await saved_methods.confirm_setup(self.ctx, user, step.setup_id, "en")


@pytest.fixture
async def on_file(
    demo: Context, fake: FakeProviderServer, keys: StripeTestAccount, endpoint: WebhookEndpoint
) -> AsyncIterator[OnFile]:
    gateway = ProviderGateway()
    clock = MovableClock()
    ctx = Context(demo.settings, demo.bus, clock, payments=gateway)
    account = await add_account(
        ctx, 1, AccountInput(provider=ProviderName.STRIPE, config=account_config(fake, keys))
    )
    async with httpx.AsyncClient(timeout=5) as browser:
        yield OnFile(ctx, clock, fake, account.id, endpoint, browser)
    await gateway.close()


async def user_ref(email: str) -> UserRef:
    row = await User.select().where(User.email_key == email.lower()).first()
    assert row is not None
    return UserRef(
        user_id=row["id"],
        operator_id=row["operator"],
        customer_id=row["customer"],
        role=Role(row["role"]),
        email=row["email"],
        display_name=row["display_name"],
        language="en",
        session_id=0,
        csrf_token="csrf",
        expires_at=row["created_at"] + timedelta(days=1),
    )


async def start(
    on_file: OnFile, user: UserRef, kind: MethodKind, client_key: str | None = None
) -> SetupStep:
    return await saved_methods.start_setup(
        on_file.ctx,
        user,
        SetupStart(
            kind=kind,
            client_key=client_key or uuid.uuid4().hex,
            mandate_accepted=kind is MethodKind.SEPA_DEBIT,
        ),
        client_ip="203.0.113.9",
        user_agent="Mozilla/5.0 (test phone)",
        language="en",
    )


async def row_of(setup_id: int) -> dict[str, Any]:
    row = await SavedPaymentMethod.select().where(SavedPaymentMethod.id == setup_id).first()
    assert row is not None
    return row


async def charge(on_file: OnFile, customer_id: int, key: str, amount: int = 2345) -> Any:
    return await off_session.charge_method_on_file(
        on_file.ctx,
        customer_id=customer_id,
        amount_minor=amount,
        currency="EUR",
        reference=f"invoice:{key}",
        idempotency_key=f"invoice:{key}:1",
        description=f"Invoice DEM-R-{key}",
    )


# -- saving one --------------------------------------------------------------------------


async def test_sepa_debit_is_saved_when_the_browser_returns_and_the_webhook_changes_nothing(
    on_file: OnFile,
) -> None:
    anna = await user_ref(ANNA)
    before = await saved_methods.my_payment_method(on_file.ctx, anna, "en")
    assert (before.offered, before.method, before.setup) == (True, None, None)
    assert before.creditor == "Demo Stadtwerke Laden GmbH"

    with pytest.raises(InvalidInput) as unaccepted:
        await saved_methods.start_setup(
            on_file.ctx,
            anna,
            SetupStart(kind=MethodKind.SEPA_DEBIT, client_key="k" * 16),
            client_ip="203.0.113.9",
            user_agent="Mozilla/5.0",
            language="de",
        )
    assert unaccepted.value.code == "mandate_not_accepted"
    assert "Lastschrift" in unaccepted.value.message

    step = await start(on_file, anna, MethodKind.SEPA_DEBIT, client_key="tap-once-0001")
    assert (
        step.publishable_key
        == on_file.fake.providers.stripe.accounts[
            next(iter(on_file.fake.providers.stripe.accounts))
        ].publishable_key
    )
    assert step.return_url.endswith(f"/account/payment?setup={step.setup_id}")
    assert (
        step.redirect_url
        == f"{on_file.fake.url}/setup/{(await row_of(step.setup_id))['setup_ref']}"
    )
    # A second tap: the same setup, not a second one at the provider.
    assert (await start(on_file, anna, MethodKind.SEPA_DEBIT, client_key="tap-once-0001")) == step
    assert len(on_file.fake.providers.stripe.setups.setup_intents) == 1
    row = await row_of(step.setup_id)
    assert (row["state"], row["mandate_ip"], row["mandate_user_agent"]) == (
        "pending",
        "203.0.113.9",
        "Mozilla/5.0 (test phone)",
    )
    pending = await saved_methods.my_payment_method(on_file.ctx, anna, "en")
    assert pending.setup is not None
    assert (pending.setup.id, pending.setup.state, pending.method) == (
        step.setup_id,
        "pending",
        None,
    )

    assert (await on_file.enter(step, SUCCESS_IBAN)).status_code == 303
    view = await saved_methods.confirm_setup(on_file.ctx, anna, step.setup_id, "en")
    method = view.method
    assert method is not None
    assert (method.id, method.kind, method.last4, method.bank_code, method.country) == (
        step.setup_id,
        MethodKind.SEPA_DEBIT,
        "3000",
        "37040044",
        "DE",
    )
    assert len(method.mandate_reference) == 16
    assert method.added_by == "Anna Schmidt"
    assert view.setup is None

    await on_file.deliver("setup_intent.succeeded", row["setup_ref"])
    await on_file.deliver("setup_intent.succeeded", row["setup_ref"])  # redelivered
    assert await PaymentEvent.count().where(PaymentEvent.kind == EventKind.SETUP_SUCCEEDED) == 1
    again = await saved_methods.confirm_setup(on_file.ctx, anna, step.setup_id, "en")
    assert again == view  # done once: the same method, since the same moment
    assert await SavedPaymentMethod.count().where(SavedPaymentMethod.state == "active") == 1


async def test_the_webhook_may_come_first_and_the_browser_after(on_file: OnFile) -> None:
    anna = await user_ref(ANNA)
    step = await start(on_file, anna, MethodKind.CARD)
    assert (await on_file.enter(step, "4242 4242 4242 4242")).status_code == 303
    setup_ref = (await row_of(step.setup_id))["setup_ref"]
    await on_file.deliver("setup_intent.succeeded", setup_ref)
    first = await row_of(step.setup_id)
    assert (first["state"], first["brand"], first["last4"]) == ("active", "visa", "4242")
    assert (first["exp_month"], first["exp_year"]) == (12, 2034)

    on_file.clock.advance(timedelta(minutes=5))
    view = await saved_methods.confirm_setup(on_file.ctx, anna, step.setup_id, "en")
    assert view.method is not None
    assert view.method.since == first["activated_at"]  # not activated a second time


async def test_a_new_method_replaces_the_old_one_which_is_detached_after_the_commit(
    on_file: OnFile,
) -> None:
    anna = await user_ref(ANNA)
    sepa = await on_file.saved(anna, MethodKind.SEPA_DEBIT, SUCCESS_IBAN)
    assert sepa.method is not None
    old = await row_of(sepa.method.id)

    card = await on_file.saved(anna, MethodKind.CARD, "5555 5555 5555 4444")
    assert card.method is not None
    assert (card.method.kind, card.method.brand, card.method.last4) == (
        MethodKind.CARD,
        "mastercard",
        "4444",
    )
    replaced = await row_of(old["id"])
    assert replaced["state"] == "removed"
    assert replaced["detached_at"] is not None
    assert on_file.fake.object(old["method_ref"])["customer"] is None
    assert on_file.fake.object(old["mandate_ref"])["status"] == "inactive"
    brief = await saved_methods.brief(1, anna.customer_id or 0)
    assert brief is not None
    assert (brief.kind, brief.brand, brief.last4) == (MethodKind.CARD, "mastercard", "4444")


async def test_a_declined_card_keeps_the_method_on_file_and_says_what_to_do(
    on_file: OnFile,
) -> None:
    anna = await user_ref(ANNA)
    sepa = await on_file.saved(anna, MethodKind.SEPA_DEBIT, SUCCESS_IBAN)
    step = await start(on_file, anna, MethodKind.CARD)
    declined = await on_file.enter(step, "4000 0000 0000 0002")
    assert declined.status_code == 400  # said on the page; the customer may try another
    await on_file.deliver("setup_intent.setup_failed", (await row_of(step.setup_id))["setup_ref"])

    view = await saved_methods.confirm_setup(on_file.ctx, anna, step.setup_id, "de")
    assert view.method == sepa.method
    assert view.setup is not None
    assert (view.setup.id, view.setup.state, view.setup.failure_code) == (
        step.setup_id,
        SavedMethodState.FAILED,
        "generic_decline",
    )
    assert view.setup.message.startswith("Ihre Bank hat diese Karte abgelehnt")

    # Another card on the same page after all: it becomes the method on file.
    assert (await on_file.enter(step, "4242 4242 4242 4242")).status_code == 303
    view = await saved_methods.confirm_setup(on_file.ctx, anna, step.setup_id, "en")
    assert view.method is not None
    assert (view.method.id, view.setup) == (step.setup_id, None)


async def test_removing_the_method_detaches_it_and_a_failed_detach_is_retried(
    on_file: OnFile,
) -> None:
    anna = await user_ref(ANNA)
    view = await on_file.saved(anna, MethodKind.CARD, "4242 4242 4242 4242")
    assert view.method is not None
    method_ref = (await row_of(view.method.id))["method_ref"]
    on_file.fake.fail_next("/v1/payment_methods/*/detach", times=3, status=503)

    after = await saved_methods.remove_method(on_file.ctx, anna, view.method.id, "en")
    assert after.method is None
    row = await row_of(view.method.id)
    assert (row["state"], row["detached_at"], row["detach_attempts"]) == ("removed", None, 1)
    assert on_file.fake.object(method_ref)["customer"] is not None  # Stripe was down
    with pytest.raises(NotFound):
        await saved_methods.remove_method(on_file.ctx, anna, view.method.id, "en")

    await saved_methods.sweep(on_file.ctx)  # too early: nothing
    assert (await row_of(view.method.id))["detached_at"] is None
    on_file.clock.advance(timedelta(minutes=1))
    await saved_methods.sweep(on_file.ctx)
    assert (await row_of(view.method.id))["detached_at"] is not None
    assert on_file.fake.object(method_ref)["customer"] is None


async def test_a_setup_whose_webhook_was_lost_is_finished_by_the_sweeper(on_file: OnFile) -> None:
    anna = await user_ref(ANNA)
    step = await start(on_file, anna, MethodKind.CARD)
    assert (await on_file.enter(step, "4242 4242 4242 4242")).status_code == 303
    # The customer closed the tab; the webhook never arrives.
    await saved_methods.sweep(on_file.ctx)
    assert (await row_of(step.setup_id))["state"] == "pending"
    on_file.clock.advance(timedelta(minutes=2))
    await saved_methods.sweep(on_file.ctx)
    assert (await row_of(step.setup_id))["state"] == "active"

    abandoned = await start(on_file, anna, MethodKind.CARD)
    on_file.clock.advance(timedelta(days=2))
    await saved_methods.sweep(on_file.ctx)
    row = await row_of(abandoned.setup_id)
    assert (row["state"], row["failure_code"]) == ("failed", "abandoned")
    view = await saved_methods.my_payment_method(on_file.ctx, anna, "en")
    assert view.method is not None
    assert view.method.id == step.setup_id
    assert view.setup is not None
    assert view.setup.message.startswith("Saving your payment method was not finished")


async def test_an_unreachable_provider_saves_nothing_and_a_retry_resumes(on_file: OnFile) -> None:
    anna = await user_ref(ANNA)
    on_file.fake.fail_next("/v1/setup_intents", times=3, status=503, method="POST")
    with pytest.raises(PaymentProblem) as down:
        await start(on_file, anna, MethodKind.CARD, client_key="retry-me-0001")
    assert down.value.http_status == 502
    step = await start(on_file, anna, MethodKind.CARD, client_key="retry-me-0001")
    assert step.redirect_url is not None
    assert await SavedPaymentMethod.count() == 1


# -- who may, and who may not --------------------------------------------------------------


async def test_a_companys_driver_may_not_manage_it_but_its_fleet_manager_may(
    on_file: OnFile,
) -> None:
    company = await accounts.create_customer(
        on_file.ctx,
        1,
        accounts.CustomerInput(kind=CustomerKind.COMPANY, name="Müller Logistik GmbH"),
    )
    for email, role in (
        ("fahrer@mueller.example", Role.DRIVER),
        ("chefin@mueller.example", Role.FLEET_MANAGER),
    ):
        await accounts.create_user(
            on_file.ctx,
            1,
            accounts.UserInput(email=email, role=role, customer_id=company.id),
        )
    driver = await user_ref("fahrer@mueller.example")
    with pytest.raises(NotAllowed) as refused:
        await saved_methods.my_payment_method(on_file.ctx, driver, "en")
    assert refused.value.code == "payment_method_not_yours"
    assert "fleet manager" in refused.value.message
    with pytest.raises(NotAllowed):
        await start(on_file, driver, MethodKind.CARD)

    manager = await user_ref("chefin@mueller.example")
    view = await on_file.saved(manager, MethodKind.SEPA_DEBIT, SUCCESS_IBAN)
    assert view.method is not None
    with pytest.raises(NotAllowed):
        await saved_methods.remove_method(on_file.ctx, driver, view.method.id, "en")
    staff = await user_ref("operator@example.org")
    with pytest.raises(NotAllowed):
        await saved_methods.my_payment_method(on_file.ctx, staff, "en")


async def test_another_operators_customer_is_invisible(on_file: OnFile) -> None:
    anna = await user_ref(ANNA)
    view = await on_file.saved(anna, MethodKind.CARD, "4242 4242 4242 4242")
    assert view.method is not None
    pending = await start(on_file, anna, MethodKind.CARD)

    rival = await rival_operator(on_file.ctx)
    rival_customer = await accounts.create_customer(
        on_file.ctx, rival.operator_id, accounts.CustomerInput(name="Rival Kunde")
    )
    await accounts.create_user(
        on_file.ctx,
        rival.operator_id,
        accounts.UserInput(email="kunde@rival.example", customer_id=rival_customer.id),
    )
    stranger = await user_ref("kunde@rival.example")
    with pytest.raises(NotFound):
        await saved_methods.confirm_setup(on_file.ctx, stranger, pending.setup_id, "en")
    with pytest.raises(NotFound):
        await saved_methods.remove_method(on_file.ctx, stranger, view.method.id, "en")
    assert await saved_methods.brief(rival.operator_id, anna.customer_id or 0) is None
    theirs = await saved_methods.my_payment_method(on_file.ctx, stranger, "en")
    assert (theirs.offered, theirs.method) == (False, None)  # the rival has no Stripe account
    assert "bank transfer" in theirs.message

    # An event naming Anna's setup at another account finds nothing.
    rival_account = await PaymentAccount.insert(
        PaymentAccount(operator=rival.operator_id, provider="stripe", secret_config="x")
    ).returning(PaymentAccount.id)
    await saved_methods.on_setup_event(
        on_file.ctx,
        rival_account[0]["id"],
        ProviderEvent(
            event_id="evt_forged",
            kind=EventKind.SETUP_SUCCEEDED,
            reference=saved_methods.setup_reference(pending.setup_id),
        ),
    )
    assert (await row_of(pending.setup_id))["state"] == "pending"


async def test_an_operator_with_paypal_only_is_said_to_take_bank_transfers(
    on_file: OnFile,
) -> None:
    await PaymentAccount.update({PaymentAccount.active: False}).where(
        PaymentAccount.provider == ProviderName.STRIPE
    )
    anna = await user_ref(ANNA)
    with pytest.raises(MethodOnFileNotOffered) as refused:
        await start(on_file, anna, MethodKind.CARD)
    assert refused.value.code == "method_on_file_not_offered"
    assert "+49 30 123456" in refused.value.message
    view = await saved_methods.my_payment_method(on_file.ctx, anna, "de")
    assert view.offered is False
    assert "Überweisung" in view.message


# -- charging it without the customer --------------------------------------------------------


async def test_a_card_on_file_is_charged_once_per_key(on_file: OnFile) -> None:
    anna = await user_ref(ANNA)
    customer_id = anna.customer_id or 0
    with pytest.raises(off_session.NoMethodOnFile):
        await charge(on_file, customer_id, "000001")
    await on_file.saved(anna, MethodKind.CARD, "4242 4242 4242 4242")

    paid = await charge(on_file, customer_id, "000001")
    assert (paid.state, paid.amount_minor, paid.currency, paid.method_kind) == (
        MethodChargeState.SUCCEEDED,
        2345,
        "EUR",
        MethodKind.CARD,
    )
    intent = on_file.fake.object(paid.provider_ref)
    assert intent["metadata"] == {"reference": f"charge:{paid.id}"}
    assert intent["description"] == "Invoice DEM-R-000001"
    assert await charge(on_file, customer_id, "000001") == paid
    assert await MethodCharge.count() == 1
    assert len(on_file.fake.providers.stripe.payment_intents) == 1
    await on_file.deliver("payment_intent.succeeded", paid.provider_ref)
    assert await off_session.charge_view(paid.id) == paid


@pytest.mark.parametrize(
    ("number", "state", "code"),
    [
        ("4000 0000 0000 0341", MethodChargeState.FAILED, "generic_decline"),
        ("4000 0027 6000 3184", MethodChargeState.REQUIRES_ACTION, "authentication_required"),
    ],
)
async def test_a_card_charge_that_does_not_go_through_says_why(
    on_file: OnFile, number: str, state: MethodChargeState, code: str
) -> None:
    anna = await user_ref(ANNA)
    step = await start(on_file, anna, MethodKind.CARD)
    answer = await on_file.enter(step, number)
    if answer.headers["location"].startswith("/stripe/3ds/"):
        await on_file.browser.post(
            f"{on_file.fake.url}{answer.headers['location']}", data={"action": "complete"}
        )
    await saved_methods.confirm_setup(on_file.ctx, anna, step.setup_id, "en")
    result = await charge(on_file, anna.customer_id or 0, "000002")
    assert (result.state, result.failure_code) == (state, code)
    assert result.failure_message
    assert result.settled_at is not None


@pytest.mark.parametrize(
    ("iban", "state", "code"),
    [
        (SUCCESS_IBAN, MethodChargeState.SUCCEEDED, ""),
        (FAILING_IBAN, MethodChargeState.FAILED, "generic_could_not_process"),
    ],
)
async def test_a_sepa_debit_processes_until_the_webhook_says_how_it_settled(
    on_file: OnFile, iban: str, state: MethodChargeState, code: str
) -> None:
    anna = await user_ref(ANNA)
    await on_file.saved(anna, MethodKind.SEPA_DEBIT, iban)
    submitted = await charge(on_file, anna.customer_id or 0, "000003", amount=4711)
    assert submitted.state is MethodChargeState.PROCESSING
    assert submitted.method_kind is MethodKind.SEPA_DEBIT
    updates = await on_file.ctx.bus.subscribe(f"{off_session.TOPIC}.{submitted.id}")
    try:
        await on_file.deliver("payment_intent.processing", submitted.provider_ref)
        assert (await off_session.charge_view(submitted.id)).state is MethodChargeState.PROCESSING

        on_file.fake.settle_payment_intent(submitted.provider_ref)  # days later
        settled_event = (
            "payment_intent.succeeded"
            if state is MethodChargeState.SUCCEEDED
            else "payment_intent.payment_failed"
        )
        await on_file.deliver(settled_event, submitted.provider_ref)
        async with asyncio.timeout(5):
            announced = msgspec.json.decode(await anext(aiter(updates)))
        assert (announced["id"], announced["state"]) == (submitted.id, state)
    finally:
        await updates.close()
    settled = await off_session.charge_view(submitted.id)
    assert (settled.state, settled.failure_code) == (state, code)
    # The late replay of the first answer ("processing") changes nothing.
    assert await charge(on_file, anna.customer_id or 0, "000003", amount=4711) == settled


async def test_a_debit_whose_webhooks_were_lost_is_found_by_the_sweeper(on_file: OnFile) -> None:
    anna = await user_ref(ANNA)
    await on_file.saved(anna, MethodKind.SEPA_DEBIT, SUCCESS_IBAN)
    submitted = await charge(on_file, anna.customer_id or 0, "000004")
    on_file.fake.settle_payment_intent(submitted.provider_ref)
    await off_session.sweep(on_file.ctx)  # not due yet: still processing
    assert (await off_session.charge_view(submitted.id)).state is MethodChargeState.PROCESSING
    on_file.clock.advance(timedelta(hours=2))
    await off_session.sweep(on_file.ctx)
    assert (await off_session.charge_view(submitted.id)).state is MethodChargeState.SUCCEEDED


async def test_a_charge_without_an_answer_is_asked_for_again_with_the_same_key(
    on_file: OnFile,
) -> None:
    anna = await user_ref(ANNA)
    await on_file.saved(anna, MethodKind.CARD, "4242 4242 4242 4242")
    # Stripe does it, but no answer comes back, to the SDK's retries either.
    on_file.fake.fail_next("/v1/payment_intents", times=3, method="POST", after_processing=True)
    pending = await charge(on_file, anna.customer_id or 0, "000005")
    assert pending.state is MethodChargeState.PENDING
    assert pending.last_error.startswith("http_500")
    on_file.clock.advance(timedelta(minutes=1))
    await off_session.sweep(on_file.ctx)
    done = await off_session.charge_view(pending.id)
    assert done.state is MethodChargeState.SUCCEEDED
    assert len(on_file.fake.providers.stripe.payment_intents) == 1


async def test_a_platform_without_payment_adapters_offers_no_method_on_file(demo: Context) -> None:
    anna = await user_ref(ANNA)
    view = await saved_methods.my_payment_method(Context(demo.settings), anna, "en")
    assert (view.offered, view.method, view.setup) == (False, None, None)
