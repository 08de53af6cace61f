"""Charge detail records: written when a session ends, numbered without gaps, never changed.

`issue_cdr` runs right after a StopTransaction is committed, and a sweeper (`tasks.py`)
issues whatever a crash in between left out: both are idempotent, so a session gets exactly
one original record however often they run.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

import msgspec

from cpo import database
from cpo.cdrs.enums import CdrKind
from cpo.cdrs.tables import Cdr, CdrSequence
from cpo.context import Context
from cpo.errors import Conflict, InvalidInput, NotFound
from cpo.operators.tables import Operator
from cpo.sessions import rules as session_rules
from cpo.sessions.enums import SessionState
from cpo.sessions.tables import ChargingSession, MeterSample
from cpo.tariffs.pricing import SessionUsage, UsagePoint, price_session
from cpo.tariffs.schemas import PriceBreakdown, PriceLine, TariffDefinition

log = logging.getLogger(__name__)


class SignedValue(msgspec.Struct, frozen=True):
    measured_at: datetime
    context: str
    value: str


class CdrView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    operator_id: int
    number: str
    kind: CdrKind
    corrects_id: int | None
    session_id: int
    receipt_token: str
    id_tag: str
    token_type: str
    contract_id: str
    issuer_country_code: str
    issuer_party_id: str
    station_identity: str
    evse_id: str
    site_name: str
    address: str
    time_zone: str
    started_at: datetime
    stopped_at: datetime
    meter_start_wh: int | None
    meter_stop_wh: int | None
    energy_wh: int
    duration_s: int
    charging_s: int
    parking_s: int
    currency: str
    vat_rate_bp: int
    amounts_include_vat: bool
    lines: tuple[PriceLine, ...]
    net_minor: int
    vat_minor: int
    gross_minor: int
    tariff_name: str
    tariff_version: int | None
    payment_reference: str
    signed_data: tuple[SignedValue, ...]
    reason: str
    created_at: datetime
    # The company cost centre the session was charged under ("" for none).
    cost_centre: str = ""


def view(row: dict[str, Any]) -> CdrView:
    return CdrView(
        id=row["id"],
        operator_id=row["operator"],
        number=row["number"],
        kind=CdrKind(row["kind"]),
        corrects_id=row["corrects"],
        session_id=row["session"],
        receipt_token=row["receipt_token"],
        id_tag=row["id_tag"],
        token_type=row["token_type"],
        contract_id=row["contract_id"],
        issuer_country_code=row["issuer_country_code"],
        issuer_party_id=row["issuer_party_id"],
        cost_centre=row["cost_centre"],
        station_identity=row["station_identity"],
        evse_id=row["evse_id"],
        site_name=row["site_name"],
        address=row["address"],
        time_zone=row["time_zone"],
        started_at=row["started_at"],
        stopped_at=row["stopped_at"],
        meter_start_wh=row["meter_start_wh"],
        meter_stop_wh=row["meter_stop_wh"],
        energy_wh=row["energy_wh"],
        duration_s=row["duration_s"],
        charging_s=row["charging_s"],
        parking_s=row["parking_s"],
        currency=row["currency"],
        vat_rate_bp=row["vat_rate_bp"],
        amounts_include_vat=bool(row["amounts_include_vat"]),
        lines=database.from_json_column(row["lines"], tuple[PriceLine, ...]),
        net_minor=row["net_minor"],
        vat_minor=row["vat_minor"],
        gross_minor=row["gross_minor"],
        tariff_name=row["tariff_name"],
        tariff_version=row["tariff_version"],
        payment_reference=row["payment_reference"],
        signed_data=database.from_json_column(row["signed_data"], tuple[SignedValue, ...]),
        reason=row["reason"],
        created_at=row["created_at"],
    )


async def issue_cdr(ctx: Context, session_id: int) -> CdrView | None:
    """The session's charge detail record, written now if it does not exist yet.

    None while the session runs or needs reconciliation (its energy is not known).
    """
    async with database.transaction():
        existing = await _original_of(session_id)
        if existing is not None:
            return existing
        session = await _session_facts(session_id)
        if (
            session is None
            or session["state"] != SessionState.COMPLETED
            or session["energy_wh"] is None
            or session["needs_reconciliation"]
        ):
            return None
        usage = await _usage(session)
        snapshot = session["tariff_snapshot"]
        if snapshot is not None:
            breakdown = price_session(
                database.from_json_column(snapshot, TariffDefinition), usage, session["time_zone"]
            )
        else:
            breakdown = _free(usage, session["operator.currency"])
        number = await _next_number(session["operator"], session["operator.party_id"])
        rows = await Cdr.insert(
            Cdr(
                operator=session["operator"],
                sequence=number[0],
                number=number[1],
                kind=CdrKind.SESSION,
                session=session_id,
                receipt_token=secrets.token_urlsafe(32),
                id_tag=session["id_tag"],
                token_type=session["id_token.type"] or "",
                contract_id=session["id_token.contract_id"] or "",
                issuer_country_code=session["id_token.issuer_country_code"] or "",
                issuer_party_id=session["id_token.issuer_party_id"] or "",
                cost_centre=session["id_token.cost_centre"] or "",
                station_identity=session["station.identity"],
                evse_id=session["evse.evse_id"] or "",
                site_name=session["station.site.name"] or "",
                address=_address(session),
                time_zone=session["time_zone"],
                started_at=session["started_at"] or session["stopped_at"],
                stopped_at=session["stopped_at"],
                meter_start_wh=session["meter_start_wh"],
                meter_stop_wh=session["meter_stop_wh"],
                **_amounts(breakdown),
                tariff_version=session["tariff_version"],
                tariff_name=session["tariff.name"] or "",
                tariff_snapshot=snapshot,
                signed_data=msgspec.json.encode(await _signed_values(session_id)).decode(),
                created_at=ctx.clock.now(),
            )
        ).returning(Cdr.id)
        cdr = await get_cdr(session["operator"], rows[0]["id"])
    log.info("CDR %s for session %s: %s %s", cdr.number, session_id, cdr.gross_minor, cdr.currency)
    return cdr


async def issue_cdr_quietly(ctx: Context, session_id: int) -> None:
    """After a stop: a failure here must not undo the stop; the sweeper tries again."""
    try:
        await issue_cdr(ctx, session_id)
    except Exception:  # logged, and retried by the sweeper
        log.exception("issuing the CDR of session %s failed; the sweeper will retry", session_id)


async def issue_missing_cdrs(ctx: Context, *, limit: int = 200) -> int:
    """Records for completed sessions that have none (e.g. a crash right after the stop)."""
    with_record = Cdr.select(Cdr.session).where(Cdr.kind == CdrKind.SESSION)
    rows = (
        await ChargingSession.select(ChargingSession.id)
        .where(
            (ChargingSession.state == SessionState.COMPLETED)
            & ChargingSession.energy_wh.is_not_null()
            & ChargingSession.needs_reconciliation.eq(False)
            & ChargingSession.id.not_in(with_record)
        )
        .order_by(ChargingSession.id)
        .limit(limit)
    )
    issued = 0
    for row in rows:
        if await issue_cdr(ctx, row["id"]) is not None:
            issued += 1
    return issued


async def get_cdr(operator_id: int, cdr_id: int) -> CdrView:
    row = await Cdr.select().where((Cdr.id == cdr_id) & (Cdr.operator == operator_id)).first()
    if row is None:
        raise NotFound(f"no charge detail record {cdr_id}")
    return view(row)


async def cdr_for_receipt(receipt_token: str) -> CdrView:
    if not 20 <= len(receipt_token) <= 64:
        raise NotFound("no such receipt")
    row = await Cdr.select().where(Cdr.receipt_token == receipt_token).first()
    if row is None:
        raise NotFound("no such receipt")
    return view(row)


async def cdr_of_session(session_id: int) -> CdrView | None:
    return await _original_of(session_id)


async def correct_cdr(
    ctx: Context,
    operator_id: int,
    cdr_id: int,
    *,
    reason: str,
    energy_wh: int | None = None,
) -> tuple[CdrView, CdrView | None]:
    """Cancel a record with a credit record and, given the right energy, replace it with a
    rebill priced under the same frozen tariff. The original stays as it was."""
    if not reason.strip():
        raise InvalidInput("say why the record is corrected")
    if energy_wh is not None and energy_wh < 0:
        raise InvalidInput("energy cannot be negative")
    async with database.transaction():
        original = await get_cdr(operator_id, cdr_id)
        if original.kind is CdrKind.CREDIT:
            raise Conflict("a credit record cannot be corrected")
        if await Cdr.exists().where((Cdr.corrects == cdr_id) & (Cdr.kind == CdrKind.CREDIT)):
            raise Conflict(f"record {original.number} was corrected already")
        row = await Cdr.select().where(Cdr.id == cdr_id).first()
        assert row is not None
        party = await Operator.select(Operator.party_id).where(Operator.id == operator_id).first()
        assert party is not None
        credit = _copy(row, ctx, reason)
        credit.update(
            kind=CdrKind.CREDIT,
            corrects=cdr_id,
            lines=msgspec.json.encode(
                [
                    msgspec.structs.replace(line, amount_minor=-line.amount_minor)
                    for line in original.lines
                ]
            ).decode(),
            net_minor=-original.net_minor,
            vat_minor=-original.vat_minor,
            gross_minor=-original.gross_minor,
        )
        credit_id = await _insert_copy(credit, operator_id, party["party_id"])
        rebill_id = None
        if energy_wh is not None:
            rebill = _copy(row, ctx, reason)
            usage = _rescaled(original, energy_wh)
            snapshot = row["tariff_snapshot"]
            breakdown = (
                price_session(
                    database.from_json_column(snapshot, TariffDefinition), usage, original.time_zone
                )
                if snapshot is not None
                else _free(usage, original.currency)
            )
            # The corrected energy did not come from the meter readings on the record.
            rebill.update(
                kind=CdrKind.REBILL,
                corrects=cdr_id,
                meter_start_wh=None,
                meter_stop_wh=None,
                **_amounts(breakdown),
            )
            rebill_id = await _insert_copy(rebill, operator_id, party["party_id"])
        credit_view = await get_cdr(operator_id, credit_id)
        rebill_view = None if rebill_id is None else await get_cdr(operator_id, rebill_id)
    return credit_view, rebill_view


def _copy(row: dict[str, Any], ctx: Context, reason: str) -> dict[str, Any]:
    copy = {key: value for key, value in row.items() if key not in {"id", "sequence", "number"}}
    copy.update(
        receipt_token=secrets.token_urlsafe(32), reason=reason.strip(), created_at=ctx.clock.now()
    )
    return copy


async def _insert_copy(values: dict[str, Any], operator_id: int, party_id: str) -> int:
    sequence, number = await _next_number(operator_id, party_id)
    rows = await Cdr.insert(Cdr(sequence=sequence, number=number, **values)).returning(Cdr.id)
    return int(rows[0]["id"])


def _rescaled(original: CdrView, energy_wh: int) -> SessionUsage:
    """The corrected energy, delivered over the same time (evenly, having no better data)."""
    return SessionUsage(
        original.started_at,
        original.stopped_at,
        (UsagePoint(original.stopped_at, energy_wh),),
    )


async def _original_of(session_id: int) -> CdrView | None:
    row = (
        await Cdr.select()
        .where((Cdr.session == session_id) & (Cdr.kind == CdrKind.SESSION))
        .first()
    )
    return None if row is None else view(row)


async def _session_facts(session_id: int) -> dict[str, Any] | None:
    row: dict[str, Any] | None = (
        await ChargingSession.select(
            *ChargingSession.all_columns(),
            ChargingSession.operator.currency,
            ChargingSession.operator.party_id,
            ChargingSession.station.identity,
            ChargingSession.station._.site._.name,
            ChargingSession.station._.site._.street,
            ChargingSession.station._.site._.postal_code,
            ChargingSession.station._.site._.city,
            ChargingSession.evse.evse_id,
            ChargingSession.id_token.type,
            ChargingSession.id_token.contract_id,
            ChargingSession.id_token.issuer_country_code,
            ChargingSession.id_token.issuer_party_id,
            ChargingSession.id_token.cost_centre,
            ChargingSession.tariff.name,
        )
        .where(ChargingSession.id == session_id)
        .first()
    )
    return row


def _address(session: dict[str, Any]) -> str:
    street = session["station.site.street"] or ""
    town = " ".join(
        part for part in (session["station.site.postal_code"], session["station.site.city"]) if part
    )
    return ", ".join(part for part in (street, town) if part)


async def _usage(session: dict[str, Any]) -> SessionUsage:
    """Energy readings of the session, relative to its start, ending at its stop reading."""
    meter_start = session["meter_start_wh"] or 0
    energy = session["energy_wh"]
    readings = await MeterSample.select(
        MeterSample.measured_at, MeterSample.value_normalized
    ).where(
        (MeterSample.session == session["id"])
        & (MeterSample.measurand == session_rules.ENERGY_REGISTER)
        & (MeterSample.phase == "")
        & MeterSample.location.is_in(["Outlet", "Body", "EV"])
        & (MeterSample.format == "Raw")
        & MeterSample.value_normalized.is_not_null()
    )
    started = session["started_at"] or session["stopped_at"]
    stopped = session["stopped_at"]
    points = [
        UsagePoint(
            reading["measured_at"],
            min(energy, max(0, round(reading["value_normalized"]) - meter_start)),
        )
        for reading in readings
        if started <= reading["measured_at"] <= stopped
    ]
    points.append(UsagePoint(stopped, energy))
    return SessionUsage(started, stopped, tuple(points))


async def _signed_values(session_id: int) -> list[SignedValue]:
    rows = (
        await MeterSample.select(MeterSample.measured_at, MeterSample.context, MeterSample.value)
        .where((MeterSample.session == session_id) & (MeterSample.format == "SignedData"))
        .order_by(MeterSample.measured_at)
    )
    return [SignedValue(row["measured_at"], row["context"], row["value"]) for row in rows]


def _free(usage: SessionUsage, currency: str) -> PriceBreakdown:
    """No tariff was assigned: the session is recorded with what it used, at no cost."""
    duration = usage.ended_at - usage.started_at
    return PriceBreakdown(
        currency=currency,
        vat_rate_bp=0,
        amounts_include_vat=True,
        lines=(),
        net_minor=0,
        vat_minor=0,
        gross_minor=0,
        energy_wh=usage.points[-1].energy_wh if usage.points else 0,
        charging_s=0,
        parking_s=0,
        duration_s=round(duration.total_seconds()),
    )


def _amounts(breakdown: PriceBreakdown) -> dict[str, Any]:
    return {
        "energy_wh": breakdown.energy_wh,
        "duration_s": breakdown.duration_s,
        "charging_s": breakdown.charging_s,
        "parking_s": breakdown.parking_s,
        "currency": breakdown.currency,
        "vat_rate_bp": breakdown.vat_rate_bp,
        "amounts_include_vat": breakdown.amounts_include_vat,
        "lines": msgspec.json.encode(breakdown.lines).decode(),
        "net_minor": breakdown.net_minor,
        "vat_minor": breakdown.vat_minor,
        "gross_minor": breakdown.gross_minor,
    }


NEXT_NUMBER = """
UPDATE cdr_sequences SET next_number = next_number + 1 WHERE operator = ?
RETURNING next_number - 1 AS number
"""
ENSURE_SEQUENCE = """
INSERT INTO cdr_sequences (operator, next_number) VALUES (?, 1)
ON CONFLICT (operator) DO NOTHING
"""


async def _next_number(operator_id: int, party_id: str) -> tuple[int, str]:
    """The operator's next CDR number, inside the caller's transaction (no gaps: a rolled
    back record gives its number back)."""
    await CdrSequence.raw(_braces(ENSURE_SEQUENCE), operator_id)
    rows = await CdrSequence.raw(_braces(NEXT_NUMBER), operator_id)
    sequence = int(rows[0]["number"])
    return sequence, f"{party_id or 'CDR'}-{sequence:08d}"


def _braces(statement: str) -> str:
    """Piccolo's raw queries take `{}` placeholders."""
    return statement.replace("?", "{}")
