"""The partner registry and the credentials handshake, in both directions.

Tokens, in OCPI's words: "token A" is handed over out of band to start a registration,
"token B" is what the registering party gives the other, "token C" what it gets back.
A token that calls *us* is stored only as a SHA-256 hash; a token *we* present to a partner
is sealed with the platform's secret key (we must be able to send it).

Network I/O never happens inside a transaction: fetch the partner's versions, then commit.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from cpo import database
from cpo.context import Context
from cpo.errors import Conflict, InvalidInput, NotFound
from cpo.operators.tables import Operator
from cpo.partners.enums import PartnerStatus, PushStatus
from cpo.partners.tables import PartnerParty, RoamingPartner, RoamingPush
from cpo.sealing import seal, unseal
from roaming.client import PartnerClient, Routing, expect_success
from roaming.schemas import (
    BusinessDetails,
    Credentials,
    CredentialsRole,
    Endpoint,
    InterfaceRole,
    ModuleId,
    Role,
    Version,
    VersionDetails,
)
from roaming.transport import (
    VERSION,
    OcpiError,
    PartnerError,
    Status,
    new_credentials_token,
    not_allowed,
    token_hash,
)

log = logging.getLogger(__name__)

# What we serve (CPO role), module by module: relative to the version details URL.
OUR_MODULES: tuple[tuple[ModuleId, InterfaceRole], ...] = (
    (ModuleId.CREDENTIALS, InterfaceRole.SENDER),
    (ModuleId.LOCATIONS, InterfaceRole.SENDER),
    (ModuleId.TARIFFS, InterfaceRole.SENDER),
    (ModuleId.SESSIONS, InterfaceRole.SENDER),
    (ModuleId.CDRS, InterfaceRole.SENDER),
    (ModuleId.TOKENS, InterfaceRole.RECEIVER),
    (ModuleId.COMMANDS, InterfaceRole.RECEIVER),
)


class PartnerRef(msgspec.Struct, frozen=True, kw_only=True):
    """A partner as a request or a job needs it."""

    id: int
    operator_id: int
    name: str
    status: PartnerStatus
    country_code: str
    party_id: str
    is_hub: bool
    endpoints: tuple[Endpoint, ...]
    outgoing_token_sealed: str
    # Every party the partner speaks for: (role, country code, party id).
    parties: tuple[tuple[str, str, str], ...] = ()

    def endpoint(self, module: ModuleId, role: InterfaceRole) -> str | None:
        for endpoint in self.endpoints:
            if endpoint.identifier == module and endpoint.role is role:
                return endpoint.url
        # 2.2.1 partners that list a module without a role mean its usual side.
        for endpoint in self.endpoints:
            if endpoint.identifier == module:
                return endpoint.url
        return None

    def speaks_for(self, country_code: str, party_id: str) -> bool:
        return any(
            cc.upper() == country_code.upper() and pid.upper() == party_id.upper()
            for _, cc, pid in self.parties
        )


class PartnerSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    status: PartnerStatus
    country_code: str
    party_id: str
    is_hub: bool
    versions_url: str
    version: str
    modules: tuple[str, ...]
    last_error: str
    pending_pushes: int
    failed_pushes: int


class Offer(msgspec.Struct, frozen=True, kw_only=True):
    """What an operator hands a new partner (shown once): our versions URL and token A."""

    partner_id: int
    versions_url: str
    token: str


class OperatorParty(msgspec.Struct, frozen=True, kw_only=True):
    operator_id: int
    country_code: str
    party_id: str
    name: str
    website: str


def versions_url(ctx: Context) -> str:
    return f"{ctx.settings.base_url}/ocpi/versions"


def version_url(ctx: Context) -> str:
    return f"{ctx.settings.base_url}/ocpi/{VERSION}"


def our_versions(ctx: Context) -> list[Version]:
    return [Version(version=VERSION, url=version_url(ctx))]


def our_version_details(ctx: Context) -> VersionDetails:
    base = version_url(ctx)
    return VersionDetails(
        version=VERSION,
        endpoints=[
            Endpoint(identifier=module.value, role=role, url=f"{base}/{module.value}")
            for module, role in OUR_MODULES
        ],
    )


async def operator_party(operator_id: int) -> OperatorParty:
    row = (
        await Operator.select(
            Operator.id, Operator.country_code, Operator.party_id, Operator.name, Operator.website
        )
        .where(Operator.id == operator_id)
        .first()
    )
    if row is None:
        raise NotFound(f"no operator {operator_id}")
    return OperatorParty(
        operator_id=row["id"],
        country_code=row["country_code"].upper(),
        party_id=row["party_id"].upper(),
        name=row["name"],
        website=row["website"],
    )


def our_credentials(ctx: Context, party: OperatorParty, token: str) -> Credentials:
    website = party.website if party.website.startswith(("https://", "http://")) else None
    return Credentials(
        token=token,
        url=versions_url(ctx),
        roles=[
            CredentialsRole(
                role=Role.CPO,
                business_details=BusinessDetails(name=party.name[:100], website=website),
                party_id=party.party_id,
                country_code=party.country_code,
            )
        ],
    )


def routing(
    party: OperatorParty, partner: PartnerRef, to_country_code: str = "", to_party_id: str = ""
) -> Routing:
    """From us to the partner, or (through a hub) to one party behind it."""
    if to_country_code and to_party_id:
        return Routing(party.country_code, party.party_id, to_country_code, to_party_id)
    return Routing(party.country_code, party.party_id, partner.country_code, partner.party_id)


def outgoing_token(secret_key: str, partner: PartnerRef) -> str:
    if not partner.outgoing_token_sealed:
        raise PartnerError(f"no credentials for partner {partner.id}", retryable=False)
    return unseal(secret_key, partner.outgoing_token_sealed)


# -- reading -----------------------------------------------------------------------------


def _ref(row: dict[str, Any], parties: list[dict[str, Any]]) -> PartnerRef:
    return PartnerRef(
        id=row["id"],
        operator_id=row["operator"],
        name=row["name"],
        status=PartnerStatus(row["status"]),
        country_code=row["country_code"],
        party_id=row["party_id"],
        is_hub=bool(row["is_hub"]),
        endpoints=database.from_json_column(row["endpoints"], tuple[Endpoint, ...]),
        outgoing_token_sealed=row["outgoing_token_sealed"],
        parties=tuple((p["role"], p["country_code"], p["party_id"]) for p in parties),
    )


async def _parties(partner_id: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await PartnerParty.select(
        PartnerParty.role, PartnerParty.country_code, PartnerParty.party_id
    ).where(PartnerParty.partner == partner_id)
    return rows


async def get_partner(partner_id: int, operator_id: int | None = None) -> PartnerRef:
    condition: Any = RoamingPartner.id == partner_id
    if operator_id is not None:
        condition &= RoamingPartner.operator == operator_id
    row = await RoamingPartner.select().where(condition).first()
    if row is None:
        raise NotFound(f"no roaming partner {partner_id}")
    return _ref(row, await _parties(partner_id))


async def authenticate(candidates: list[str]) -> tuple[PartnerRef, str] | None:
    """The partner whose credentials token is one of `candidates`, and that token."""
    for candidate in candidates:
        row = (
            await RoamingPartner.select()
            .where(RoamingPartner.incoming_token_hash == token_hash(candidate))
            .first()
        )
        if row is not None and row["status"] != PartnerStatus.UNREGISTERED:
            return _ref(row, await _parties(row["id"])), candidate
    return None


async def partners_for_party(
    operator_id: int, country_code: str, party_id: str
) -> list[PartnerRef]:
    """Registered partners that speak for an e-mobility provider (itself, or a hub)."""
    rows = await PartnerParty.select(PartnerParty.partner).where(
        (PartnerParty.operator == operator_id)
        & (PartnerParty.country_code == country_code.upper())
        & (PartnerParty.party_id == party_id.upper())
    )
    found = []
    for partner_id in sorted({row["partner"] for row in rows}):
        partner = await get_partner(partner_id)
        if partner.status is PartnerStatus.REGISTERED:
            found.append(partner)
    return found


async def registered_partners(operator_id: int | None = None) -> list[PartnerRef]:
    condition: Any = RoamingPartner.status == PartnerStatus.REGISTERED
    if operator_id is not None:
        condition &= RoamingPartner.operator == operator_id
    rows = await RoamingPartner.select().where(condition).order_by(RoamingPartner.id)
    return [_ref(row, await _parties(row["id"])) for row in rows]


async def list_partners(operator_id: int) -> list[PartnerSummary]:
    rows = (
        await RoamingPartner.select()
        .where(RoamingPartner.operator == operator_id)
        .order_by(RoamingPartner.id)
    )
    summaries = []
    for row in rows:
        endpoints = database.from_json_column(row["endpoints"], tuple[Endpoint, ...])
        pending = await RoamingPush.count().where(
            (RoamingPush.partner == row["id"]) & (RoamingPush.status == PushStatus.PENDING)
        )
        failed = await RoamingPush.count().where(
            (RoamingPush.partner == row["id"]) & (RoamingPush.status == PushStatus.FAILED)
        )
        summaries.append(
            PartnerSummary(
                id=row["id"],
                name=row["name"],
                status=PartnerStatus(row["status"]),
                country_code=row["country_code"],
                party_id=row["party_id"],
                is_hub=bool(row["is_hub"]),
                versions_url=row["versions_url"],
                version=row["version"],
                modules=tuple(sorted({f"{e.identifier}:{e.role.value}" for e in endpoints})),
                last_error=row["last_error"],
                pending_pushes=pending,
                failed_pushes=failed,
            )
        )
    return summaries


# -- the handshake when a partner registers with us --------------------------------------


async def offer(ctx: Context, operator_id: int, name: str) -> Offer:
    """A new partner entry with a registration token (token A) for the partner."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput("a partner's name has 1 to 100 characters")
    await operator_party(operator_id)
    token = new_credentials_token()
    now = ctx.clock.now()
    async with database.transaction():
        rows = await RoamingPartner.insert(
            RoamingPartner(
                operator=operator_id,
                name=name,
                status=PartnerStatus.OFFERED,
                incoming_token_hash=token_hash(token),
                incoming_token_prefix=token[:8],
                created_at=now,
                updated_at=now,
            )
        ).returning(RoamingPartner.id)
    return Offer(partner_id=int(rows[0]["id"]), versions_url=versions_url(ctx), token=token)


async def fetch_version(
    client: PartnerClient, url: str, token: str, *, timeout_s: float
) -> tuple[str, tuple[Endpoint, ...]]:
    """The partner's 2.2.1 endpoints, from its versions URL (OCPI 3001/3002 on failure)."""
    try:
        versions = await client.fetch(url, token=token, kind=list[Version], timeout_s=timeout_s)
    except PartnerError as error:
        raise OcpiError(
            Status.UNABLE_TO_USE_CLIENT_API,
            f"could not read your versions: {error.message}",
            http_status=400,
        ) from None
    chosen = next((v for v in versions if v.version == VERSION), None)
    if chosen is None:
        raise OcpiError(
            Status.UNSUPPORTED_VERSION,
            f"no common version: we speak {VERSION}",
            http_status=400,
        )
    try:
        details = await client.fetch(
            chosen.url, token=token, kind=VersionDetails, timeout_s=timeout_s
        )
    except PartnerError as error:
        raise OcpiError(
            Status.UNABLE_TO_USE_CLIENT_API,
            f"could not read your version details: {error.message}",
            http_status=400,
        ) from None
    if details.version != VERSION:
        raise OcpiError(Status.UNSUPPORTED_VERSION, "version details of another version")
    if not any(e.identifier == ModuleId.CREDENTIALS for e in details.endpoints):
        raise OcpiError(
            Status.NO_MATCHING_ENDPOINTS, "your version details list no credentials endpoint"
        )
    return VERSION, tuple(details.endpoints)


def _check_roles(credentials: Credentials) -> None:
    useful = {Role.EMSP, Role.HUB}
    if not any(role.role in useful for role in credentials.roles):
        raise OcpiError(
            Status.INVALID_PARAMETERS, "we connect e-mobility providers and hubs (roles EMSP, HUB)"
        )
    seen = set()
    for role in credentials.roles:
        key = (role.role, role.country_code.upper(), role.party_id.upper())
        if key in seen:
            raise OcpiError(Status.INVALID_PARAMETERS, "a role is listed twice")
        seen.add(key)


async def accept_credentials(
    ctx: Context,
    client: PartnerClient,
    partner: PartnerRef,
    credentials: Credentials,
    *,
    update: bool,
) -> Credentials:
    """POST (register) or PUT (update, e.g. token rotation) of a partner's credentials.

    We read the partner's endpoints with the token it gave us, then answer with a new token
    for it to use (token C); the token it called with stops working at once.
    """
    if update and partner.status is not PartnerStatus.REGISTERED:
        raise not_allowed("not registered: POST your credentials first")
    if not update and partner.status is PartnerStatus.REGISTERED:
        raise not_allowed("already registered: use PUT to update, DELETE to unregister")
    _check_roles(credentials)
    version, endpoints = await fetch_version(
        client, credentials.url, credentials.token, timeout_s=ctx.settings.ocpi_request_timeout_s
    )
    party = await operator_party(partner.operator_id)
    token_c = new_credentials_token()
    await _store_registration(ctx, partner.id, credentials, version, endpoints, token_c)
    log.info(
        "roaming partner %s (%s) %s",
        partner.id,
        partner.name,
        "updated its credentials" if update else "registered",
    )
    return our_credentials(ctx, party, token_c)


async def _store_registration(
    ctx: Context,
    partner_id: int,
    credentials: Credentials,
    version: str,
    endpoints: tuple[Endpoint, ...],
    incoming_token: str,
) -> None:
    now = ctx.clock.now()
    first = next((r for r in credentials.roles if r.role in {Role.EMSP, Role.HUB}), None)
    assert first is not None
    async with database.transaction():
        row = (
            await RoamingPartner.select(RoamingPartner.operator)
            .where(RoamingPartner.id == partner_id)
            .first()
        )
        if row is None:
            raise NotFound(f"no roaming partner {partner_id}")
        await RoamingPartner.update(
            {
                RoamingPartner.status: PartnerStatus.REGISTERED,
                RoamingPartner.incoming_token_hash: token_hash(incoming_token),
                RoamingPartner.incoming_token_prefix: incoming_token[:8],
                RoamingPartner.outgoing_token_sealed: seal(
                    ctx.settings.secret_key, credentials.token
                ),
                RoamingPartner.versions_url: credentials.url,
                RoamingPartner.version: version,
                RoamingPartner.endpoints: msgspec.json.encode(endpoints).decode(),
                RoamingPartner.roles: msgspec.json.encode(credentials.roles).decode(),
                RoamingPartner.country_code: first.country_code.upper(),
                RoamingPartner.party_id: first.party_id.upper(),
                RoamingPartner.is_hub: any(r.role is Role.HUB for r in credentials.roles),
                RoamingPartner.last_error: "",
                RoamingPartner.registered_at: now,
                RoamingPartner.updated_at: now,
            }
        ).where(RoamingPartner.id == partner_id)
        await PartnerParty.delete().where(PartnerParty.partner == partner_id)
        for role in credentials.roles:
            await PartnerParty.insert(
                PartnerParty(
                    partner=partner_id,
                    operator=row["operator"],
                    role=role.role.value,
                    country_code=role.country_code.upper(),
                    party_id=role.party_id.upper(),
                )
            )


async def forget_credentials(ctx: Context, partner_id: int) -> None:
    """Unregistered: neither side's token works any more; pending pushes are dropped."""
    async with database.transaction():
        await RoamingPartner.update(
            {
                RoamingPartner.status: PartnerStatus.UNREGISTERED,
                RoamingPartner.incoming_token_hash: None,
                RoamingPartner.incoming_token_prefix: "",
                RoamingPartner.outgoing_token_sealed: "",
                RoamingPartner.updated_at: ctx.clock.now(),
            }
        ).where(RoamingPartner.id == partner_id)
        await PartnerParty.delete().where(PartnerParty.partner == partner_id)
        await RoamingPush.update(
            {RoamingPush.status: PushStatus.FAILED, RoamingPush.last_error: "unregistered"}
        ).where((RoamingPush.partner == partner_id) & (RoamingPush.status == PushStatus.PENDING))


async def unregister_by_partner(ctx: Context, partner: PartnerRef) -> None:
    if partner.status is not PartnerStatus.REGISTERED:
        raise not_allowed("not registered")
    await forget_credentials(ctx, partner.id)
    log.info("roaming partner %s (%s) unregistered", partner.id, partner.name)


# -- the handshake when we register with a partner ---------------------------------------


async def connect(
    ctx: Context,
    client: PartnerClient,
    operator_id: int,
    *,
    name: str,
    versions_url_of_partner: str,
    token_a: str,
) -> PartnerRef:
    """Register with a partner that gave us its versions URL and a token A."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput("a partner's name has 1 to 100 characters")
    if not versions_url_of_partner.startswith(("https://", "http://")):
        raise InvalidInput("the partner's versions URL must be an http(s) URL")
    if not token_a.strip():
        raise InvalidInput("the partner's registration token is missing")
    token_a = token_a.strip()
    party = await operator_party(operator_id)
    try:
        version, endpoints = await fetch_version(
            client, versions_url_of_partner, token_a, timeout_s=ctx.settings.ocpi_request_timeout_s
        )
    except OcpiError as error:
        raise Conflict(f"cannot use the partner's platform: {error.message}") from None
    offered = await offer(ctx, operator_id, name)
    # The partner reads our versions with token B while it handles our POST.
    token_b = offered.token
    partner = await get_partner(offered.partner_id)
    credentials_url = _credentials_url(endpoints)
    mine = our_credentials(ctx, party, token_b)
    try:
        reply = await client.call(
            "POST",
            credentials_url,
            token=token_a,
            body=mine,
            timeout_s=ctx.settings.ocpi_request_timeout_s,
        )
        expect_success(reply, "POST credentials")
        theirs = reply.decode(Credentials)
        _check_roles(theirs)
        # The partner may move its versions: read them again with the token it gave us.
        version, endpoints = await fetch_version(
            client, theirs.url, theirs.token, timeout_s=ctx.settings.ocpi_request_timeout_s
        )
    except (PartnerError, OcpiError) as error:
        message = error.message
        await _record_error(ctx, partner.id, message)
        raise Conflict(f"the partner refused the registration: {message}") from None
    await _store_registration(ctx, partner.id, theirs, version, endpoints, token_b)
    log.info("registered with roaming partner %s (%s)", partner.id, name)
    return await get_partner(partner.id)


async def rotate(ctx: Context, client: PartnerClient, operator_id: int, partner_id: int) -> None:
    """Give a registered partner a new token for calling us (PUT credentials)."""
    partner = await get_partner(partner_id, operator_id)
    if partner.status is not PartnerStatus.REGISTERED:
        raise Conflict("the partner is not registered")
    party = await operator_party(operator_id)
    new_token = new_credentials_token()
    url = _credentials_url(partner.endpoints)
    # The partner reads our versions with the new token while it handles the PUT: it works
    # from here on (and the old one is back should the partner refuse).
    old_hash = await _incoming_hash(partner_id)
    await _set_incoming(partner_id, new_token)
    try:
        reply = await client.call(
            "PUT",
            url,
            token=outgoing_token(ctx.settings.secret_key, partner),
            body=our_credentials(ctx, party, new_token),
            timeout_s=ctx.settings.ocpi_request_timeout_s,
        )
        expect_success(reply, "PUT credentials")
        theirs = reply.decode(Credentials)
        _check_roles(theirs)
        version, endpoints = await fetch_version(
            client, theirs.url, theirs.token, timeout_s=ctx.settings.ocpi_request_timeout_s
        )
    except (PartnerError, OcpiError) as error:
        await _restore_incoming(partner_id, old_hash)
        await _record_error(ctx, partner_id, error.message)
        raise Conflict(f"the partner refused the new credentials: {error.message}") from None
    await _store_registration(ctx, partner_id, theirs, version, endpoints, new_token)


async def disconnect(
    ctx: Context, client: PartnerClient, operator_id: int, partner_id: int
) -> None:
    """Unregister at the partner (DELETE credentials), then forget its credentials here.

    A partner that cannot be reached is disconnected here all the same: its token stops
    working, and the error is kept for the operator to see.
    """
    partner = await get_partner(partner_id, operator_id)
    if partner.status is PartnerStatus.REGISTERED:
        try:
            reply = await client.call(
                "DELETE",
                _credentials_url(partner.endpoints),
                token=outgoing_token(ctx.settings.secret_key, partner),
                timeout_s=ctx.settings.ocpi_request_timeout_s,
            )
            expect_success(reply, "DELETE credentials")
        except PartnerError as error:
            log.warning("unregistering at partner %s failed: %s", partner_id, error.message)
            await forget_credentials(ctx, partner_id)
            await _record_error(ctx, partner_id, error.message)
            return
    await forget_credentials(ctx, partner_id)


def _credentials_url(endpoints: tuple[Endpoint, ...]) -> str:
    for endpoint in endpoints:
        if endpoint.identifier == ModuleId.CREDENTIALS:
            return endpoint.url
    raise Conflict("the partner lists no credentials endpoint")


async def _incoming_hash(partner_id: int) -> str | None:
    row = (
        await RoamingPartner.select(RoamingPartner.incoming_token_hash)
        .where(RoamingPartner.id == partner_id)
        .first()
    )
    return None if row is None else row["incoming_token_hash"]


async def _set_incoming(partner_id: int, token: str) -> None:
    async with database.transaction():
        await RoamingPartner.update(
            {
                RoamingPartner.incoming_token_hash: token_hash(token),
                RoamingPartner.incoming_token_prefix: token[:8],
            }
        ).where(RoamingPartner.id == partner_id)


async def _restore_incoming(partner_id: int, hashed: str | None) -> None:
    async with database.transaction():
        await RoamingPartner.update({RoamingPartner.incoming_token_hash: hashed}).where(
            RoamingPartner.id == partner_id
        )


async def _record_error(ctx: Context, partner_id: int, message: str) -> None:
    async with database.transaction():
        await RoamingPartner.update(
            {RoamingPartner.last_error: message[:2000], RoamingPartner.updated_at: ctx.clock.now()}
        ).where(RoamingPartner.id == partner_id)
