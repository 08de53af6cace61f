"""Passkeys (WebAuthn, through py_webauthn): register one while logged in, log in with one.

The relying party is the host of `settings.base_url` (its id) and that URL (the origin): a
passkey made for one platform never works anywhere else. Every ceremony starts with a
challenge kept on our side (`WebAuthnChallenge`), answered at most once within
`CHALLENGE_TTL`: a registration bound to the login session that asked for it, a login to a
ceremony id the browser sends back. The browser's copy of the challenge is never trusted:
py_webauthn checks the signed clientDataJSON against ours.

Logging in works without a user name (discoverable credentials: the authenticator offers
the accounts it holds) or with an e-mail address as a hint (the browser is told which
credentials to offer; an address without an account gets a made-up credential, so the
answer does not tell whether it has one).

Bodies are the JSON that `PublicKeyCredential.toJSON()` and @simplewebauthn/browser
produce: byte fields base64url-encoded; options are what py_webauthn's `options_to_json`
makes, which the browser turns back into `navigator.credentials` arguments with
`PublicKeyCredential.parseCreationOptionsFromJSON` (or @simplewebauthn/browser).
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

import msgspec
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from cpo import database, messages, sealing
from cpo.accounts import rules
from cpo.accounts.enums import ChallengePurpose, LoginMethod
from cpo.accounts.service import NewLogin, UserRef, digest, start_session
from cpo.accounts.tables import Passkey, User, WebAuthnChallenge
from cpo.context import Context
from cpo.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from cpo.i18n import negotiate, translator
from cpo.operators.tables import Operator

log = logging.getLogger(__name__)

# EdDSA, ES256 and RS256 cover every authenticator on the market.
ALGORITHMS = [
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]
CHALLENGE_BYTES = 32
_TRANSPORTS = {transport.value for transport in AuthenticatorTransport}
# Malformed input makes py_webauthn's parsers raise these besides its own exceptions.
_MALFORMED = (WebAuthnException, ValueError, KeyError, TypeError)

B64 = Annotated[str, msgspec.Meta(max_length=4096, pattern="^[A-Za-z0-9_=-]*$")]
BigB64 = Annotated[str, msgspec.Meta(max_length=65536, pattern="^[A-Za-z0-9_=-]*$")]
CeremonyId = Annotated[str, msgspec.Meta(min_length=16, max_length=100)]


# --- bodies (the browser's JSON) ---------------------------------------------------------


class AttestationResponseJSON(msgspec.Struct, frozen=True, kw_only=True):
    client_data_json: B64 = msgspec.field(name="clientDataJSON")
    attestation_object: BigB64 = msgspec.field(name="attestationObject")
    transports: list[Annotated[str, msgspec.Meta(max_length=32)]] = []


class RegistrationCredentialJSON(msgspec.Struct, frozen=True, kw_only=True):
    """What `navigator.credentials.create()` returned, as `toJSON()` gives it."""

    id: B64
    raw_id: B64 = msgspec.field(name="rawId")
    type: Annotated[str, msgspec.Meta(max_length=32)]
    response: AttestationResponseJSON
    authenticator_attachment: Annotated[str, msgspec.Meta(max_length=32)] | None = msgspec.field(
        default=None, name="authenticatorAttachment"
    )
    client_extension_results: dict[str, Any] = msgspec.field(
        default_factory=dict, name="clientExtensionResults"
    )


class AssertionResponseJSON(msgspec.Struct, frozen=True, kw_only=True):
    client_data_json: B64 = msgspec.field(name="clientDataJSON")
    authenticator_data: B64 = msgspec.field(name="authenticatorData")
    signature: B64
    user_handle: B64 | None = msgspec.field(default=None, name="userHandle")


class AuthenticationCredentialJSON(msgspec.Struct, frozen=True, kw_only=True):
    """What `navigator.credentials.get()` returned, as `toJSON()` gives it."""

    id: B64
    raw_id: B64 = msgspec.field(name="rawId")
    type: Annotated[str, msgspec.Meta(max_length=32)]
    response: AssertionResponseJSON
    authenticator_attachment: Annotated[str, msgspec.Meta(max_length=32)] | None = msgspec.field(
        default=None, name="authenticatorAttachment"
    )
    client_extension_results: dict[str, Any] = msgspec.field(
        default_factory=dict, name="clientExtensionResults"
    )


class Ceremony(msgspec.Struct, frozen=True, kw_only=True):
    """Options for `navigator.credentials.create()` / `.get()` (JSON form) and the id that
    the answer must come back with."""

    ceremony_id: str
    options: dict[str, Any]


class Registration(msgspec.Struct, frozen=True, kw_only=True):
    ceremony_id: CeremonyId
    credential: RegistrationCredentialJSON
    name: Annotated[str, msgspec.Meta(max_length=100)] = ""


class LoginOptionsRequest(msgspec.Struct, frozen=True, kw_only=True):
    # A hint: offer only this address's passkeys. Leave it out to let the device choose.
    email: Annotated[str, msgspec.Meta(max_length=rules.MAX_EMAIL_LENGTH)] | None = None
    operator: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class PasskeyLogin(msgspec.Struct, frozen=True, kw_only=True):
    ceremony_id: CeremonyId
    credential: AuthenticationCredentialJSON


class PasskeyView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    backed_up: bool
    transports: tuple[str, ...]


# --- the relying party --------------------------------------------------------------------


def relying_party(ctx: Context) -> tuple[str, str]:
    """(rp id, origin): the host of the public URL, and the URL itself."""
    origin = ctx.settings.base_url
    host = urlsplit(origin).hostname
    if not host:
        raise RuntimeError(f"the public URL {origin!r} has no host")
    return host, origin


def _view(row: dict[str, Any]) -> PasskeyView:
    return PasskeyView(
        id=row["id"],
        name=row["name"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        backed_up=row["backed_up"],
        transports=tuple(part for part in row["transports"].split(",") if part),
    )


def _descriptor(credential_id: str, transports: str) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(credential_id),
        transports=[AuthenticatorTransport(part) for part in transports.split(",") if part] or None,
    )


async def _new_ceremony(
    ctx: Context, purpose: ChallengePurpose, challenge: bytes, login_session: int | None
) -> str:
    ceremony_id = secrets.token_urlsafe(32)
    now = ctx.clock.now()
    async with database.transaction():
        await WebAuthnChallenge.delete().where(
            WebAuthnChallenge.expires_at < now - rules.CHALLENGE_TTL
        )
        await WebAuthnChallenge.insert(
            WebAuthnChallenge(
                purpose=purpose,
                ceremony_hash=digest(ceremony_id),
                challenge=bytes_to_base64url(challenge),
                login_session=login_session,
                created_at=now,
                expires_at=now + rules.CHALLENGE_TTL,
            )
        )
    return ceremony_id


async def _take_challenge(
    ctx: Context, ceremony_id: str, purpose: ChallengePurpose, login_session: int | None
) -> bytes | None:
    """The challenge of an open ceremony, used up by taking it (one answer per challenge)."""
    now = ctx.clock.now()
    condition = (
        (WebAuthnChallenge.ceremony_hash == digest(ceremony_id))
        & (WebAuthnChallenge.purpose == purpose)
        & WebAuthnChallenge.used_at.is_null()
        & (WebAuthnChallenge.expires_at > now)
    )
    if login_session is None:
        condition &= WebAuthnChallenge.login_session.is_null()
    else:
        condition &= WebAuthnChallenge.login_session == login_session
    async with database.transaction():
        rows = (
            await WebAuthnChallenge.update({WebAuthnChallenge.used_at: now})
            .where(condition)
            .returning(WebAuthnChallenge.challenge)
        )
    return base64url_to_bytes(rows[0]["challenge"]) if rows else None


# --- registration -------------------------------------------------------------------------


async def registration_options(ctx: Context, user: UserRef) -> Ceremony:
    """Options to create a passkey for the logged-in user (a discoverable one, so that the
    next login needs no name), excluding the passkeys they have."""
    rp_id, _ = relying_party(ctx)
    row = await User.select(User.webauthn_handle).where(User.id == user.user_id).first()
    operator = await Operator.select(Operator.name).where(Operator.id == user.operator_id).first()
    assert row is not None
    assert operator is not None
    existing = await Passkey.select(Passkey.credential_id, Passkey.transports).where(
        Passkey.user == user.user_id
    )
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=operator["name"],
        user_id=base64url_to_bytes(row["webauthn_handle"]),
        user_name=user.email,
        user_display_name=user.display_name or user.email,
        challenge=challenge,
        timeout=int(rules.CHALLENGE_TTL.total_seconds() * 1000),
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            _descriptor(passkey["credential_id"], passkey["transports"]) for passkey in existing
        ],
        supported_pub_key_algs=ALGORITHMS,
    )
    ceremony_id = await _new_ceremony(
        ctx, ChallengePurpose.REGISTRATION, challenge, user.session_id
    )
    return Ceremony(ceremony_id=ceremony_id, options=json.loads(options_to_json(options)))


async def register(ctx: Context, user: UserRef, registration: Registration) -> PasskeyView:
    """Check the new credential against our challenge, origin and rp id; keep its key."""
    t = translator(negotiate(None, user.language))
    challenge = await _take_challenge(
        ctx, registration.ceremony_id, ChallengePurpose.REGISTRATION, user.session_id
    )
    if challenge is None:
        raise InvalidInput(t.gettext(messages.PASSKEY_CEREMONY_EXPIRED), code="ceremony_expired")
    rp_id, origin = relying_party(ctx)
    try:
        verified = verify_registration_response(
            credential=msgspec.to_builtins(registration.credential),
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=False,
            supported_pub_key_algs=ALGORITHMS,
        )
    except _MALFORMED as error:
        log.info("passkey registration of user %s refused: %s", user.user_id, error)
        raise InvalidInput(
            t.gettext(messages.PASSKEY_NOT_REGISTERED), code="passkey_invalid"
        ) from None
    credential_id = bytes_to_base64url(verified.credential_id)
    transports = [
        transport
        for transport in registration.credential.response.transports
        if transport in _TRANSPORTS
    ]
    now = ctx.clock.now()
    name = registration.name.strip() or t.gettext(messages.PASSKEY_DEFAULT_NAME).format(
        date=t.date(now, "Europe/Berlin")
    )
    async with database.transaction():
        if await Passkey.exists().where(Passkey.credential_id == credential_id):
            raise Conflict(t.gettext(messages.PASSKEY_ALREADY_REGISTERED), code="passkey_exists")
        rows = await Passkey.insert(
            Passkey(
                user=user.user_id,
                credential_id=credential_id,
                public_key=bytes_to_base64url(verified.credential_public_key),
                sign_count=verified.sign_count,
                transports=",".join(transports),
                aaguid=verified.aaguid,
                backed_up=verified.credential_backed_up,
                name=name[:100],
                created_at=now,
            )
        ).returning(Passkey.id)
    return await _passkey(user, rows[0]["id"])


# --- login --------------------------------------------------------------------------------


async def login_options(ctx: Context, request: LoginOptionsRequest) -> Ceremony:
    rp_id, _ = relying_party(ctx)
    allowed: list[PublicKeyCredentialDescriptor] = []
    email = (request.email or "").strip()
    if email:
        email_key = rules.normalize_email(email)
        condition = (Passkey.user.email_key == email_key) & Passkey.user.disabled_at.is_null()
        if request.operator:
            condition &= Passkey.user._.operator._.slug == request.operator.strip().lower()
        passkeys = await Passkey.select(Passkey.credential_id, Passkey.transports).where(condition)
        allowed = [_descriptor(row["credential_id"], row["transports"]) for row in passkeys]
        if not allowed:
            # The same made-up credential every time, as if the address had a passkey.
            made_up = sealing.signature(ctx.settings.secret_key, "no-passkey", email_key)
            allowed = [_descriptor(made_up, "internal,hybrid")]
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=challenge,
        timeout=int(rules.CHALLENGE_TTL.total_seconds() * 1000),
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    ceremony_id = await _new_ceremony(ctx, ChallengePurpose.AUTHENTICATION, challenge, None)
    return Ceremony(ceremony_id=ceremony_id, options=json.loads(options_to_json(options)))


async def login(ctx: Context, request: PasskeyLogin, user_agent: str, language: str) -> NewLogin:
    """Check the assertion (challenge, origin, rp id, signature, sign count); log in."""
    t = translator(negotiate(None, language))
    rejected = NotAuthenticated(t.gettext(messages.PASSKEY_REJECTED), code="passkey_rejected")
    challenge = await _take_challenge(
        ctx, request.ceremony_id, ChallengePurpose.AUTHENTICATION, None
    )
    if challenge is None:
        raise NotAuthenticated(
            t.gettext(messages.PASSKEY_CEREMONY_EXPIRED), code="ceremony_expired"
        )
    credential = request.credential
    try:
        credential_id = bytes_to_base64url(base64url_to_bytes(credential.raw_id))
    except ValueError:
        raise rejected from None
    passkey = (
        await Passkey.select(
            Passkey.id,
            Passkey.public_key,
            Passkey.sign_count,
            Passkey.user.id,
            Passkey.user.webauthn_handle,
            Passkey.user.disabled_at,
        )
        .where(Passkey.credential_id == credential_id)
        .first()
    )
    if passkey is None or passkey["user.disabled_at"] is not None:
        log.info("login with an unknown or disabled passkey refused")
        raise rejected
    if not _same_handle(credential.response.user_handle, passkey["user.webauthn_handle"]):
        log.warning("passkey %s answered with another user's handle", passkey["id"])
        raise rejected
    rp_id, origin = relying_party(ctx)
    try:
        verified = verify_authentication_response(
            credential=msgspec.to_builtins(credential),
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=base64url_to_bytes(passkey["public_key"]),
            credential_current_sign_count=passkey["sign_count"],
            require_user_verification=False,
        )
    except _MALFORMED as error:
        # A sign count that did not grow means a cloned authenticator or a replay.
        log.warning("login with passkey %s refused: %s", passkey["id"], error)
        raise rejected from None
    now = ctx.clock.now()
    async with database.transaction():
        # Compare and set: two logins racing with the same count cannot both pass.
        updated = (
            await Passkey.update(
                {
                    Passkey.sign_count: verified.new_sign_count,
                    Passkey.backed_up: verified.credential_backed_up,
                    Passkey.last_used_at: now,
                }
            )
            .where((Passkey.id == passkey["id"]) & (Passkey.sign_count == passkey["sign_count"]))
            .returning(Passkey.id)
        )
        if not updated:
            log.warning("passkey %s was used twice at once; refused", passkey["id"])
            raise rejected
        return await start_session(ctx, passkey["user.id"], LoginMethod.PASSKEY, user_agent)


def _same_handle(sent: str | None, ours: str) -> bool:
    """A discoverable credential returns the user handle it was made with; others none."""
    if sent is None:
        return True
    try:
        return base64url_to_bytes(sent) == base64url_to_bytes(ours)
    except ValueError:
        return False


# --- the user's passkeys ------------------------------------------------------------------


async def _passkey(user: UserRef, passkey_id: int) -> PasskeyView:
    row = (
        await Passkey.select()
        .where((Passkey.id == passkey_id) & (Passkey.user == user.user_id))
        .first()
    )
    if row is None:
        t = translator(negotiate(None, user.language))
        raise NotFound(t.gettext(messages.PASSKEY_NOT_FOUND), code="passkey_not_found")
    return _view(row)


async def list_passkeys(user: UserRef) -> list[PasskeyView]:
    rows = await Passkey.select().where(Passkey.user == user.user_id).order_by(Passkey.id)
    return [_view(row) for row in rows]


async def delete_passkey(ctx: Context, user: UserRef, passkey_id: int) -> None:
    await _passkey(user, passkey_id)
    async with database.transaction():
        await Passkey.delete().where((Passkey.id == passkey_id) & (Passkey.user == user.user_id))
