"""Cards as CSV: reading an import file, checking it, and what importing it would change.

Pure functions: the service reads the existing cards and customers and passes them in.
Import columns: `uid` (required) and any of `label`, `expires_at`, `group_id`,
`customer_group`, `customer_id`, `cost_centre`. A missing column leaves that field of
existing cards as it is; an empty cell clears it. Other columns (those an export has in
addition: status, customer, holder, blocked_by…) are ignored, so an exported file imports
again unchanged. Blocking is never done by import: it needs the push to the stations.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Final

import msgspec

from cpo.spreadsheets import defused, undefused
from cpo.tokens.rules import normalize_uid

MAX_UID_LENGTH: Final = 36
MAX_LABEL_LENGTH: Final = 200
MAX_GROUP_LENGTH: Final = 64
MAX_COST_CENTRE_LENGTH: Final = 64
MAX_IMPORT_ROWS: Final = 5000
IMPORT_FIELDS: Final = (
    "label",
    "expires_at",
    "group_id",
    "customer_group",
    "customer_id",
    "cost_centre",
)
EXPORT_COLUMNS: Final = (
    "uid",
    "label",
    "status",
    "expires_at",
    "group_id",
    "customer_group",
    "customer_id",
    "customer",
    "holder",
    "type",
    "blocked_at",
    "created_at",
    "cost_centre",
    "blocked_by",
)


class RowOutcome(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    INVALID = "invalid"


class CardFields(msgspec.Struct, frozen=True, kw_only=True):
    """The importable fields of a card as stored."""

    label: str = ""
    expires_at: datetime | None = None
    group_id: str | None = None
    customer_group: str | None = None
    customer_id: int | None = None
    cost_centre: str = ""


class ExistingCard(msgspec.Struct, frozen=True, kw_only=True):
    fields: CardFields
    # Roaming and one-time tokens are not the operator's cards to import over.
    importable: bool = True


class ParsedRow(msgspec.Struct, frozen=True, kw_only=True):
    line: int
    uid: str
    # Only the columns the file has, already checked and converted.
    values: dict[str, Any]
    problems: tuple[str, ...] = ()


class Change(msgspec.Struct, frozen=True):
    before: Any
    after: Any


class RowReport(msgspec.Struct, frozen=True, kw_only=True):
    line: int
    uid: str
    outcome: RowOutcome
    # Machine codes: uid_missing, uid_too_long, label_too_long, expires_at_invalid,
    # group_id_too_long, customer_group_too_long, customer_id_invalid, customer_unknown,
    # cost_centre_too_long, duplicate_uid, not_a_card.
    reasons: tuple[str, ...] = ()
    changes: dict[str, Change] = {}


class ImportReport(msgspec.Struct, frozen=True, kw_only=True):
    new: int
    changed: int
    unchanged: int
    invalid: int
    # File-level problems (no uid column, too many rows…); nothing imports while any exist.
    problems: tuple[str, ...] = ()
    ignored_columns: tuple[str, ...] = ()
    rows: list[RowReport]

    @property
    def applicable(self) -> bool:
        return not self.problems and self.invalid == 0


class ParsedFile(msgspec.Struct, frozen=True, kw_only=True):
    rows: list[ParsedRow]
    columns: tuple[str, ...]
    ignored_columns: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


def parse(text: str) -> ParsedFile:
    """Read an import file (comma or semicolon separated, UTF-8, header row first)."""
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return ParsedFile(rows=[], columns=(), problems=("empty_file",))
    except csv.Error:
        return ParsedFile(rows=[], columns=(), problems=("not_csv",))
    names = [name.strip().lower() for name in header]
    if "uid" not in names:
        return ParsedFile(rows=[], columns=tuple(names), problems=("uid_column_missing",))
    known = {"uid", *IMPORT_FIELDS}
    columns = tuple(name for name in names if name in known)
    ignored = tuple(name for name in names if name and name not in known)
    rows: list[ParsedRow] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                return ParsedFile(
                    rows=[], columns=columns, ignored_columns=ignored, problems=("too_many_rows",)
                )
            record = {
                name: cells[index] if index < len(cells) else ""
                for index, name in enumerate(names)
                if name in known
            }
            rows.append(_row(reader.line_num, record))
    except csv.Error:
        return ParsedFile(rows=[], columns=columns, problems=("not_csv",))
    return ParsedFile(rows=rows, columns=columns, ignored_columns=ignored)


def _row(line: int, record: dict[str, str]) -> ParsedRow:
    problems: list[str] = []
    uid = normalize_uid(undefused(record["uid"]))
    if not uid:
        problems.append("uid_missing")
    elif len(uid) > MAX_UID_LENGTH:
        problems.append("uid_too_long")
    values: dict[str, Any] = {}
    if "label" in record:
        label = undefused(record["label"].strip())
        if len(label) > MAX_LABEL_LENGTH:
            problems.append("label_too_long")
        values["label"] = label
    if "expires_at" in record:
        expires_at = parse_moment(record["expires_at"])
        if expires_at is INVALID:
            problems.append("expires_at_invalid")
        else:
            values["expires_at"] = expires_at
    if "group_id" in record:
        group_id = normalize_uid(undefused(record["group_id"])) or None
        if group_id is not None and len(group_id) > MAX_UID_LENGTH:
            problems.append("group_id_too_long")
        values["group_id"] = group_id
    if "customer_group" in record:
        customer_group = undefused(record["customer_group"].strip()) or None
        if customer_group is not None and len(customer_group) > MAX_GROUP_LENGTH:
            problems.append("customer_group_too_long")
        values["customer_group"] = customer_group
    if "cost_centre" in record:
        cost_centre = undefused(record["cost_centre"].strip())
        if len(cost_centre) > MAX_COST_CENTRE_LENGTH:
            problems.append("cost_centre_too_long")
        values["cost_centre"] = cost_centre
    if "customer_id" in record:
        raw = record["customer_id"].strip()
        if not raw:
            values["customer_id"] = None
        elif raw.isdigit() and 0 < int(raw) < 2**31:
            values["customer_id"] = int(raw)
        else:
            problems.append("customer_id_invalid")
    return ParsedRow(line=line, uid=uid, values=values, problems=tuple(problems))


INVALID: Any = object()


def parse_moment(text: str) -> Any:
    """An expiry cell: empty (none), a date (the card expires at its start, UTC) or an ISO
    timestamp (without a zone it is UTC). Anything else is `INVALID`."""
    text = text.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return INVALID
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def compare(
    parsed: ParsedFile,
    existing: Mapping[str, ExistingCard],
    customers: set[int],
) -> ImportReport:
    """What importing `parsed` would do, row by row.

    `existing` holds the operator's tokens by uid (at least those the file names);
    `customers` the operator's customer ids among those the file names.
    """
    seen: set[str] = set()
    reports: list[RowReport] = []
    for row in parsed.rows:
        reasons = list(row.problems)
        if row.uid and row.uid in seen:
            reasons.append("duplicate_uid")
        seen.add(row.uid)
        customer_id = row.values.get("customer_id")
        if customer_id is not None and customer_id not in customers:
            reasons.append("customer_unknown")
        card = existing.get(row.uid)
        if card is not None and not card.importable:
            reasons.append("not_a_card")
        if reasons:
            reports.append(
                RowReport(
                    line=row.line, uid=row.uid, outcome=RowOutcome.INVALID, reasons=tuple(reasons)
                )
            )
            continue
        before = card.fields if card is not None else CardFields()
        after = msgspec.structs.replace(before, **row.values)
        changes = {
            name: Change(getattr(before, name), getattr(after, name))
            for name in IMPORT_FIELDS
            if getattr(before, name) != getattr(after, name)
        }
        if card is None:
            outcome = RowOutcome.NEW
        elif changes:
            outcome = RowOutcome.CHANGED
        else:
            outcome = RowOutcome.UNCHANGED
        reports.append(RowReport(line=row.line, uid=row.uid, outcome=outcome, changes=changes))
    counts = {outcome: 0 for outcome in RowOutcome}
    for report in reports:
        counts[report.outcome] += 1
    return ImportReport(
        new=counts[RowOutcome.NEW],
        changed=counts[RowOutcome.CHANGED],
        unchanged=counts[RowOutcome.UNCHANGED],
        invalid=counts[RowOutcome.INVALID],
        problems=parsed.problems,
        ignored_columns=parsed.ignored_columns,
        rows=reports,
    )


def fields_after(report: RowReport, before: CardFields | None) -> CardFields:
    """The fields a NEW or CHANGED row leaves the card with."""
    base = before or CardFields()
    return msgspec.structs.replace(
        base, **{name: change.after for name, change in report.changes.items()}
    )


def export_row(card: Mapping[str, Any]) -> list[str]:
    """One card as export cells (text a person typed is defused for spreadsheets)."""

    def moment(value: datetime | None) -> str:
        return "" if value is None else value.astimezone(UTC).isoformat()

    return [
        defused(card["uid"]),
        defused(card["label"]),
        card["status"],
        moment(card["expires_at"]),
        defused(card["group_id"] or ""),
        defused(card["customer_group"] or ""),
        "" if card["customer_id"] is None else str(card["customer_id"]),
        defused(card["customer_name"] or ""),
        defused(card["holder_name"] or ""),
        card["type"],
        moment(card["blocked_at"]),
        moment(card["created_at"]),
        defused(card["cost_centre"]),
        card["blocked_by"] or "",
    ]
