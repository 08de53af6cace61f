"""Operators' merchant accounts: which providers an operator takes, with sealed secrets."""

from __future__ import annotations

from typing import Any

import msgspec

from cpo import database, sealing
from cpo.context import Context
from cpo.errors import InvalidInput, NotFound
from cpo.payments.schemas import ProviderName
from cpo.payments.tables import PaymentAccount
from cpo.ports import PaymentProvider, SavedPaymentMethods

# What each provider needs; public keys may reach the driver's browser, secrets never.
PUBLIC_KEYS = {
    ProviderName.STRIPE: ("publishable_key",),
    ProviderName.PAYPAL: ("client_id",),
}
SECRET_KEYS = {
    ProviderName.STRIPE: ("secret_key", "webhook_secret"),
    ProviderName.PAYPAL: ("client_secret", "webhook_id"),
}
# Where the provider's API is, and the card page drivers use, for the local fake of the
# providers (demo, tests); real accounts leave them out.
OPTIONAL_KEYS = ("api_base", "demo_card_page")


class AccountInput(msgspec.Struct, frozen=True, kw_only=True):
    provider: ProviderName
    label: str = ""
    config: dict[str, str]


class AccountView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    provider: ProviderName
    label: str
    public_config: dict[str, str]
    active: bool


class ProviderAccount(msgspec.Struct, frozen=True):
    account_id: int
    operator_id: int
    provider: ProviderName
    public_config: dict[str, str]


async def add_account(ctx: Context, operator_id: int, account: AccountInput) -> AccountView:
    required = PUBLIC_KEYS[account.provider] + SECRET_KEYS[account.provider]
    missing = [key for key in required if not account.config.get(key)]
    if missing:
        raise InvalidInput(f"{account.provider} needs {', '.join(missing)}")
    unknown = set(account.config) - set(required) - set(OPTIONAL_KEYS)
    if unknown:
        raise InvalidInput(f"unknown settings: {', '.join(sorted(unknown))}")
    public = {key: account.config[key] for key in PUBLIC_KEYS[account.provider]}
    secret = {
        key: account.config[key]
        for key in (*SECRET_KEYS[account.provider], *OPTIONAL_KEYS)
        if key in account.config
    }
    async with database.transaction():
        # One active account per provider: the new one replaces the old.
        await PaymentAccount.update({PaymentAccount.active: False}).where(
            (PaymentAccount.operator == operator_id) & (PaymentAccount.provider == account.provider)
        )
        rows = await PaymentAccount.insert(
            PaymentAccount(
                operator=operator_id,
                provider=account.provider,
                label=account.label,
                public_config=msgspec.json.encode(public).decode(),
                secret_config=sealing.seal(
                    ctx.settings.secret_key, msgspec.json.encode(secret).decode()
                ),
                active=True,
                created_at=ctx.clock.now(),
            )
        ).returning(PaymentAccount.id)
    return AccountView(
        id=rows[0]["id"],
        provider=account.provider,
        label=account.label,
        public_config=public,
        active=True,
    )


async def list_accounts(operator_id: int) -> list[AccountView]:
    rows = (
        await PaymentAccount.select()
        .where(PaymentAccount.operator == operator_id)
        .order_by(PaymentAccount.id)
    )
    return [
        AccountView(
            id=row["id"],
            provider=ProviderName(row["provider"]),
            label=row["label"],
            public_config=database.from_json_column(row["public_config"], dict[str, str]),
            active=bool(row["active"]),
        )
        for row in rows
    ]


async def active_account(operator_id: int, provider: ProviderName) -> ProviderAccount | None:
    row = (
        await PaymentAccount.select(
            PaymentAccount.id, PaymentAccount.public_config, PaymentAccount.provider
        )
        .where(
            (PaymentAccount.operator == operator_id)
            & (PaymentAccount.provider == provider)
            & PaymentAccount.active.eq(True)
        )
        .first()
    )
    if row is None:
        return None
    return ProviderAccount(
        row["id"],
        operator_id,
        provider,
        database.from_json_column(row["public_config"], dict[str, str]),
    )


async def offered_providers(operator_id: int) -> list[ProviderName]:
    rows = (
        await PaymentAccount.select(PaymentAccount.provider)
        .where((PaymentAccount.operator == operator_id) & PaymentAccount.active.eq(True))
        .order_by(PaymentAccount.id)
    )
    return [ProviderName(row["provider"]) for row in rows]


async def _account_config(ctx: Context, account_id: int) -> tuple[ProviderName, dict[str, Any]]:
    row = await PaymentAccount.select().where(PaymentAccount.id == account_id).first()
    if row is None:
        raise NotFound(f"no payment account {account_id}")
    config: dict[str, Any] = database.from_json_column(row["public_config"], dict[str, str])
    config.update(
        msgspec.json.decode(sealing.unseal(ctx.settings.secret_key, row["secret_config"]))
    )
    return ProviderName(row["provider"]), config


async def provider_for(ctx: Context, account_id: int) -> PaymentProvider:
    """The adapter of one account (whether active or not: old payments still settle)."""
    return ctx.payments.provider(*await _account_config(ctx, account_id))


async def methods_for(ctx: Context, account_id: int) -> SavedPaymentMethods:
    """The account's methods on file (whether active or not: methods saved there are still
    charged and detached there); `MethodOnFileNotOffered` for PayPal."""
    return ctx.payments.saved_methods(*await _account_config(ctx, account_id))
