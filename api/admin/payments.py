"""Payment accounts (each operator is its own merchant) and payments that need attention."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import JSONBody

from api.auth import CallingOperator
from cpo import database
from cpo.audit import service as audit
from cpo.operators.service import require_admin
from cpo.payments import accounts
from cpo.payments.enums import PaymentState
from cpo.payments.tables import Payment


class PaymentProblem(msgspec.Struct, frozen=True, kw_only=True):
    payment_id: int
    ad_hoc_session_id: int
    provider: str
    provider_ref: str
    state: PaymentState
    amount_held_minor: int
    amount_due_minor: int | None
    currency: str
    attempts: int
    last_error: str
    next_attempt_at: datetime | None
    updated_at: datetime


class PaymentController(Controller):
    path = "/api/admin"
    tags = ["admin: payments"]

    @post(
        "/payment-accounts",
        summary="Connect a payment provider",
        description=(
            "Stripe: publishable_key, secret_key, webhook_secret. PayPal: client_id, "
            "client_secret, webhook_id. Secrets are stored sealed and never shown again. "
            "A new account of a provider replaces the previous one."
        ),
    )
    async def add_account(
        self, operator: CallingOperator, state: State, data: JSONBody[accounts.AccountInput]
    ) -> accounts.AccountView:
        require_admin(operator)
        async with database.transaction():
            added = await accounts.add_account(state.ctx, operator.operator_id, data)
            await audit.record(
                operator,
                "payment_account.connect",
                "payment_account",
                added.id,
                at=state.ctx.clock.now(),
                after=added,
            )
        return added

    @get("/payment-accounts", summary="Connected payment providers")
    async def list_accounts(self, operator: CallingOperator) -> list[accounts.AccountView]:
        return await accounts.list_accounts(operator.operator_id)

    @get(
        "/payment-problems",
        summary="Payments that need attention",
        description=(
            "Captures and releases that failed and are being retried, authorisations that "
            "expired before capture, and sessions whose energy is unknown (hold kept)."
        ),
    )
    async def problems(self, operator: CallingOperator) -> list[PaymentProblem]:
        rows = (
            await Payment.select()
            .where(
                (Payment.operator == operator.operator_id)
                & (
                    (Payment.attempts > 0)
                    & Payment.state.is_in(
                        [PaymentState.CAPTURE_PENDING, PaymentState.CANCEL_PENDING]
                    )
                    | (Payment.state == PaymentState.EXPIRED)
                    | (Payment.last_error != "") & (Payment.state != PaymentState.CAPTURED)
                )
            )
            .order_by(Payment.updated_at, ascending=False)
            .limit(500)
        )
        return [
            PaymentProblem(
                payment_id=row["id"],
                ad_hoc_session_id=row["ad_hoc_session"],
                provider=row["provider"],
                provider_ref=row["provider_ref"],
                state=PaymentState(row["state"]),
                amount_held_minor=row["amount_held_minor"],
                amount_due_minor=row["amount_due_minor"],
                currency=row["currency"],
                attempts=row["attempts"],
                last_error=row["last_error"],
                next_attempt_at=row["next_attempt_at"],
                updated_at=row["updated_at"],
            )
            for row in rows
        ]
