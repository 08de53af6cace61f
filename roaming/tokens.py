"""Tokens module, Receiver interface: e-mobility providers push their drivers' tokens.

Tokens are the partner's objects (client owned): it may only push tokens of the parties it
speaks for, and the URL and the object must name the same token.
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET

from cpo import database
from cpo.clock import as_utc
from cpo.context import Context
from cpo.partners.tables import PartnerToken
from cpo.tokens.rules import normalize_uid
from roaming.partners import PartnerRef
from roaming.schemas import EnergyContract, Token, TokenPatch, TokenType
from roaming.transport import OcpiError, Status, invalid


def token_key(operator_id: int, country_code: str, party_id: str, kind: str, uid: str) -> str:
    return "|".join(
        (str(operator_id), country_code.upper(), party_id.upper(), kind, normalize_uid(uid))
    )


def token_type(raw: str | None) -> TokenType:
    if raw is None or raw == "":
        return TokenType.RFID
    try:
        return TokenType(raw)
    except ValueError:
        raise invalid(f"unknown token type {raw[:20]!r}") from None


def check_party(partner: PartnerRef, country_code: str, party_id: str) -> None:
    if len(country_code) != 2 or len(party_id) != 3:
        raise invalid("country_code has 2 characters, party_id 3")
    # A hub forwards for the providers behind it; a direct partner speaks for its own roles.
    if not partner.is_hub and not partner.speaks_for(country_code, party_id):
        raise OcpiError(
            Status.CLIENT_ERROR,
            f"you do not speak for {country_code.upper()}*{party_id.upper()}",
            http_status=403,
        )


def check_uid(uid: str) -> None:
    if not 1 <= len(uid) <= 36 or not uid.isprintable():
        raise invalid("a token uid has 1 to 36 printable characters")


def view(row: dict[str, Any]) -> Token:
    energy = row["energy_contract"]
    return Token(
        country_code=row["country_code"],
        party_id=row["party_id"],
        uid=row["uid"],
        type=TokenType(row["type"]),
        contract_id=row["contract_id"],
        issuer=row["issuer"],
        valid=bool(row["valid"]),
        whitelist=row["whitelist"],
        last_updated=as_utc(row["last_updated"]),
        visual_number=row["visual_number"],
        group_id=row["group_id"],
        language=row["language"],
        default_profile_type=row["default_profile_type"],
        energy_contract=None
        if energy is None
        else database.from_json_column(energy, EnergyContract),
    )


async def get_token(
    partner: PartnerRef, country_code: str, party_id: str, uid: str, kind: str | None
) -> Token:
    check_party(partner, country_code, party_id)
    check_uid(uid)
    key = token_key(partner.operator_id, country_code, party_id, token_type(kind), uid)
    row = await PartnerToken.select().where(PartnerToken.token_key == key).first()
    if row is None:
        raise OcpiError(Status.UNKNOWN_TOKEN, "unknown token", http_status=404)
    return view(row)


def _columns(token: Token) -> dict[Any, Any]:
    return {
        PartnerToken.country_code: token.country_code.upper(),
        PartnerToken.party_id: token.party_id.upper(),
        PartnerToken.uid: token.uid,
        PartnerToken.uid_normalized: normalize_uid(token.uid),
        PartnerToken.type: token.type.value,
        PartnerToken.contract_id: token.contract_id,
        PartnerToken.visual_number: token.visual_number,
        PartnerToken.issuer: token.issuer,
        PartnerToken.group_id: token.group_id,
        PartnerToken.valid: token.valid,
        PartnerToken.whitelist: token.whitelist.value,
        PartnerToken.language: token.language,
        PartnerToken.default_profile_type: token.default_profile_type
        and token.default_profile_type.value,
        PartnerToken.energy_contract: None
        if token.energy_contract is None
        else msgspec.json.encode(token.energy_contract).decode(),
        PartnerToken.last_updated: as_utc(token.last_updated),
    }


def _same(a: str, b: str) -> bool:
    return a.strip().upper() == b.strip().upper()


async def put_token(
    ctx: Context,
    partner: PartnerRef,
    country_code: str,
    party_id: str,
    uid: str,
    kind: str | None,
    token: Token,
) -> bool:
    """Store a new or updated token; True when it is new."""
    check_party(partner, country_code, party_id)
    check_uid(uid)
    url_type = token_type(kind)
    if not (
        _same(token.country_code, country_code)
        and _same(token.party_id, party_id)
        and _same(token.uid, uid)
        and token.type is url_type
    ):
        raise invalid("the token in the body is not the one the URL names")
    key = token_key(partner.operator_id, country_code, party_id, url_type, uid)
    now = ctx.clock.now()
    columns = _columns(token)
    columns[PartnerToken.received_at] = now
    columns[PartnerToken.partner] = partner.id
    async with database.transaction():
        existing = (
            await PartnerToken.select(PartnerToken.id).where(PartnerToken.token_key == key).first()
        )
        if existing is None:
            await PartnerToken.insert(
                PartnerToken(
                    token_key=key,
                    operator=partner.operator_id,
                    **{column._meta.name: value for column, value in columns.items()},
                )
            )
            return True
        await PartnerToken.update(columns).where(PartnerToken.id == existing["id"])
        return False


async def patch_token(
    ctx: Context,
    partner: PartnerRef,
    country_code: str,
    party_id: str,
    uid: str,
    kind: str | None,
    patch: TokenPatch,
) -> None:
    check_party(partner, country_code, party_id)
    check_uid(uid)
    url_type = token_type(kind)
    for field, expected in (
        (patch.country_code, country_code),
        (patch.party_id, party_id),
        (patch.uid, uid),
    ):
        if field is not UNSET and not _same(str(field), expected):
            raise invalid("a token's country_code, party_id and uid cannot change")
    if patch.type is not UNSET and patch.type is not url_type:
        raise invalid("a token's type cannot change")
    key = token_key(partner.operator_id, country_code, party_id, url_type, uid)
    async with database.transaction():
        row = await PartnerToken.select().where(PartnerToken.token_key == key).first()
        if row is None:
            raise OcpiError(Status.UNKNOWN_TOKEN, "unknown token", http_status=404)
        current = view(row)
        changes: dict[str, Any] = {
            name: getattr(patch, name)
            for name in patch.__struct_fields__
            if getattr(patch, name) is not UNSET
        }
        merged = msgspec.structs.replace(current, **changes)
        # Re-check the whole object, as a PUT would be.
        try:
            merged = msgspec.convert(msgspec.to_builtins(merged), Token)
        except msgspec.ValidationError as error:
            raise invalid(f"the patched token is not valid: {error}") from None
        columns = _columns(merged)
        columns[PartnerToken.received_at] = ctx.clock.now()
        await PartnerToken.update(columns).where(PartnerToken.id == row["id"])
