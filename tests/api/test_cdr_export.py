"""Charge detail records for billing: the paged feed, the CSV export (standard and for German
Excel), corrections, and that an operator only ever sees its own records."""

from __future__ import annotations

import csv
import io
import tracemalloc
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cpo.cdrs import export
from cpo.cdrs import service as cdrs
from cpo.cdrs.export import CSV_COLUMNS, CsvVariant
from cpo.context import Context
from cpo.demo import DEMO_API_TOKEN
from cpo.operators.service import create_api_token
from cpo.operators.tables import Operator
from cpo.sessions import service as sessions
from cpo.sessions.schemas import StartReport, StopReport
from cpo.stations import service as stations
from cpo.stations.schemas import StationRef, StationRegistration
from cpo.stations.tables import ChargeStation
from tests.benchmarks.cdr_export import insert_cdrs
from tests.support.platform import RunningPlatform

ANNA = "04A2B3C4D5E6F7"
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
NOVEMBER = {"date_from": "2026-11-01T00:00:00+01:00", "date_to": "2026-12-01T00:00:00+01:00"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def admin(platform: RunningPlatform) -> AsyncIterator[httpx.AsyncClient]:
    """The demo operator's billing system."""
    async with httpx.AsyncClient(
        base_url=platform.base_url, headers=bearer(DEMO_API_TOKEN)
    ) as http:
        yield http


async def demo_operator_id() -> int:
    row = await Operator.select(Operator.id).where(Operator.slug == "demo").first()
    assert row is not None
    return int(row["id"])


async def charge(
    ctx: Context, *, energy_wh: int, start: datetime = START, minutes: int = 60, connector: int = 1
) -> int:
    """Anna charges at DEMO-AC-1 under the demo's ad hoc tariff (0.49 €/kWh); the record of
    the session is issued when it stops. Returns the record's id."""
    row = await ChargeStation.select().where(ChargeStation.identity == "DEMO-AC-1").first()
    assert row is not None
    station = StationRef(row["id"], row["operator"], "DEMO-AC-1")
    started = await sessions.start_transaction(
        ctx,
        station,
        StartReport(connector_id=connector, id_tag=ANNA, meter_start_wh=50_000, timestamp=start),
    )
    await sessions.stop_transaction(
        ctx,
        station,
        StopReport(
            transaction_id=started.transaction_id,
            meter_stop_wh=50_000 + energy_wh,
            timestamp=start + timedelta(minutes=minutes),
        ),
    )
    cdr = await cdrs.cdr_of_session(started.session_id)
    assert cdr is not None
    return cdr.id


async def walk(http: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """Every page, following next_cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = await http.get(
            "/api/admin/cdrs", params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def parse_csv(body: bytes, variant: CsvVariant) -> list[dict[str, str]]:
    if variant is CsvVariant.DE:
        assert body.startswith(b"\xef\xbb\xbf")
        text, delimiter = body.decode("utf-8-sig"), ";"
    else:
        assert not body.startswith(b"\xef\xbb\xbf")
        text, delimiter = body.decode("utf-8"), ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)
    return [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]


# The paged feed -----------------------------------------------------------------------


async def test_pages_return_every_record_once_in_number_order(
    platform: RunningPlatform, admin: httpx.AsyncClient
) -> None:
    await insert_cdrs(await demo_operator_id(), 23)
    items = await walk(admin, limit=5)
    assert [item["number"] for item in items] == [f"DEM-{n:08d}" for n in range(1, 24)]
    first = (await admin.get("/api/admin/cdrs", params={"limit": 5})).json()
    assert len(first["items"]) == 5
    assert first["next_cursor"] is not None


async def test_records_written_during_a_walk_are_neither_missed_nor_repeated(
    platform: RunningPlatform, admin: httpx.AsyncClient
) -> None:
    """Also a credit for an old session, which a cursor on the stop time would lose."""
    await insert_cdrs(await demo_operator_id(), 8)
    page = (await admin.get("/api/admin/cdrs", params={"limit": 5})).json()
    seen = [item["number"] for item in page["items"]]
    await charge(platform.ctx, energy_wh=10_000)  # a new session: DEM-00000009
    oldest = page["items"][0]["id"]
    corrected = await admin.post(
        f"/api/admin/cdrs/{oldest}/corrections", json={"reason": "meter misread"}
    )
    assert corrected.status_code == 201  # its credit: DEM-00000010, stopped in January
    cursor = page["next_cursor"]
    while cursor is not None:
        page = (await admin.get("/api/admin/cdrs", params={"limit": 5, "cursor": cursor})).json()
        seen += [item["number"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert seen == [f"DEM-{n:08d}" for n in range(1, 11)]

    # At the end, resume_cursor keeps the place: later, only what was written since.
    await charge(platform.ctx, energy_wh=5_000, start=START + timedelta(hours=3))
    later = (await admin.get("/api/admin/cdrs", params={"cursor": page["resume_cursor"]})).json()
    assert [item["number"] for item in later["items"]] == ["DEM-00000011"]
    assert later["next_cursor"] is None
    nothing_new = (
        await admin.get("/api/admin/cdrs", params={"cursor": later["resume_cursor"]})
    ).json()
    assert nothing_new["items"] == []
    assert nothing_new["resume_cursor"] == later["resume_cursor"]


async def test_a_period_is_by_stop_time_from_inclusive_to_exclusive(
    platform: RunningPlatform, admin: httpx.AsyncClient
) -> None:
    # Stops at 08:00 UTC (09:00 in Berlin) on 1 to 10 January.
    await insert_cdrs(await demo_operator_id(), 10, every=timedelta(days=1))
    period = {"date_from": "2026-01-03T09:00:00+01:00", "date_to": "2026-01-06T08:00:00Z"}
    items = await walk(admin, limit=2, **period)
    assert [item["stopped_at"][:10] for item in items] == ["2026-01-03", "2026-01-04", "2026-01-05"]
    response = await admin.get("/api/admin/cdrs.csv", params=period)
    rows = parse_csv(response.content, CsvVariant.STANDARD)
    assert [row["stopped_at_local"] for row in rows] == [
        "2026-01-03T09:00:00+01:00",
        "2026-01-04T09:00:00+01:00",
        "2026-01-05T09:00:00+01:00",
    ]
    only_from = await walk(admin, date_from="2026-01-09T08:00:00Z")
    assert len(only_from) == 2


async def test_unclear_periods_and_foreign_cursors_are_refused(
    platform: RunningPlatform, admin: httpx.AsyncClient
) -> None:
    naive = await admin.get("/api/admin/cdrs", params={"date_from": "2026-11-01T00:00:00"})
    assert naive.status_code == 400
    assert naive.json()["code"] == "invalid_period"
    assert "UTC offset" in naive.json()["title"]
    backwards = await admin.get(
        "/api/admin/cdrs.csv",
        params={"date_from": "2026-12-01T00:00:00Z", "date_to": "2026-11-01T00:00:00Z"},
    )
    assert backwards.status_code == 400
    assert backwards.headers["content-type"].startswith("application/problem+json")
    assert "date_from must be before date_to" in backwards.json()["title"]
    empty = await admin.get(
        "/api/admin/cdrs",
        params={"date_from": "2026-11-01T00:00:00Z", "date_to": "2026-11-01T01:00:00+01:00"},
    )
    assert empty.status_code == 400  # the same moment: an empty period is a mistake
    for cursor in ("garbage!", "Y2RyMTphYmM", "aGVsbG8", "x" * 100):
        refused = await admin.get("/api/admin/cdrs", params={"cursor": cursor})
        assert refused.status_code == 422, cursor
        assert refused.json()["code"] == "invalid_cursor"
    for limit in (0, 1001, "many"):
        assert (await admin.get("/api/admin/cdrs", params={"limit": limit})).status_code == 400
    assert (await admin.get("/api/admin/cdrs.csv")).status_code == 400  # a period is required
    unknown_variant = await admin.get("/api/admin/cdrs.csv", params={**NOVEMBER, "variant": "xls"})
    assert unknown_variant.status_code == 400


# Who may see what ---------------------------------------------------------------------


async def test_the_admin_api_needs_a_valid_operator_token(platform: RunningPlatform) -> None:
    record_id = await charge(platform.ctx, energy_wh=10_000)
    requests = [
        ("GET", "/api/admin/cdrs", None),
        ("GET", f"/api/admin/cdrs/{record_id}", None),
        ("GET", "/api/admin/cdrs.csv", NOVEMBER),
        ("POST", f"/api/admin/cdrs/{record_id}/corrections", None),
    ]
    async with httpx.AsyncClient(base_url=platform.base_url) as http:
        for headers in ({}, bearer("cpo_not-a-token-of-anyone"), {"Authorization": "Basic eDp5"}):
            for method, path, params in requests:
                response = await http.request(
                    method, path, params=params, headers=headers, json={"reason": "test"}
                )
                assert response.status_code == 401, (method, path, headers)
                assert response.json()["code"] == "not_authenticated"
    assert (await cdrs.get_cdr(await demo_operator_id(), record_id)).kind == "session"


async def test_operators_never_see_each_others_records(
    platform: RunningPlatform, admin: httpx.AsyncClient
) -> None:
    rows = await Operator.insert(
        Operator(slug="other", name="Other CPO", country_code="DE", party_id="OTH")
    ).returning(Operator.id)
    other_id = int(rows[0]["id"])
    await stations.register_station(
        platform.ctx,
        StationRegistration(
            operator_id=other_id, identity="OTHER-AC-1", password="other-password-123"
        ),
    )
    other_token, _ = await create_api_token(platform.ctx, other_id, "billing")
    await insert_cdrs(other_id, 1)
    await insert_cdrs(await demo_operator_id(), 1)
    everything = {"date_from": "2000-01-01T00:00:00Z", "date_to": "2100-01-01T00:00:00Z"}
    async with httpx.AsyncClient(base_url=platform.base_url, headers=bearer(other_token)) as other:
        for mine, theirs, own_number in ((admin, other, "DEM-"), (other, admin, "OTH-")):
            listed = await walk(mine)
            assert [item["number"][:4] for item in listed] == [own_number]
            foreign = (await walk(theirs))[0]
            response = await mine.get(f"/api/admin/cdrs/{foreign['id']}")
            # Exactly what a record that does not exist gets: its existence is not told.
            assert response.status_code == 404
            assert response.json()["title"] == f"no charge detail record {foreign['id']}"
            refused = await mine.post(
                f"/api/admin/cdrs/{foreign['id']}/corrections", json={"reason": "not mine"}
            )
            assert refused.status_code == 404
            exported = parse_csv(
                (await mine.get("/api/admin/cdrs.csv", params=everything)).content,
                CsvVariant.STANDARD,
            )
            assert [row["number"][:4] for row in exported] == [own_number]
        # Nothing was corrected across the fence.
        assert len(await walk(other)) == 1
        assert len(await walk(admin)) == 1


# The CSV export -----------------------------------------------------------------------


async def test_the_standard_csv_reads_back_with_documented_columns(
    platform: RunningPlatform, admin: httpx.AsyncClient
) -> None:
    await charge(platform.ctx, energy_wh=20_000)
    response = await admin.get("/api/admin/cdrs.csv", params=NOVEMBER)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        response.headers["content-disposition"]
        == 'attachment; filename="cdrs-demo-2026-11-01-2026-12-01.csv"'
    )
    assert response.content.startswith(b"number,kind,")
    assert b"\r\n" in response.content
    [row] = parse_csv(response.content, CsvVariant.STANDARD)
    # 20 kWh × 0.49 € = 9.80 € with 19 % VAT: 8.24 € net + 1.56 € VAT.
    assert row == row | {
        "number": "DEM-00000001",
        "kind": "session",
        "corrects_number": "",
        "started_at_utc": "2026-11-25T09:00:00Z",
        "stopped_at_utc": "2026-11-25T10:00:00Z",
        "started_at_local": "2026-11-25T10:00:00+01:00",
        "stopped_at_local": "2026-11-25T11:00:00+01:00",
        "time_zone": "Europe/Berlin",
        "evse_id": "DE*DEM*E0001*1",
        "station_identity": "DEMO-AC-1",
        "site_name": "Parkhaus Mitte",
        "address": "Alexanderplatz 1, 10178 Berlin",
        "id_tag": ANNA,
        "token_type": "RFID",
        "meter_start_kwh": "50.000",
        "meter_stop_kwh": "70.000",
        "energy_kwh": "20.000",
        "duration_min": "60.00",
        "currency": "EUR",
        "net_amount": "8.24",
        "vat_rate_percent": "19.00",
        "vat_amount": "1.56",
        "gross_amount": "9.80",
        "line_amounts_basis": "gross",
        "energy_amount": "9.80",
        "parking_amount": "0.00",
        "tariff_name": "AC ad hoc",
        "tariff_version": "1",
    }
    assert "receipt" not in response.text  # the receipt's secret link stays out of files


async def test_the_german_csv_opens_in_excel_with_decimal_commas(
    platform: RunningPlatform, admin: httpx.AsyncClient
) -> None:
    original = await charge(platform.ctx, energy_wh=20_000)
    await admin.post(
        f"/api/admin/cdrs/{original}/corrections",
        json={"reason": "-10 kWh: meter misread", "energy_wh": 10_000},
    )
    response = await admin.get("/api/admin/cdrs.csv", params={**NOVEMBER, "variant": "de"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbfnumber;kind;")
    session, credit, rebill = parse_csv(response.content, CsvVariant.DE)
    assert session == session | {
        "started_at_utc": "25.11.2026 09:00",
        "started_at_local": "25.11.2026 10:00",
        "stopped_at_local": "25.11.2026 11:00",
        "energy_kwh": "20,000",
        "gross_amount": "9,80",
        "net_amount": "8,24",
        "vat_rate_percent": "19,00",
        "address": "Alexanderplatz 1, 10178 Berlin",
    }
    assert credit == credit | {
        "kind": "credit",
        "corrects_number": "DEM-00000001",
        "gross_amount": "-9,80",
        "energy_amount": "-9,80",
        # A text Excel would run as a formula is defused.
        "reason": "'-10 kWh: meter misread",
    }
    assert rebill == rebill | {"kind": "rebill", "energy_kwh": "10,000", "gross_amount": "4,90"}
    standard = await admin.get("/api/admin/cdrs.csv", params=NOVEMBER)
    assert parse_csv(standard.content, CsvVariant.STANDARD)[1]["reason"] == "-10 kWh: meter misread"


# Single records and corrections -------------------------------------------------------


async def test_one_record_carries_its_receipt_link_not_the_token(
    platform: RunningPlatform, admin: httpx.AsyncClient
) -> None:
    record_id = await charge(platform.ctx, energy_wh=20_000)
    body = (await admin.get(f"/api/admin/cdrs/{record_id}")).json()
    stored = await cdrs.get_cdr(await demo_operator_id(), record_id)
    assert body["receipt_url"] == f"{platform.ctx.settings.base_url}/r/{stored.receipt_token}"
    assert "receipt_token" not in body
    assert (body["number"], body["gross_minor"], body["energy_wh"]) == ("DEM-00000001", 980, 20_000)
    assert (await admin.get("/api/admin/cdrs/999999")).status_code == 404


async def test_a_correction_cancels_and_rebills_once(
    platform: RunningPlatform, admin: httpx.AsyncClient
) -> None:
    original = await charge(platform.ctx, energy_wh=20_000)
    response = await admin.post(
        f"/api/admin/cdrs/{original}/corrections",
        json={"reason": "meter replaced, reading was wrong", "energy_wh": 10_000},
    )
    assert response.status_code == 201
    body = response.json()
    credit, rebill = body["credit"], body["rebill"]
    assert (credit["kind"], credit["corrects_id"], credit["gross_minor"]) == (
        "credit",
        original,
        -980,
    )
    assert (rebill["kind"], rebill["corrects_id"], rebill["gross_minor"]) == (
        "rebill",
        original,
        490,
    )
    assert (credit["number"], rebill["number"]) == ("DEM-00000002", "DEM-00000003")
    assert credit["reason"] == "meter replaced, reading was wrong"
    again = await admin.post(f"/api/admin/cdrs/{original}/corrections", json={"reason": "again"})
    assert again.status_code == 409
    assert "corrected already" in again.json()["title"]
    of_a_credit = await admin.post(
        f"/api/admin/cdrs/{credit['id']}/corrections", json={"reason": "x"}
    )
    assert of_a_credit.status_code == 409

    cancel_only = await charge(platform.ctx, energy_wh=5_000, start=START + timedelta(hours=2))
    cancelled = await admin.post(
        f"/api/admin/cdrs/{cancel_only}/corrections", json={"reason": "test charge"}
    )
    assert cancelled.status_code == 201
    assert cancelled.json()["rebill"] is None
    for body_sent in ({"reason": ""}, {"energy_wh": 1}, {"reason": "x", "energy_wh": -1}):
        invalid = await admin.post(f"/api/admin/cdrs/{original}/corrections", json=body_sent)
        assert invalid.status_code == 400, body_sent
    blank = await admin.post(f"/api/admin/cdrs/{original}/corrections", json={"reason": "   "})
    assert blank.status_code == 422
    missing = await admin.post("/api/admin/cdrs/999999/corrections", json={"reason": "x"})
    assert missing.status_code == 404


async def test_an_export_is_a_snapshot_of_when_it_started(demo: Context) -> None:
    """A record written while the file streams is left for the next export: it can't be
    half in (numbers are committed in order, and the last one is fixed at the start)."""
    operator_id = await demo_operator_id()
    await insert_cdrs(operator_id, 5)
    chunks = export.csv_chunks(operator_id, export.period(None, None), batch_size=2)
    received = [await anext(chunks), await anext(chunks)]  # the header, two records
    await insert_cdrs(operator_id, 1)
    received += [chunk async for chunk in chunks]
    rows = parse_csv(b"".join(received), CsvVariant.STANDARD)
    assert [row["number"] for row in rows] == [f"DEM-{n:08d}" for n in range(1, 6)]
    later = [chunk async for chunk in export.csv_chunks(operator_id, export.period(None, None))]
    assert len(parse_csv(b"".join(later), CsvVariant.STANDARD)) == 6


# Memory -------------------------------------------------------------------------------


async def exported_rows_and_peak(operator_id: int) -> tuple[int, int]:
    """Consume the whole export of everything; rows seen and Python's peak memory."""
    everything = export.period(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    tracemalloc.start()
    try:
        line_breaks = 0
        async for chunk in export.csv_chunks(
            operator_id, everything, CsvVariant.DE, batch_size=MEMORY_TEST_BATCH
        ):
            line_breaks += chunk.count(b"\r\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return line_breaks - 1, peak


# Smaller than the export's default only to keep the traced run (6× slower) short.
MEMORY_TEST_BATCH = 500


async def test_the_csv_export_streams_in_bounded_memory(demo: Context) -> None:
    """Ten times the records, the same memory: the export never holds more than a batch."""
    operator_id = await demo_operator_id()
    await insert_cdrs(operator_id, 1_000)
    await exported_rows_and_peak(operator_id)  # warm caches (imports, compiled queries)
    rows_small, peak_small = await exported_rows_and_peak(operator_id)
    await insert_cdrs(operator_id, 9_000, first_stop=datetime(2026, 3, 1, tzinfo=UTC))
    rows_large, peak_large = await exported_rows_and_peak(operator_id)
    assert (rows_small, rows_large) == (1_000, 10_000)
    # Holding all 10,000 rows would take about 10× the small peak (a batch is ~2.5 MB).
    assert peak_large < peak_small * 1.5, (peak_small, peak_large)
    assert peak_large < 4 * 1024 * 1024, peak_large
