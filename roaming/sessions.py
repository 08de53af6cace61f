"""Sessions and CDRs, Sender interface: a partner's sessions are pushed when they start,
every `ocpi_session_update_interval_s` while they charge, and when they end; the CDR is
pushed once it is issued. Partners may also GET them.

A charging session is a partner's when its token was authorized by that partner (or from
the partner's pushed copy): the recorded RoamingAuthorization is linked to the session and
remembers what the partner was sent. `track` does the linking and queues the pushes; it is
idempotent and runs after every session event and on a timer, so nothing is lost when a
node stops between two steps.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from cpo import database
from cpo.cdrs.enums import CdrKind
from cpo.cdrs.service import CdrView, cdr_of_session, get_cdr
from cpo.cdrs.tables import Cdr as CdrRow
from cpo.clock import as_utc
from cpo.context import Context
from cpo.partners.enums import PartnerStatus
from cpo.partners.tables import RoamingAuthorization
from cpo.sessions.enums import SessionState
from cpo.sessions.live import live_session
from cpo.sessions.tables import ChargingSession
from cpo.stations.tables import Connector, Site
from cpo.tariffs.schemas import LineType, TariffDefinition
from cpo.tokens.rules import normalize_uid
from roaming import edge, ids, pushes
from roaming.locations import geo, power_type
from roaming.partners import OperatorParty, PartnerRef, get_partner, operator_party
from roaming.schemas import (
    AuthMethod,
    Cdr,
    CdrDimension,
    CdrDimensionType,
    CdrLocation,
    CdrToken,
    ChargingPeriod,
    InterfaceRole,
    ModuleId,
    Price,
    Session,
    SessionStatus,
    SignedData,
    SignedValue,
    TokenType,
)
from roaming.tariffs import ocpi_tariff
from roaming.transport import OcpiError, PageRequest, Status, ocpi_time

log = logging.getLogger(__name__)

# How far back sessions are looked at for linking (a charger offline for days reports late).
LINK_WINDOW = timedelta(days=7)
# An authorization stands for a session that starts this long after it at most.
AUTHORIZATION_VALID_FOR = timedelta(minutes=15)
NATURE = {"Transaction.Begin": "Start", "Transaction.End": "End"}


# -- building the objects ----------------------------------------------------------------


def _token(auth: dict[str, Any]) -> CdrToken:
    try:
        kind = TokenType(auth["token_type"])
    except ValueError:
        kind = TokenType.OTHER
    return CdrToken(
        country_code=auth["country_code"],
        party_id=auth["party_id"],
        uid=auth["uid"],
        type=kind,
        contract_id=auth["contract_id"],
    )


async def _session_row(session_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = (
        await ChargingSession.select(
            *ChargingSession.all_columns(),
            ChargingSession.station.site,
            ChargingSession.station.meter_serial_number,
            ChargingSession.operator.currency,
        )
        .where(ChargingSession.id == session_id)
        .first()
    )
    assert row is not None
    return row


async def _connector_number(evse_pk: int | None) -> str:
    if evse_pk is None:
        return "1"
    row = (
        await Connector.select(Connector.connector_number)
        .where(Connector.evse == evse_pk)
        .order_by(Connector.connector_number)
        .first()
    )
    return str(row["connector_number"]) if row else "1"


async def ocpi_session(
    ctx: Context, party: OperatorParty, auth: dict[str, Any], cdr: CdrView | None = None
) -> Session:
    row = await _session_row(auth["session"])
    live = await live_session(ctx, row["id"])
    completed = live.state is SessionState.COMPLETED
    currency = row["operator.currency"]
    total = None
    if cdr is not None:
        currency = cdr.currency
        total = edge.price(cdr.net_minor, cdr.gross_minor, cdr.currency)
    elif live.cost is not None:
        currency = live.cost.currency
        total = edge.price(live.cost.net_minor, live.cost.gross_minor, live.cost.currency)
    started = row["started_at"] or row["created_at"]
    return Session(
        country_code=party.country_code,
        party_id=party.party_id,
        id=ids.session_id(row["id"]),
        start_date_time=ocpi_time(started),
        end_date_time=ocpi_time(row["stopped_at"]) if completed and row["stopped_at"] else None,
        kwh=edge.kwh(cdr.energy_wh if cdr is not None else live.energy_wh),
        cdr_token=_token(auth),
        auth_method=AuthMethod(auth["method"]),
        authorization_reference=auth["authorization_reference"] or None,
        location_id=ids.location_id(row["station.site"], row["station"]),
        evse_uid=ids.evse_uid(row["evse"]) if row["evse"] else f"C{row['ocpp_connector_id']}",
        connector_id=await _connector_number(row["evse"]),
        meter_id=row["station.meter_serial_number"] or None,
        currency=currency,
        total_cost=total,
        status=SessionStatus.COMPLETED if completed else SessionStatus.ACTIVE,
        last_updated=ocpi_time(live.at),
    )


def _cost(lines: dict[LineType, int], kinds: tuple[LineType, ...], cdr: CdrView) -> Price | None:
    amount = sum(lines.get(kind, 0) for kind in kinds)
    if not any(kind in lines for kind in kinds):
        return None
    net = edge.net_of(amount, cdr.vat_rate_bp, cdr.amounts_include_vat)
    gross = edge.gross_of(amount, cdr.vat_rate_bp, cdr.amounts_include_vat)
    return edge.price(net, gross, cdr.currency)


async def ocpi_cdr(party: OperatorParty, auth: dict[str, Any], cdr: CdrView) -> Cdr:
    row = await _session_row(cdr.session_id)
    site = await _site(row["station.site"])
    connector = await _connector(row["evse"])
    lines: dict[LineType, int] = {}
    for line in cdr.lines:
        lines[line.type] = lines.get(line.type, 0) + line.amount_minor
    snapshot = await CdrRow.select(CdrRow.tariff_snapshot).where(CdrRow.id == cdr.id).first()
    tariffs = []
    tariff_pk = row["tariff"]
    if snapshot and snapshot["tariff_snapshot"] is not None and tariff_pk is not None:
        definition = database.from_json_column(snapshot["tariff_snapshot"], TariffDefinition)
        tariffs.append(
            ocpi_tariff(
                party,
                tariff_pk=tariff_pk,
                kind=None,
                definition=definition,
                updated_at=cdr.started_at,
            )
        )
    dimensions = [CdrDimension(type=CdrDimensionType.ENERGY, volume=edge.kwh(cdr.energy_wh))]
    if cdr.charging_s:
        dimensions.append(
            CdrDimension(type=CdrDimensionType.TIME, volume=edge.hours(cdr.charging_s))
        )
    if cdr.parking_s:
        dimensions.append(
            CdrDimension(type=CdrDimensionType.PARKING_TIME, volume=edge.hours(cdr.parking_s))
        )
    coordinates = geo(site.get("latitude"), site.get("longitude"))
    if coordinates is None:
        raise OcpiError(Status.SERVER_ERROR, "the site of this session has no coordinates")
    return Cdr(
        country_code=party.country_code,
        party_id=party.party_id,
        id=cdr.number,
        start_date_time=ocpi_time(cdr.started_at),
        end_date_time=ocpi_time(cdr.stopped_at),
        session_id=ids.session_id(cdr.session_id),
        cdr_token=_token(auth),
        auth_method=AuthMethod(auth["method"]),
        authorization_reference=auth["authorization_reference"] or None,
        cdr_location=CdrLocation(
            id=ids.location_id(row["station.site"], row["station"]),
            name=(site.get("name") or "")[:255] or None,
            address=(site.get("street") or site.get("name") or "-")[:45],
            city=(site.get("city") or "-")[:45],
            postal_code=(site.get("postal_code") or "")[:10] or None,
            country=site.get("country") or "DEU",
            coordinates=coordinates,
            evse_uid=ids.evse_uid(row["evse"]) if row["evse"] else "0",
            evse_id=cdr.evse_id,
            connector_id=str(connector.get("connector_number", 1)),
            connector_standard=connector.get("standard", "IEC_62196_T2"),
            connector_format=connector.get("format", "SOCKET"),
            connector_power_type=power_type(
                connector.get("evse.current_type", "AC"), connector.get("evse.phases", 3)
            ),
        ),
        meter_id=row["station.meter_serial_number"] or None,
        currency=cdr.currency,
        tariffs=tariffs,
        charging_periods=[
            ChargingPeriod(
                start_date_time=ocpi_time(cdr.started_at),
                dimensions=dimensions,
                tariff_id=tariffs[0].id if tariffs else None,
            )
        ],
        signed_data=_signed(cdr),
        total_cost=edge.price(cdr.net_minor, cdr.gross_minor, cdr.currency),
        total_fixed_cost=_cost(lines, (LineType.FLAT,), cdr),
        total_energy=edge.kwh(cdr.energy_wh),
        total_energy_cost=_cost(lines, (LineType.ENERGY,), cdr),
        total_time=edge.hours(cdr.duration_s),
        total_time_cost=_cost(lines, (LineType.TIME,), cdr),
        total_parking_time=edge.hours(cdr.parking_s),
        total_parking_cost=_cost(lines, (LineType.PARKING_TIME,), cdr),
        credit=True if cdr.kind is CdrKind.CREDIT else None,
        credit_reference_id=await _number_of(cdr.corrects_id)
        if cdr.kind is CdrKind.CREDIT
        else None,
        remark=cdr.reason[:255] or None,
        last_updated=ocpi_time(cdr.created_at),
    )


def _signed(cdr: CdrView) -> SignedData | None:
    values = [
        SignedValue(
            nature=NATURE.get(value.context, "Intermediate"),
            plain_data="",
            signed_data=value.value[:5000],
        )
        for value in cdr.signed_data
    ]
    if not values:
        return None
    method = "OCMF" if all(v.signed_data.startswith("OCMF|") for v in values) else "UNKNOWN"
    return SignedData(encoding_method=method, signed_values=values)


async def _number_of(cdr_id: int | None) -> str | None:
    if cdr_id is None:
        return None
    row = await CdrRow.select(CdrRow.number).where(CdrRow.id == cdr_id).first()
    return None if row is None else str(row["number"])


async def _site(site_id: int | None) -> dict[str, Any]:
    if site_id is None:
        return {}
    row: dict[str, Any] | None = await Site.select().where(Site.id == site_id).first()
    return row or {}


async def _connector(evse_pk: int | None) -> dict[str, Any]:
    if evse_pk is None:
        return {}
    row: dict[str, Any] | None = (
        await Connector.select(
            *Connector.all_columns(), Connector.evse.current_type, Connector.evse.phases
        )
        .where(Connector.evse == evse_pk)
        .order_by(Connector.connector_number)
        .first()
    )
    return row or {}


# -- tracking and pushing ----------------------------------------------------------------


async def link_sessions(ctx: Context) -> int:
    """Give every new session of a partner's token its recorded authorization."""
    since = ctx.clock.now() - LINK_WINDOW
    linked = RoamingAuthorization.select(RoamingAuthorization.session).where(
        RoamingAuthorization.session.is_not_null()
    )
    rows = await ChargingSession.select(
        ChargingSession.id,
        ChargingSession.operator,
        ChargingSession.id_tag,
        ChargingSession.start_received_at,
        ChargingSession.created_at,
        ChargingSession.station.identity,
    ).where(
        (ChargingSession.id_token.issuer_country_code != "")
        & (ChargingSession.created_at >= since)
        & (ChargingSession.start_key.is_not_null())
        & ChargingSession.id.not_in(linked)
    )
    count = 0
    for row in rows:
        started = row["start_received_at"] or row["created_at"]
        async with database.transaction():
            auth = (
                await RoamingAuthorization.select(RoamingAuthorization.id)
                .where(
                    (RoamingAuthorization.operator == row["operator"])
                    & (RoamingAuthorization.uid_normalized == normalize_uid(row["id_tag"]))
                    & (RoamingAuthorization.station_identity == row["station.identity"])
                    & RoamingAuthorization.session.is_null()
                    & (RoamingAuthorization.decided_at <= started + timedelta(seconds=5))
                    & (RoamingAuthorization.decided_at >= started - AUTHORIZATION_VALID_FOR)
                )
                .order_by(RoamingAuthorization.decided_at, ascending=False)
                .first()
            )
            if auth is None:
                continue
            await RoamingAuthorization.update({RoamingAuthorization.session: row["id"]}).where(
                RoamingAuthorization.id == auth["id"]
            )
            count += 1
    return count


async def queue_pushes(ctx: Context) -> int:
    """Queue what partners have not been told yet about their sessions and CDRs."""
    now = ctx.clock.now()
    refresh_before = now - timedelta(seconds=ctx.settings.ocpi_session_update_interval_s)
    rows = await RoamingAuthorization.select(
        *RoamingAuthorization.all_columns(),
        RoamingAuthorization.session.state,
        RoamingAuthorization.session.last_sample_at,
        RoamingAuthorization.partner.status,
    ).where(
        RoamingAuthorization.session.is_not_null()
        & (RoamingAuthorization.cdr_queued.eq(False))
        & (RoamingAuthorization.partner.status == PartnerStatus.REGISTERED)
    )
    queued = 0
    for auth in rows:
        state = auth["session.state"]
        due = state != auth["pushed_session_state"] or (
            state == SessionState.ACTIVE
            and auth["pushed_session_at"] is not None
            and as_utc(auth["pushed_session_at"]) <= refresh_before
            and auth["session.last_sample_at"] is not None
            and as_utc(auth["session.last_sample_at"]) > as_utc(auth["pushed_session_at"])
        )
        cdr = await cdr_of_session(auth["session"]) if state == SessionState.COMPLETED else None
        if not due and cdr is None:
            continue
        partner = await get_partner(auth["partner"])
        party = await operator_party(partner.operator_id)
        queued += await _queue(ctx, party, partner, auth, due=due, cdr=cdr)
    return queued


async def _queue(
    ctx: Context,
    party: OperatorParty,
    partner: PartnerRef,
    auth: dict[str, Any],
    *,
    due: bool,
    cdr: CdrView | None,
) -> int:
    sessions_url = partner.endpoint(ModuleId.SESSIONS, InterfaceRole.RECEIVER)
    cdrs_url = partner.endpoint(ModuleId.CDRS, InterfaceRole.RECEIVER)
    session = await ocpi_session(ctx, party, auth, cdr) if due else None
    cdr_object = await ocpi_cdr(party, auth, cdr) if cdr is not None else None
    count = 0
    changes: dict[Any, Any] = {}
    async with database.transaction():
        if session is not None:
            if sessions_url:
                await pushes.enqueue(
                    ctx,
                    partner.id,
                    module=ModuleId.SESSIONS.value,
                    object_key=f"session:{auth['session']}",
                    to_country_code=auth["country_code"],
                    to_party_id=auth["party_id"],
                    method="PUT",
                    url=f"{sessions_url.rstrip('/')}/{party.country_code}/{party.party_id}/"
                    f"{session.id}",
                    body=session,
                )
                count += 1
            changes[RoamingAuthorization.pushed_session_state] = auth["session.state"]
            changes[RoamingAuthorization.pushed_session_at] = ctx.clock.now()
        if cdr_object is not None:
            # Claimed first: with several nodes tracking, one of them sends the CDR.
            claimed = (
                await RoamingAuthorization.update(
                    {
                        RoamingAuthorization.cdr_queued: True,
                        RoamingAuthorization.last_queued_cdr: cdr.id if cdr else 0,
                    }
                )
                .where(
                    (RoamingAuthorization.id == auth["id"])
                    & RoamingAuthorization.cdr_queued.eq(False)
                )
                .returning(RoamingAuthorization.id)
            )
            if claimed and cdrs_url:
                # After the session's last PUT: same object key, so it goes out after it.
                await pushes.enqueue(
                    ctx,
                    partner.id,
                    module=ModuleId.CDRS.value,
                    object_key=f"session:{auth['session']}",
                    to_country_code=auth["country_code"],
                    to_party_id=auth["party_id"],
                    method="POST",
                    url=cdrs_url,
                    body=cdr_object,
                )
                count += 1
        if changes:
            await RoamingAuthorization.update(changes).where(RoamingAuthorization.id == auth["id"])
    return count


async def queue_corrections(ctx: Context) -> int:
    """Credit and rebill records of a partner's session go to the partner too (in order,
    after the original): a credit CDR cancels the original, a rebill replaces it."""
    sent = RoamingAuthorization.select(RoamingAuthorization.session).where(
        RoamingAuthorization.cdr_queued.eq(True)
    )
    rows = (
        await CdrRow.select(CdrRow.id, CdrRow.session, CdrRow.operator)
        .where((CdrRow.kind != CdrKind.SESSION) & CdrRow.session.is_in(sent))
        .order_by(CdrRow.id)
    )
    queued = 0
    for row in rows:
        auth = (
            await RoamingAuthorization.select(
                *RoamingAuthorization.all_columns(), RoamingAuthorization.partner.status
            )
            .where(RoamingAuthorization.session == row["session"])
            .first()
        )
        if (
            auth is None
            or auth["last_queued_cdr"] >= row["id"]
            or auth["partner.status"] != PartnerStatus.REGISTERED
        ):
            continue
        partner = await get_partner(auth["partner"])
        party = await operator_party(partner.operator_id)
        record = await get_cdr(row["operator"], row["id"])
        cdr = await ocpi_cdr(party, auth, record)
        url = partner.endpoint(ModuleId.CDRS, InterfaceRole.RECEIVER)
        async with database.transaction():
            claimed = (
                await RoamingAuthorization.update({RoamingAuthorization.last_queued_cdr: row["id"]})
                .where(
                    (RoamingAuthorization.id == auth["id"])
                    & (RoamingAuthorization.last_queued_cdr < row["id"])
                )
                .returning(RoamingAuthorization.id)
            )
            if claimed and url:
                await pushes.enqueue(
                    ctx,
                    partner.id,
                    module=ModuleId.CDRS.value,
                    object_key=f"session:{row['session']}",
                    to_country_code=auth["country_code"],
                    to_party_id=auth["party_id"],
                    method="POST",
                    url=url,
                    body=cdr,
                )
                queued += 1
    return queued


async def track(ctx: Context) -> int:
    await link_sessions(ctx)
    return await queue_pushes(ctx) + await queue_corrections(ctx)


# -- GET for partners --------------------------------------------------------------------


def _window(page: PageRequest, column: Any) -> Any:
    condition: Any = None
    if page.date_from is not None:
        condition = column >= page.date_from
    if page.date_to is not None:
        upper = column < page.date_to
        condition = upper if condition is None else condition & upper
    return condition


async def list_sessions(
    ctx: Context, partner: PartnerRef, page: PageRequest
) -> tuple[list[Session], int]:
    """The partner's sessions whose last change (start, stop, meter) is in the window."""
    party = await operator_party(partner.operator_id)
    rows = (
        await RoamingAuthorization.select(
            *RoamingAuthorization.all_columns(),
            RoamingAuthorization.session.started_at,
            RoamingAuthorization.session.stopped_at,
            RoamingAuthorization.session.last_sample_at,
            RoamingAuthorization.session.created_at,
        )
        .where(
            (RoamingAuthorization.partner == partner.id)
            & RoamingAuthorization.session.is_not_null()
        )
        .order_by(RoamingAuthorization.session)
    )

    def changed(row: dict[str, Any]) -> datetime:
        moments = [
            row[f"session.{name}"]
            for name in ("created_at", "started_at", "stopped_at", "last_sample_at")
            if row[f"session.{name}"] is not None
        ]
        return max(as_utc(m) for m in moments)

    if page.date_from is not None:
        rows = [row for row in rows if changed(row) >= page.date_from]
    if page.date_to is not None:
        rows = [row for row in rows if changed(row) < page.date_to]
    selected = rows[page.offset : page.offset + page.limit]
    return [await ocpi_session(ctx, party, row) for row in selected], len(rows)


async def list_cdrs(partner: PartnerRef, page: PageRequest) -> tuple[list[Cdr], int]:
    """The partner's CDRs created in the window."""
    party = await operator_party(partner.operator_id)
    auths = await RoamingAuthorization.select().where(
        (RoamingAuthorization.partner == partner.id) & RoamingAuthorization.session.is_not_null()
    )
    by_session = {row["session"]: row for row in auths}
    if not by_session:
        return [], 0
    condition: Any = CdrRow.session.is_in(list(by_session))
    window = _window(page, CdrRow.created_at)
    if window is not None:
        condition &= window
    total = await CdrRow.count().where(condition)
    rows = (
        await CdrRow.select(CdrRow.id, CdrRow.session)
        .where(condition)
        .order_by(CdrRow.id)
        .offset(page.offset)
        .limit(page.limit)
    )
    cdrs = []
    for row in rows:
        view = await get_cdr(partner.operator_id, row["id"])
        cdrs.append(await ocpi_cdr(party, by_session[row["session"]], view))
    return cdrs, total
