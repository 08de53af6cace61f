"""Running the platform: a platform admin creates operators (tenants) and invites each
one's first admin; an operator's admins keep their own profile and brand (name, colours,
logo, contacts and legal details shown to drivers and printed on receipts)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Final

import msgspec

from cpo import database
from cpo.accounts import service as accounts
from cpo.accounts.enums import Role
from cpo.accounts.rules import is_plausible_email
from cpo.audit import service as audit
from cpo.context import Context
from cpo.errors import Conflict, InvalidInput, NotAllowed, NotFound
from cpo.operators.service import OperatorRef, require_admin
from cpo.operators.tables import Operator
from cpo.ports import OutgoingMail
from cpo.stations.tables import ChargeStation

_SLUG: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
_COLOR: Final = re.compile(r"#[0-9a-fA-F]{6}")
_COUNTRY: Final = re.compile(r"[A-Z]{2}")
_PARTY: Final = re.compile(r"[A-Z0-9]{3}")
_CURRENCY: Final = re.compile(r"[A-Z]{3}")

Text200 = Annotated[str, msgspec.Meta(max_length=200)]


class Branding(msgspec.Struct, frozen=True, kw_only=True):
    """What drivers see of an operator and what receipts print; all optional in a change."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    legal_name: Text200 | None = None
    brand_primary_color: str | None = None
    brand_accent_color: str | None = None
    logo_url: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    support_email: Text200 | None = None
    support_phone: Annotated[str, msgspec.Meta(max_length=50)] | None = None
    website: Text200 | None = None
    street: Text200 | None = None
    postal_code: Annotated[str, msgspec.Meta(max_length=20)] | None = None
    city: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    vat_id: Annotated[str, msgspec.Meta(max_length=20)] | None = None
    commercial_register: Annotated[str, msgspec.Meta(max_length=100)] | None = None


class NewOperator(msgspec.Struct, frozen=True, kw_only=True):
    slug: Annotated[str, msgspec.Meta(max_length=64)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    country_code: Annotated[str, msgspec.Meta(max_length=2)]
    party_id: Annotated[str, msgspec.Meta(max_length=3)]
    currency: Annotated[str, msgspec.Meta(max_length=3)] = "EUR"
    branding: Branding = Branding()
    # The operator's first admin: invited by e-mail (a login link valid for days).
    admin_email: Annotated[str, msgspec.Meta(max_length=254)]
    admin_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    admin_language: Annotated[str, msgspec.Meta(max_length=5)] = "de"


class OperatorView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    slug: str
    name: str
    legal_name: str
    country_code: str
    party_id: str
    currency: str
    brand_primary_color: str
    brand_accent_color: str
    logo_url: str
    support_email: str
    support_phone: str
    website: str
    street: str
    postal_code: str
    city: str
    vat_id: str
    commercial_register: str
    active: bool
    created_at: datetime
    stations: int


_BRANDING_FIELDS: Final = tuple(Branding.__struct_fields__)


def check_branding(branding: Branding) -> None:
    """Refuse what would break the app or mislead drivers, with the field named."""
    for field in ("brand_primary_color", "brand_accent_color"):
        value = getattr(branding, field)
        if value is not None and not _COLOR.fullmatch(value):
            raise InvalidInput(f"{field} is a colour like #0b5fff", code="invalid_color")
    if branding.logo_url and not branding.logo_url.startswith("https://"):
        raise InvalidInput("logo_url must be an https:// address", code="invalid_logo_url")
    if branding.website and not branding.website.startswith(("https://", "http://")):
        raise InvalidInput("website must be an http(s):// address", code="invalid_website")
    if branding.support_email and not is_plausible_email(branding.support_email):
        raise InvalidInput("support_email is not an e-mail address", code="invalid_email")


def check_new_operator(new: NewOperator) -> None:
    if not _SLUG.fullmatch(new.slug):
        raise InvalidInput(
            "slug: lower-case letters, digits and inner hyphens, up to 64", code="invalid_slug"
        )
    if not _COUNTRY.fullmatch(new.country_code):
        raise InvalidInput("country_code: ISO 3166 alpha-2, e.g. DE", code="invalid_country")
    if not _PARTY.fullmatch(new.party_id):
        raise InvalidInput("party_id: three letters or digits, e.g. ABC", code="invalid_party")
    if not _CURRENCY.fullmatch(new.currency):
        raise InvalidInput("currency: ISO 4217, e.g. EUR", code="invalid_currency")
    if not is_plausible_email(new.admin_email):
        raise InvalidInput("admin_email is not an e-mail address", code="invalid_email")
    check_branding(new.branding)


def _changes(branding: Branding) -> dict[Any, Any]:
    return {
        getattr(Operator, field): value.strip() if isinstance(value, str) else value
        for field in _BRANDING_FIELDS
        if (value := getattr(branding, field)) is not None
    }


async def _view(operator_id: int) -> OperatorView:
    row = await Operator.select().where(Operator.id == operator_id).first()
    if row is None:
        raise NotFound("no such operator", code="operator_not_found")
    stations = await ChargeStation.count().where(ChargeStation.operator == operator_id)
    fields = {name: row[name] for name in OperatorView.__struct_fields__ if name in row}
    return OperatorView(**fields, stations=stations)


def require_platform_admin(caller: OperatorRef) -> None:
    if caller.role is not Role.PLATFORM_ADMIN:
        raise NotAllowed("only platform admins manage operators", code="forbidden_role")


async def list_operators(caller: OperatorRef) -> list[OperatorView]:
    require_platform_admin(caller)
    rows = await Operator.select(Operator.id).order_by(Operator.id)
    return [await _view(row["id"]) for row in rows]


async def create_operator(
    ctx: Context, caller: OperatorRef, new: NewOperator
) -> tuple[OperatorView, OutgoingMail]:
    """The operator and its first admin; returns the invitation mail to send."""
    require_platform_admin(caller)
    check_new_operator(new)
    now = ctx.clock.now()
    async with database.transaction():
        if await Operator.exists().where(Operator.slug == new.slug):
            raise Conflict(f"an operator {new.slug!r} exists already", code="slug_taken")
        rows = await Operator.insert(
            Operator(
                slug=new.slug,
                name=new.name.strip(),
                country_code=new.country_code,
                party_id=new.party_id,
                currency=new.currency,
                created_at=now,
            )
        ).returning(Operator.id)
        operator_id = int(rows[0]["id"])
        branding = _changes(new.branding)
        if branding:
            await Operator.update(branding).where(Operator.id == operator_id)
        admin = await accounts.create_user(
            ctx,
            operator_id,
            accounts.UserInput(
                email=new.admin_email,
                display_name=new.admin_name,
                role=Role.OPERATOR_ADMIN,
                language=new.admin_language if new.admin_language in {"de", "en"} else "de",
            ),
        )
        created = await _view(operator_id)
        await audit.record(
            caller,
            "operator.create",
            "operator",
            operator_id,
            at=now,
            after={"operator": created, "admin": admin.email},
        )
        mail = await accounts.invitation(ctx, operator_id, admin.id)
    return created, mail


async def own_profile(caller: OperatorRef) -> OperatorView:
    return await _view(caller.operator_id)


async def change_branding(ctx: Context, caller: OperatorRef, branding: Branding) -> OperatorView:
    require_admin(caller)
    check_branding(branding)
    changes = _changes(branding)
    now = ctx.clock.now()
    async with database.transaction():
        before = await _view(caller.operator_id)
        if changes:
            await Operator.update(changes).where(Operator.id == caller.operator_id)
        after = await _view(caller.operator_id)
        await audit.record(
            caller,
            "operator.branding",
            "operator",
            caller.operator_id,
            at=now,
            before=before,
            after=after,
        )
    return after
