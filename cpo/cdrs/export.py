"""Charge detail records for accounting and billing systems: a CSV export of a period, and
the same records as a cursor-paged feed.

Both read one operator's records in the order of their numbers (`Cdr.sequence`), a batch
at a time, with keyset pagination (`sequence > last one seen`), never an offset and never
all rows at once: the export of a million records needs the memory of one batch.

Why the number and not the stop time or the id: a record's number is taken under a row lock
on the operator's counter inside the transaction that writes the record (see
`cdrs.service._next_number`), so numbers become visible in increasing order without gaps.
A reader that has seen number n will see every later record after n, and none before it —
also a credit or rebill written today for a session that stopped last month, which a cursor
on `(stopped_at, id)` would place behind the reader and lose. So a walk over the pages
returns every record exactly once while new ones are being written.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo

import msgspec
from piccolo.query.functions.aggregate import Max, Min

from cpo.cdrs.enums import CdrKind
from cpo.cdrs.service import CdrView, SignedValue, view
from cpo.cdrs.tables import Cdr
from cpo.errors import InvalidInput, InvalidPeriod
from cpo.money import minor_digits
from cpo.spreadsheets import defused, take
from cpo.tariffs.schemas import LineType, PriceLine

EXPORT_BATCH_SIZE: Final = 1000  # rows per query of the CSV export
DEFAULT_PAGE_SIZE: Final = 100
MAX_PAGE_SIZE: Final = 1000
RECEIPT_PATH: Final = "/r/"  # the receipt page: <base URL>/r/<receipt token>


class Period(msgspec.Struct, frozen=True):
    """[starts_at, ends_at) of the records' stop times, in UTC; an open end when None.

    Only `period()` makes one, so an export never starts with a period it cannot mean.
    """

    starts_at: datetime | None = None
    ends_at: datetime | None = None


def period(date_from: datetime | None, date_to: datetime | None) -> Period:
    """The period from what a caller sent, checked before any row is read or streamed.

    A time without an offset is refused rather than guessed: "1 November 00:00" starts an
    hour apart in Berlin and in UTC, and the guess would silently move records between
    months.
    """
    for name, moment in (("date_from", date_from), ("date_to", date_to)):
        if moment is not None and moment.utcoffset() is None:
            raise InvalidPeriod(
                f"{name} needs a UTC offset, e.g. 2026-11-01T00:00:00+01:00 or 2026-11-01T00:00:00Z"
            )
    if date_from is not None and date_to is not None and date_from >= date_to:
        raise InvalidPeriod(
            "date_from must be before date_to: the period is [date_from, date_to), "
            "by the time the charging session stopped"
        )
    return Period(
        None if date_from is None else date_from.astimezone(UTC),
        None if date_to is None else date_to.astimezone(UTC),
    )


# Cursors --------------------------------------------------------------------------------

_CURSOR_PREFIX: Final = "cdr1:"  # the format's version: a later format can tell old cursors


def encode_cursor(sequence: int) -> str:
    """An opaque token for "after the record numbered `sequence`"."""
    raw = f"{_CURSOR_PREFIX}{sequence}".encode("ascii")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> int:
    """The record number a cursor stands for; InvalidInput for anything we did not make."""
    refused = InvalidInput(
        "the cursor is not one this API handed out; start again without a cursor",
        code="invalid_cursor",
    )
    if not 1 <= len(cursor) <= 64:
        raise refused
    try:
        text = base64.b64decode(
            cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True
        ).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise refused from None
    digits = text.removeprefix(_CURSOR_PREFIX)
    if digits == text or not digits.isascii() or not digits.isdigit() or len(digits) > 18:
        raise refused
    return int(digits)


# The feed (JSON) ------------------------------------------------------------------------


class CdrRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A record as the admin API hands it out: `CdrView` with the receipt's link instead of
    its bare token.

    The link is included because an operator's billing system may send it to the driver; it
    shows nothing the operator does not see anyway. It stays out of the CSV, which ends up in
    mail attachments and shared spreadsheets where a working link to every receipt has no
    business.
    """

    id: int
    operator_id: int
    number: str
    kind: CdrKind
    corrects_id: int | None
    session_id: int
    receipt_url: str
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
    cost_centre: str = ""


def record(cdr: CdrView, base_url: str) -> CdrRecord:
    fields = msgspec.structs.asdict(cdr)
    token = fields.pop("receipt_token")
    return CdrRecord(**fields, receipt_url=f"{base_url.rstrip('/')}{RECEIPT_PATH}{token}")


class CdrPage(msgspec.Struct, frozen=True, kw_only=True):
    items: tuple[CdrRecord, ...]
    # Where the next page starts; null when this page reached the last record.
    next_cursor: str | None
    # Where to ask again later for records written since: never null, so that a billing
    # system that reached the end keeps its place (store it, poll with it).
    resume_cursor: str


async def cdr_page(
    operator_id: int,
    chosen: Period,
    *,
    base_url: str,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> CdrPage:
    """One page of the operator's records in the period, in number order, after `cursor`."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}")
    after = 0 if cursor is None else decode_cursor(cursor)
    # One row more than asked tells whether another page follows without a second query.
    rows = await _batch(
        Cdr.all_columns(exclude=[Cdr.tariff_snapshot]), operator_id, chosen, after, limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1]["sequence"] if rows else after
    return CdrPage(
        items=tuple(record(view(row), base_url) for row in rows),
        next_cursor=encode_cursor(last) if more else None,
        resume_cursor=encode_cursor(last),
    )


async def _batch(
    columns: list[Any],
    operator_id: int,
    chosen: Period,
    after: int,
    limit: int,
    *,
    through: int | None = None,
) -> list[dict[str, Any]]:
    """The operator's records numbered after `after` (and up to `through`) whose stop lies
    in the period, in number order.

    The number range walks the unique index on (operator, sequence); the stop-time bounds
    are a filter on top. A page therefore costs the records it skips on the way: few inside
    a period, and once per walk those numbered before or after it (see docs/cdr-export.md).
    """
    where: Any = (Cdr.operator == operator_id) & (Cdr.sequence > after)
    if through is not None:
        where &= Cdr.sequence <= through
    where = _in_period(where, chosen)
    rows: list[dict[str, Any]] = (
        await Cdr.select(*columns).where(where).order_by(Cdr.sequence).limit(limit)
    )
    return rows


def _in_period(condition: Any, chosen: Period) -> Any:
    """`condition`, and the record stopped within the period."""
    if chosen.starts_at is not None:
        condition &= Cdr.stopped_at >= chosen.starts_at
    if chosen.ends_at is not None:
        condition &= Cdr.stopped_at < chosen.ends_at
    return condition


async def _numbers_in(operator_id: int, chosen: Period) -> tuple[int, int] | None:
    """The first and last number among the operator's records in the period, or None.

    Read once through the (operator, stopped_at) index so that the export's batches start
    at the period's first record and stop at its last, instead of reading past every record
    numbered before or after it.
    """
    row = (
        await Cdr.select(Min(Cdr.sequence).as_alias("first"), Max(Cdr.sequence).as_alias("last"))
        .where(_in_period(Cdr.operator == operator_id, chosen))
        .first()
    )
    if row is None or row["first"] is None:
        return None
    return int(row["first"]), int(row["last"])


# The CSV export -------------------------------------------------------------------------


class CsvVariant(StrEnum):
    # Comma, decimal point, ISO 8601 times, UTF-8 without BOM, RFC 4180: for programs.
    STANDARD = "standard"
    # Semicolon, decimal comma, DD.MM.YYYY HH:MM, UTF-8 with BOM: what German Excel opens
    # by double-click with umlauts, numbers and dates recognised.
    DE = "de"


# Documented column by column in docs/cdr-export.md; the same header in both variants, so
# that a script written against one reads the other.
CSV_COLUMNS: Final = (
    "number",
    "kind",
    "corrects_number",
    "issued_at_utc",
    "session_id",
    "started_at_utc",
    "stopped_at_utc",
    "started_at_local",
    "stopped_at_local",
    "time_zone",
    "evse_id",
    "station_identity",
    "site_name",
    "address",
    "id_tag",
    "token_type",
    "contract_id",
    "issuer_country_code",
    "issuer_party_id",
    "meter_start_kwh",
    "meter_stop_kwh",
    "energy_kwh",
    "duration_min",
    "charging_min",
    "parking_min",
    "currency",
    "net_amount",
    "vat_rate_percent",
    "vat_amount",
    "gross_amount",
    "line_amounts_basis",
    "energy_amount",
    "time_amount",
    "parking_amount",
    "flat_amount",
    "price_adjustment_amount",
    "tariff_name",
    "tariff_version",
    "payment_reference",
    "reason",
)

UTF8_BOM: Final = "\ufeff".encode()


class _LineAmount(msgspec.Struct, frozen=True):
    """The part of a price line the export sums (other fields are skipped when decoding)."""

    type: LineType
    amount_minor: int


_decode_lines = msgspec.json.Decoder(tuple[_LineAmount, ...]).decode


def _csv_select() -> list[Any]:
    return [
        Cdr.sequence,
        Cdr.number,
        Cdr.kind,
        Cdr.corrects.number.as_alias("corrects_number"),
        Cdr.created_at,
        Cdr.session,
        Cdr.started_at,
        Cdr.stopped_at,
        Cdr.time_zone,
        Cdr.evse_id,
        Cdr.station_identity,
        Cdr.site_name,
        Cdr.address,
        Cdr.id_tag,
        Cdr.token_type,
        Cdr.contract_id,
        Cdr.issuer_country_code,
        Cdr.issuer_party_id,
        Cdr.meter_start_wh,
        Cdr.meter_stop_wh,
        Cdr.energy_wh,
        Cdr.duration_s,
        Cdr.charging_s,
        Cdr.parking_s,
        Cdr.currency,
        Cdr.net_minor,
        Cdr.vat_rate_bp,
        Cdr.vat_minor,
        Cdr.gross_minor,
        Cdr.amounts_include_vat,
        Cdr.lines,
        Cdr.tariff_name,
        Cdr.tariff_version,
        Cdr.payment_reference,
        Cdr.reason,
    ]


async def csv_chunks(
    operator_id: int,
    chosen: Period,
    variant: CsvVariant = CsvVariant.STANDARD,
    *,
    batch_size: int = EXPORT_BATCH_SIZE,
) -> AsyncIterator[bytes]:
    """The operator's records in the period as CSV, one encoded chunk per batch of rows.

    Nothing is held between batches but the last number seen, and no connection is held
    while the consumer (a slow download) takes its time: memory and database resources stay
    the same however many records the period has.
    """
    formatter = CsvFormatter(variant)
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect=formatter.dialect)
    writer.writerow(CSV_COLUMNS)
    yield (UTF8_BOM if variant is CsvVariant.DE else b"") + take(buffer)
    # Fixing the last number at the start makes the file a consistent snapshot: records
    # written while it streams (numbered later) are left for the next export, and none can
    # appear below it later (numbers are committed in order).
    numbers = await _numbers_in(operator_id, chosen)
    if numbers is None:
        return
    after, through = numbers[0] - 1, numbers[1]
    while after < through:
        rows = await _batch(_csv_select(), operator_id, chosen, after, batch_size, through=through)
        if not rows:
            return
        writer.writerows(formatter.row(row) for row in rows)
        yield take(buffer)
        after = rows[-1]["sequence"]


class CsvFormatter:
    """Turns a selected row into the CSV fields of one variant; its `decimal`, `moment` and
    `text` serve other exports of records in the same variant (the fleet manager's)."""

    def __init__(self, variant: CsvVariant) -> None:
        self.spreadsheet = variant is CsvVariant.DE
        self.decimal_mark = "," if self.spreadsheet else "."
        self.dialect: type[csv.Dialect] = _ExcelGerman if self.spreadsheet else _Rfc4180
        self.moment: Callable[[datetime], str] = _german_moment if self.spreadsheet else _iso

    def row(self, row: dict[str, Any]) -> list[str]:
        currency: str = row["currency"]
        digits = minor_digits(currency)
        zone = _zone(row["time_zone"])
        by_type = _amounts_by_type(row["lines"])
        text = self.text
        return [
            row["number"],
            row["kind"],
            row["corrects_number"] or "",
            self.moment(row["created_at"].astimezone(UTC)),
            str(row["session"]),
            self.moment(row["started_at"].astimezone(UTC)),
            self.moment(row["stopped_at"].astimezone(UTC)),
            self.moment(row["started_at"].astimezone(zone)),
            self.moment(row["stopped_at"].astimezone(zone)),
            row["time_zone"],
            text(row["evse_id"]),
            text(row["station_identity"]),
            text(row["site_name"]),
            text(row["address"]),
            text(row["id_tag"]),
            text(row["token_type"]),
            text(row["contract_id"]),
            text(row["issuer_country_code"]),
            text(row["issuer_party_id"]),
            self.optional_kwh(row["meter_start_wh"]),
            self.optional_kwh(row["meter_stop_wh"]),
            self.decimal(row["energy_wh"], 3),
            self.minutes(row["duration_s"]),
            self.minutes(row["charging_s"]),
            self.minutes(row["parking_s"]),
            currency,
            self.decimal(row["net_minor"], digits),
            self.decimal(row["vat_rate_bp"], 2),
            self.decimal(row["vat_minor"], digits),
            self.decimal(row["gross_minor"], digits),
            "gross" if row["amounts_include_vat"] else "net",
            self.decimal(by_type.get(LineType.ENERGY, 0), digits),
            self.decimal(by_type.get(LineType.TIME, 0), digits),
            self.decimal(by_type.get(LineType.PARKING_TIME, 0), digits),
            self.decimal(by_type.get(LineType.FLAT, 0), digits),
            self.decimal(
                by_type.get(LineType.MINIMUM_PRICE, 0) + by_type.get(LineType.MAXIMUM_PRICE, 0),
                digits,
            ),
            text(row["tariff_name"]),
            "" if row["tariff_version"] is None else str(row["tariff_version"]),
            text(row["payment_reference"]),
            text(row["reason"]),
        ]

    def decimal(self, scaled: int, digits: int) -> str:
        """An integer in units of 10^-digits as a decimal, exactly (no float on the way):
        1234 cents → "12.34", Wh → kWh with digits=3, basis points → percent with 2."""
        sign = "-" if scaled < 0 else ""
        whole, fraction = divmod(abs(scaled), 10**digits)
        if not digits:
            return f"{sign}{whole}"
        return f"{sign}{whole}{self.decimal_mark}{fraction:0{digits}d}"

    def optional_kwh(self, wh: int | None) -> str:
        return "" if wh is None else self.decimal(wh, 3)

    def minutes(self, seconds: int) -> str:
        """Seconds as minutes with two decimals, half up (a display value: the amounts were
        priced from the exact seconds)."""
        return self.decimal((seconds * 100 + 30) // 60, 2)

    def text(self, value: str) -> str:
        # Station, site and card texts come from chargers and staff.
        return defused(value) if self.spreadsheet else value


def _amounts_by_type(lines: Any) -> dict[LineType, int]:
    raw = lines if isinstance(lines, (str, bytes)) else msgspec.json.encode(lines)
    totals: dict[LineType, int] = {}
    for line in _decode_lines(raw):
        totals[line.type] = totals.get(line.type, 0) + line.amount_minor
    return totals


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _iso(moment: datetime) -> str:
    """ISO 8601 to the second: `Z` for UTC, the offset otherwise."""
    text = moment.isoformat(timespec="seconds")
    return text.removesuffix("+00:00") + "Z" if moment.tzinfo is UTC else text


def _german_moment(moment: datetime) -> str:
    return moment.strftime("%d.%m.%Y %H:%M")


class _Rfc4180(csv.Dialect):
    delimiter = ","
    quotechar = '"'
    doublequote = True
    skipinitialspace = False
    lineterminator = "\r\n"
    quoting = csv.QUOTE_MINIMAL


class _ExcelGerman(_Rfc4180):
    delimiter = ";"
