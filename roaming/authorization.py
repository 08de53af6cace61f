"""Authorizing partners' tokens at our stations: the `RoamingAuthorizer` port of the core.

Rules (OCPI 2.2.1 WhitelistType), for a token the partner pushed to us:
- ALWAYS, ALLOWED: our copy decides (valid → Accepted, invalidated → Blocked).
- ALLOWED_OFFLINE: the partner decides in real time; when it cannot be reached in
  `ocpi_authorize_timeout_s`, a valid token is accepted.
- NEVER: the partner decides in real time; no answer → Invalid.
A token nobody pushed is asked about at every registered partner that offers real-time
authorization; the first that knows it decides.

Every Accepted verdict is recorded (RoamingAuthorization): it names the partner a session
belongs to and the authorization_reference its session and CDR carry. Verdicts are also
kept briefly in memory, so that a StartTransaction right after the Authorize does not ask
the partner twice (and never waits on the network inside its transaction).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cpo import database
from cpo.clock import Clock
from cpo.partners.enums import AuthorizationMethod, PartnerStatus, Whitelist
from cpo.partners.tables import PartnerToken, RoamingAuthorization, RoamingPartner
from cpo.ports import RoamingTokenAnswer
from cpo.settings import Settings
from cpo.stations.schemas import StationRef
from cpo.stations.tables import ChargeStation, Evse
from cpo.tokens.enums import AuthorizationStatus
from cpo.tokens.enums import TokenType as CoreTokenType
from roaming import ids
from roaming.client import PartnerClient
from roaming.partners import PartnerRef, get_partner, operator_party, outgoing_token, routing
from roaming.schemas import (
    AllowedType,
    AuthorizationInfo,
    InterfaceRole,
    LocationReferences,
    ModuleId,
)
from roaming.transport import PartnerError, Status

log = logging.getLogger(__name__)

# A verdict is reused for this long by the decision inside a StartTransaction…
REUSE_ANY_S = 120.0
# …and an Accepted one this long when a charger asks again (Authorize, then Start).
REUSE_ACCEPTED_S = 60.0
# A recorded Accepted verdict stands for a StartTransaction this long (other nodes, restarts).
RECORDED_VERDICT_STANDS = timedelta(minutes=15)

WHITELISTED = {Whitelist.ALWAYS, Whitelist.ALLOWED}
ALLOWED_TO_STATUS = {
    AllowedType.ALLOWED: AuthorizationStatus.ACCEPTED,
    AllowedType.BLOCKED: AuthorizationStatus.BLOCKED,
    AllowedType.EXPIRED: AuthorizationStatus.EXPIRED,
    # OCPP 1.6 knows no "no credit"; the driver may not charge, the card is not unknown.
    AllowedType.NO_CREDIT: AuthorizationStatus.BLOCKED,
    AllowedType.NOT_ALLOWED: AuthorizationStatus.INVALID,
}


@dataclass(frozen=True, slots=True)
class _Verdict:
    answer: RoamingTokenAnswer | None
    at: float


@dataclass(frozen=True, slots=True)
class _Known:
    """A partner's verdict on a token, with what the record of an Accepted one needs."""

    partner: PartnerRef
    answer: RoamingTokenAnswer
    uid: str
    reference: str
    method: AuthorizationMethod


class _Unknown:
    """A partner's answer that it does not know the token."""


UNKNOWN = _Unknown()


class PartnerAuthorizer:
    def __init__(self, settings: Settings, clock: Clock, client: PartnerClient) -> None:
        self.settings = settings
        self.clock = clock
        self.client = client
        self._verdicts: dict[tuple[int, str, str], _Verdict] = {}

    async def authorize(
        self, station: StationRef, uid: str, *, ask_partner: bool = True
    ) -> RoamingTokenAnswer | None:
        # Verdicts are per station: a partner may allow a card at one location and not another.
        key = (station.operator_id, station.identity, uid)
        # A partner's START_SESSION is its authorization: nothing to ask, nothing to cache.
        commanded = await self._recorded(station, uid, AuthorizationMethod.COMMAND)
        if commanded is not None:
            return commanded.answer
        pushed = await self._pushed_token(station.operator_id, uid)
        if pushed is not None and Whitelist(pushed["whitelist"]) in WHITELISTED:
            # Our copy decides, as it is now (a token invalidated a second ago is refused).
            copy = await self._from_copy(pushed)
            if copy.answer.status is AuthorizationStatus.ACCEPTED:
                await self._record(station, uid, copy)
            return copy.answer
        cached = self._verdicts.get(key)
        age = time.monotonic() - cached.at if cached else None
        if cached is not None and age is not None:
            if not ask_partner and age <= REUSE_ANY_S:
                return cached.answer
            if (
                age <= REUSE_ACCEPTED_S
                and cached.answer is not None
                and cached.answer.status is AuthorizationStatus.ACCEPTED
            ):
                return cached.answer
        known = await self._decide(station, uid, pushed, ask_partner=ask_partner)
        answer = None if known is None else known.answer
        if known is not None and known.answer.status is AuthorizationStatus.ACCEPTED:
            await self._record(station, uid, known)
        self._remember(key, answer)
        return answer

    def _remember(self, key: tuple[int, str, str], answer: RoamingTokenAnswer | None) -> None:
        now = time.monotonic()
        if len(self._verdicts) > 10_000:
            self._verdicts = {k: v for k, v in self._verdicts.items() if now - v.at <= REUSE_ANY_S}
        self._verdicts[key] = _Verdict(answer, now)

    async def _from_copy(self, pushed: dict[str, Any]) -> _Known:
        partner = await get_partner(pushed["partner"])
        answer = _answer_from_token(pushed, _local_status(pushed))
        return _Known(partner, answer, pushed["uid"], "", AuthorizationMethod.WHITELIST)

    async def _decide(
        self, station: StationRef, uid: str, pushed: dict[str, Any] | None, *, ask_partner: bool
    ) -> _Known | None:
        """The verdict for a token the partner must be asked about (or that nobody pushed)."""
        if pushed is None:
            if not ask_partner:
                return await self._recorded(station, uid)
            return await self._ask_everyone(station, uid)
        partner = await get_partner(pushed["partner"])
        whitelist = Whitelist(pushed["whitelist"])
        answer = _answer_from_token(pushed, _local_status(pushed))
        if not ask_partner:
            recorded = await self._recorded(station, uid)
            if recorded is not None:
                return recorded
        else:
            asked = await self._ask(
                partner,
                station,
                pushed["uid"],
                pushed["type"],
                to=(pushed["country_code"], pushed["party_id"]),
            )
            if isinstance(asked, _Known):
                return asked
            if asked is UNKNOWN:
                # The partner disowns a token it pushed: not to be used.
                refused = _answer_from_token(pushed, AuthorizationStatus.INVALID)
                return _Known(partner, refused, pushed["uid"], "", AuthorizationMethod.AUTH_REQUEST)
        # The partner could not be asked, or did not answer in time.
        if whitelist is Whitelist.ALLOWED_OFFLINE:
            return _Known(partner, answer, pushed["uid"], "", AuthorizationMethod.WHITELIST)
        refused = _answer_from_token(pushed, AuthorizationStatus.INVALID)
        return _Known(partner, refused, pushed["uid"], "", AuthorizationMethod.AUTH_REQUEST)

    async def _pushed_token(self, operator_id: int, uid: str) -> dict[str, Any] | None:
        rows = (
            await PartnerToken.select(*PartnerToken.all_columns(), PartnerToken.partner.status)
            .where((PartnerToken.operator == operator_id) & (PartnerToken.uid_normalized == uid))
            .order_by(PartnerToken.last_updated, ascending=False)
        )
        live = [row for row in rows if row["partner.status"] == PartnerStatus.REGISTERED]
        # An RFID reader presents RFID tokens; other kinds come by command or app.
        live.sort(key=lambda row: row["type"] != "RFID")
        return live[0] if live else None

    async def _recorded(
        self, station: StationRef, uid: str, method: AuthorizationMethod | None = None
    ) -> _Known | None:
        """A recent Accepted verdict for this token at this station (another node's, say)."""
        since = self.clock.now() - RECORDED_VERDICT_STANDS
        condition: Any = (
            (RoamingAuthorization.operator == station.operator_id)
            & (RoamingAuthorization.uid_normalized == uid)
            & (RoamingAuthorization.station_identity == station.identity)
            & (RoamingAuthorization.decided_at >= since)
            & RoamingAuthorization.session.is_null()
        )
        if method is not None:
            condition &= RoamingAuthorization.method == method
        row = (
            await RoamingAuthorization.select()
            .where(condition)
            .order_by(RoamingAuthorization.id, ascending=False)
            .first()
        )
        if row is None:
            return None
        partner = await get_partner(row["partner"])
        if partner.status is not PartnerStatus.REGISTERED:
            return None
        answer = RoamingTokenAnswer(
            status=AuthorizationStatus.ACCEPTED,
            issuer_country_code=row["country_code"],
            issuer_party_id=row["party_id"],
            token_type=_core_type(row["token_type"]),
            contract_id=row["contract_id"],
        )
        return _Known(
            partner,
            answer,
            row["uid"],
            row["authorization_reference"],
            AuthorizationMethod(row["method"]),
        )

    async def _ask_everyone(self, station: StationRef, uid: str) -> _Known | None:
        rows = await RoamingPartner.select(RoamingPartner.id).where(
            (RoamingPartner.operator == station.operator_id)
            & (RoamingPartner.status == PartnerStatus.REGISTERED)
        )
        partners = [await get_partner(row["id"]) for row in rows]
        askable = [
            p for p in partners if p.endpoint(ModuleId.TOKENS, InterfaceRole.SENDER) is not None
        ]
        if not askable:
            return None
        answers = await asyncio.gather(
            *(self._ask(partner, station, uid, "RFID") for partner in askable)
        )
        known = [answer for answer in answers if isinstance(answer, _Known)]
        for candidate in known:
            if candidate.answer.status is AuthorizationStatus.ACCEPTED:
                return candidate
        return known[0] if known else None

    async def _ask(
        self,
        partner: PartnerRef,
        station: StationRef,
        uid: str,
        kind: str,
        *,
        to: tuple[str, str] = ("", ""),
    ) -> _Known | _Unknown | None:
        """Real-time authorization at the partner: its verdict, UNKNOWN when it does not know
        the token, None when it did not answer usefully (in time)."""
        url = partner.endpoint(ModuleId.TOKENS, InterfaceRole.SENDER)
        if url is None:
            return None
        party = await operator_party(partner.operator_id)
        try:
            reply = await self.client.call(
                "POST",
                f"{url.rstrip('/')}/{uid}/authorize?type={kind}",
                token=outgoing_token(self.settings.secret_key, partner),
                body=await _location_references(station),
                routing=routing(party, partner, *to),
                timeout_s=self.settings.ocpi_authorize_timeout_s,
            )
        except PartnerError as error:
            log.warning("real-time authorization at partner %s failed: %s", partner.id, error)
            return None
        if reply.http_status == 404 or reply.status_code == Status.UNKNOWN_TOKEN:
            return UNKNOWN
        if reply.http_status != 200 or reply.status_code != Status.SUCCESS:
            log.warning(
                "partner %s answered the authorization with HTTP %s, OCPI %s",
                partner.id,
                reply.http_status,
                reply.status_code,
            )
            return None
        try:
            info = reply.decode(AuthorizationInfo)
        except PartnerError as error:
            log.warning("partner %s: %s", partner.id, error)
            return None
        token = info.token
        if not partner.is_hub and not partner.speaks_for(token.country_code, token.party_id):
            log.warning("partner %s authorized a token of another party", partner.id)
            return None
        answer = RoamingTokenAnswer(
            status=ALLOWED_TO_STATUS[info.allowed],
            issuer_country_code=token.country_code.upper(),
            issuer_party_id=token.party_id.upper(),
            token_type=_core_type(token.type.value),
            contract_id=token.contract_id,
            group_id=token.group_id,
        )
        return _Known(
            partner,
            answer,
            token.uid,
            info.authorization_reference or "",
            AuthorizationMethod.AUTH_REQUEST,
        )

    async def _record(self, station: StationRef, uid: str, known: _Known) -> None:
        # The same verdict again (a card held twice, a verdict read back from the records)
        # is not recorded twice; a new reference from the partner is.
        recorded = await self._recorded(station, uid)
        if (
            recorded is not None
            and recorded.partner.id == known.partner.id
            and recorded.method is known.method
            and recorded.reference == known.reference
        ):
            return
        async with database.transaction():
            await RoamingAuthorization.insert(
                RoamingAuthorization(
                    operator=station.operator_id,
                    partner=known.partner.id,
                    uid_normalized=uid,
                    station_identity=station.identity,
                    country_code=known.answer.issuer_country_code,
                    party_id=known.answer.issuer_party_id,
                    uid=known.uid,
                    token_type=known.answer.token_type.value,
                    contract_id=known.answer.contract_id,
                    authorization_reference=known.reference,
                    method=known.method,
                    decided_at=self.clock.now(),
                )
            )


def _local_status(row: dict[str, Any]) -> AuthorizationStatus:
    return AuthorizationStatus.ACCEPTED if row["valid"] else AuthorizationStatus.BLOCKED


def _core_type(value: str) -> CoreTokenType:
    try:
        return CoreTokenType(value)
    except ValueError:
        return CoreTokenType.OTHER


def _answer_from_token(row: dict[str, Any], status: AuthorizationStatus) -> RoamingTokenAnswer:
    return RoamingTokenAnswer(
        status=status,
        issuer_country_code=row["country_code"],
        issuer_party_id=row["party_id"],
        token_type=_core_type(row["type"]),
        contract_id=row["contract_id"],
        group_id=row["group_id"],
    )


async def _location_references(station: StationRef) -> LocationReferences:
    row = (
        await ChargeStation.select(ChargeStation.site)
        .where(ChargeStation.id == station.station_id)
        .first()
    )
    site = None if row is None else row["site"]
    evses = await Evse.select(Evse.id).where(Evse.station == station.station_id).order_by(Evse.id)
    return LocationReferences(
        location_id=ids.location_id(site, station.station_id),
        evse_uids=[ids.evse_uid(evse["id"]) for evse in evses],
    )
