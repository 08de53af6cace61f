"""Benchmark of the CDR CSV export: rows/s, bytes, and the server's memory while streaming.

Creates N charge detail records (default 100,000) for the demo operator in a scratch
database (SQLite in a temporary directory, or a new PostgreSQL database with
`--database postgres`), starts `cpo run` in a process of its own, and downloads the export
of the whole period through the real HTTP endpoint, once per CSV variant. Memory is read
from `/proc/<pid>/status`: the server's resident set before the download and its high-water
mark during it (reset just before, via `/proc/<pid>/clear_refs`), so the growth is what
the export itself cost. The client only counts bytes and rows.

    python -m tests.benchmarks.cdr_export [--rows 100000] [--database sqlite|postgres]

`insert_cdrs` is also what the export's memory test uses to create rows in bulk.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import msgspec

from cpo import database
from cpo.cdrs.enums import CdrKind
from cpo.cdrs.tables import Cdr, CdrSequence
from cpo.context import Context
from cpo.demo import DEMO_API_TOKEN, seed_demo
from cpo.operators.tables import Operator
from cpo.sessions.enums import SessionState
from cpo.sessions.tables import ChargingSession
from cpo.settings import Settings
from cpo.stations.tables import ChargeStation
from cpo.tariffs.schemas import LineType, PriceLine
from tests.benchmarks.ocpp_bridge import (
    create_postgres_database,
    drop_postgres_database,
    free_port,
    wait_until_serving,
)

BULK_BATCH = 1000  # rows per statement: bounded memory however many records are made
FIRST_STOP = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
CDR_COLUMNS = (
    "operator",
    "sequence",
    "number",
    "kind",
    "session",
    "receipt_token",
    "id_tag",
    "token_type",
    "contract_id",
    "station_identity",
    "evse_id",
    "site_name",
    "address",
    "time_zone",
    "started_at",
    "stopped_at",
    "meter_start_wh",
    "meter_stop_wh",
    "energy_wh",
    "duration_s",
    "charging_s",
    "parking_s",
    "currency",
    "vat_rate_bp",
    "amounts_include_vat",
    "lines",
    "net_minor",
    "vat_minor",
    "gross_minor",
    "tariff_version",
    "tariff_name",
    "payment_reference",
    "created_at",
)
RESERVE_NUMBERS = """
UPDATE cdr_sequences SET next_number = next_number + {} WHERE operator = {}
RETURNING next_number - {} AS first
"""
ENSURE_SEQUENCE = """
INSERT INTO cdr_sequences (operator, next_number) VALUES ({}, 1)
ON CONFLICT (operator) DO NOTHING
"""


async def insert_cdrs(
    operator_id: int,
    count: int,
    *,
    first_stop: datetime = FIRST_STOP,
    every: timedelta = timedelta(minutes=5),
) -> None:
    """`count` completed sessions of the operator, each with its original record, as if
    they had been charged at the operator's first station: stops `every` apart from
    `first_stop`, 22 kWh at 0.49 €/kWh plus a blocking fee on every tenth.

    Written with bulk SQL (one statement per thousand rows); numbers are taken from the
    operator's counter as `issue_cdr` takes them, so records issued afterwards continue
    the sequence.
    """
    station = (
        await ChargeStation.select(ChargeStation.id, ChargeStation.identity)
        .where(ChargeStation.operator == operator_id)
        .order_by(ChargeStation.id)
        .first()
    )
    assert station is not None, "the operator needs a charge station"
    party = await Operator.select(Operator.party_id).where(Operator.id == operator_id).first()
    assert party is not None
    done = 0
    while done < count:
        size = min(BULK_BATCH, count - done)
        async with database.transaction():
            await CdrSequence.raw(ENSURE_SEQUENCE, operator_id)
            reserved = await CdrSequence.raw(RESERVE_NUMBERS, size, operator_id, size)
            first_number = int(reserved[0]["first"])
            stops = [first_stop + every * (done + index) for index in range(size)]
            session_ids = await _insert_sessions(operator_id, station["id"], stops)
            rows = [
                _cdr_row(
                    operator_id,
                    party["party_id"],
                    first_number + index,
                    session_id,
                    station["identity"],
                    stop,
                    done + index,
                )
                for index, (session_id, stop) in enumerate(zip(session_ids, stops, strict=True))
            ]
            await database.execute_many(database.insert_statement(Cdr, CDR_COLUMNS), rows)
        done += size


async def _insert_sessions(operator_id: int, station_id: int, stops: list[datetime]) -> list[int]:
    """Completed sessions in one multi-row INSERT … RETURNING (the ids come back in any
    order, which is fine: each record just needs a session of its own)."""
    values = ", ".join("({}, {}, 1, {}, {}, {}, 22000)" for _ in stops)
    arguments: list[object] = []
    for stop in stops:
        arguments += [operator_id, station_id, SessionState.COMPLETED.value, stop, stop]
    rows = await ChargingSession.raw(
        "INSERT INTO charging_sessions "  # noqa: S608 (placeholders only)
        "(operator, station, ocpp_connector_id, state, started_at, stopped_at, energy_wh) "
        f"VALUES {values} RETURNING id",
        *arguments,
    )
    return [int(row["id"]) for row in rows]


def _cdr_row(
    operator_id: int,
    party_id: str,
    sequence: int,
    session_id: int,
    station_identity: str,
    stop: datetime,
    index: int,
) -> tuple[object, ...]:
    energy_wh = 22_000 + index % 1000
    energy_minor = (energy_wh * 49 + 500) // 1000
    parking_minor = 120 if index % 10 == 0 else 0
    lines = [
        PriceLine(
            type=LineType.ENERGY,
            quantity=energy_wh,
            unit_price_micro=490_000,
            amount_minor=energy_minor,
        )
    ]
    if parking_minor:
        lines.append(
            PriceLine(
                type=LineType.PARKING_TIME,
                quantity=1200,
                unit_price_micro=100_000,
                amount_minor=parking_minor,
            )
        )
    gross = energy_minor + parking_minor
    net = (gross * 10_000 * 2 + 11_900) // (11_900 * 2)  # gross / 1.19, half up
    started = stop - timedelta(hours=2)
    return (
        operator_id,
        sequence,
        f"{party_id or 'CDR'}-{sequence:08d}",
        CdrKind.SESSION.value,
        session_id,
        secrets.token_urlsafe(32),
        f"04A2B3C4{index:06X}",
        "RFID",
        "",
        station_identity,
        "DE*DEM*E0001*1",
        "Parkhaus Mitte, Ebene −1",
        "Alexanderplatz 1, 10178 Berlin",
        "Europe/Berlin",
        started,
        stop,
        1_000_000 + index * 30_000,
        1_000_000 + index * 30_000 + energy_wh,
        energy_wh,
        7200,
        6000,
        1200,
        "EUR",
        1900,
        True,
        msgspec.json.encode(lines).decode(),
        net,
        gross - net,
        gross,
        1,
        "AC ad hoc",
        f"pay_{index:010d}",
        stop,
    )


# The benchmark --------------------------------------------------------------------------


@dataclass
class Download:
    variant: str
    seconds: float
    bytes: int
    rows: int
    server_rss_before_kib: int
    server_peak_kib: int
    client_rss_before_kib: int
    client_peak_kib: int

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds

    @property
    def server_growth_kib(self) -> int:
        return self.server_peak_kib - self.server_rss_before_kib

    @property
    def client_growth_kib(self) -> int:
        return self.client_peak_kib - self.client_rss_before_kib


def memory_kib(pid: int | str, field: str) -> int:
    """VmRSS (resident now) or VmHWM (resident at most) of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def reset_peak(pid: int | str) -> None:
    """Start VmHWM afresh from the current resident set (Linux ≥ 4.0)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


async def warm_up(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        for variant in ("standard", "de"):
            response = await http.get(
                "/api/admin/cdrs.csv",
                params={
                    "date_from": FIRST_STOP.isoformat(),
                    "date_to": (FIRST_STOP + timedelta(hours=1)).isoformat(),
                    "variant": variant,
                },
                headers={"Authorization": f"Bearer {DEMO_API_TOKEN}"},
            )
            response.raise_for_status()


async def download(base_url: str, server_pid: int, variant: str) -> Download:
    reset_peak(server_pid)
    reset_peak("self")
    before = memory_kib(server_pid, "VmRSS")
    client_before = memory_kib("self", "VmRSS")
    received = rows = 0
    started = time.perf_counter()
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=600) as http,
        http.stream(
            "GET",
            "/api/admin/cdrs.csv",
            params={
                "date_from": "2000-01-01T00:00:00Z",
                "date_to": "2100-01-01T00:00:00Z",
                "variant": variant,
            },
            headers={"Authorization": f"Bearer {DEMO_API_TOKEN}"},
        ) as response,
    ):
        response.raise_for_status()
        async for chunk in response.aiter_raw():
            received += len(chunk)
            rows += chunk.count(b"\r\n")  # the generated texts have no line breaks
    seconds = time.perf_counter() - started
    return Download(
        variant=variant,
        seconds=seconds,
        bytes=received,
        rows=rows - 1,  # the header
        server_rss_before_kib=before,
        server_peak_kib=memory_kib(server_pid, "VmHWM"),
        client_rss_before_kib=client_before,
        client_peak_kib=memory_kib("self", "VmHWM"),
    )


@contextlib.asynccontextmanager
async def cpo_run(environment: dict[str, str], port: int) -> AsyncIterator[int]:
    """`cpo run` in a process of its own; yields its pid (whose memory is read)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cpo.cli",
        "run",
        env={**os.environ, **environment},
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        await wait_until_serving(port, process, health=True)
        yield process.pid
    finally:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()


async def prepare(database_url: str, rows: int) -> float:
    started = time.perf_counter()
    async with database.database(database_url) as engine:
        await database.migrate(engine, quiet=True)
        await seed_demo(Context(Settings(database_url=database_url)))
        operator = await Operator.select(Operator.id).where(Operator.slug == "demo").first()
        assert operator is not None
        await insert_cdrs(operator["id"], rows)
        if not database.is_sqlite():
            # What autovacuum does within a minute of such an insert; without statistics the
            # planner takes the freshly filled table for empty and picks a poor index.
            await Cdr.raw("ANALYZE cdrs")
    return time.perf_counter() - started


async def main(arguments: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="cpo-bench-"))
    postgres_name = None
    results: list[Download] = []
    try:
        if arguments.database == "postgres":
            postgres_name, database_url = await create_postgres_database()
        else:
            database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        print(f"creating {arguments.rows} records ({arguments.database}) …", flush=True)
        prepared_s = await prepare(database_url, arguments.rows)
        port = free_port()
        environment = {
            "DATABASE_URL": database_url,
            "CPO_PORT": str(port),
            "CPO_LOG_LEVEL": "WARNING",
            "CPO_AUTO_REGISTRATION": "off",
        }
        async with cpo_run(environment, port) as pid:
            # One small export first: what a fresh process loads once (modules, time zone
            # data, compiled queries) is not what an export of N rows costs.
            await warm_up(f"http://127.0.0.1:{port}")
            for _ in range(arguments.repeat):
                for variant in ("standard", "de"):
                    results.append(await download(f"http://127.0.0.1:{port}", pid, variant))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if postgres_name:
            await drop_postgres_database(postgres_name)

    print(
        f"\nCDR CSV export: {arguments.rows} records, {arguments.database}, "
        f"{os.cpu_count()} cores (records created in {prepared_s:.1f} s)\n"
    )
    print(
        f"{'variant':9} {'rows':>8} {'MB':>6} {'s':>6} {'rows/s':>7} {'server RSS':>11} "
        f"{'server peak':>12} {'growth':>7} {'client growth':>14}   (memory in MiB)"
    )
    for result in results:
        assert result.rows == arguments.rows, f"{result.rows} rows arrived, not {arguments.rows}"
        print(
            f"{result.variant:9} {result.rows:8d} {result.bytes / 1e6:6.1f} {result.seconds:6.2f} "
            f"{result.rows_per_second:7.0f} {result.server_rss_before_kib / 1024:11.1f} "
            f"{result.server_peak_kib / 1024:12.1f} {result.server_growth_kib / 1024:7.1f} "
            f"{result.client_growth_kib / 1024:14.1f}"
        )


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=1, help="downloads per variant")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_arguments()))
