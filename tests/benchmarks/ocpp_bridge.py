"""Benchmark of the OCPP bridge: MeterValues calls/s and latency, ours vs. the bare library.

N simulated chargers each keep one MeterValues call in flight (as OCPP allows) for a fixed
time, first against our bridge (`cpo run`, persisting every sample to the database), then,
in the same run and on the same machine, against a bare central system made with the `ocpp`
package alone without persistence. Both servers run in their own process with the same event
loop (uvloop); the load generator sends pre-encoded frames so that it is not what is measured.

    python -m tests.benchmarks.ocpp_bridge [--chargers 50] [--seconds 10] [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import websockets

from cpo import database
from cpo.context import Context
from cpo.demo import seed_demo
from cpo.settings import Settings

CARD = "04A2B3C4D5E6F7"
POSTGRES_ADMIN_URL = os.environ.get(
    "CPO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@dataclass
class Result:
    name: str
    calls: int
    seconds: float
    latencies_ms: list[float]

    @property
    def calls_per_second(self) -> float:
        return self.calls / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def meter_values_frame(message_id: str, transaction_id: int, wh: int) -> str:
    now = datetime.now(UTC).isoformat()
    payload = {
        "connectorId": 1,
        "transactionId": transaction_id,
        "meterValue": [
            {
                "timestamp": now,
                "sampledValue": [
                    {
                        "value": str(wh),
                        "measurand": "Energy.Active.Import.Register",
                        "unit": "Wh",
                        "context": "Sample.Periodic",
                    },
                    {
                        "value": "11040",
                        "measurand": "Power.Active.Import",
                        "unit": "W",
                        "context": "Sample.Periodic",
                    },
                    {
                        "value": "16.0",
                        "measurand": "Current.Import",
                        "unit": "A",
                        "context": "Sample.Periodic",
                    },
                    {
                        "value": "230.1",
                        "measurand": "Voltage",
                        "unit": "V",
                        "context": "Sample.Periodic",
                    },
                ],
            }
        ],
    }
    return json.dumps([2, message_id, "MeterValues", payload])


async def _call(
    websocket: websockets.ClientConnection, action: str, payload: dict[str, object]
) -> list[object]:
    message_id = uuid.uuid4().hex
    await websocket.send(json.dumps([2, message_id, action, payload]))
    answer: list[object] = json.loads(await websocket.recv())
    assert answer[0] == 3, answer
    return answer


async def charger(
    url: str,
    identity: str,
    headers: dict[str, str],
    start: asyncio.Event,
    stop: asyncio.Event,
    latencies: list[float],
    warm_up_until: list[float],
) -> int:
    calls = 0
    async with websockets.connect(
        f"{url}/{identity}",
        subprotocols=["ocpp1.6"],
        additional_headers=headers,  # type: ignore[list-item]
        open_timeout=30,
        ping_interval=None,
        max_queue=None,
    ) as websocket:
        await _call(
            websocket, "BootNotification", {"chargePointVendor": "Bench", "chargePointModel": "B1"}
        )
        started = await _call(
            websocket,
            "StartTransaction",
            {
                "connectorId": 1,
                "idTag": CARD,
                "meterStart": 0,
                "timestamp": datetime.now(UTC).isoformat(),
            },
        )
        transaction_id = started[2]["transactionId"]  # type: ignore[index]
        frames = [
            meter_values_frame(f"m{index}", transaction_id, index * 10) for index in range(200)
        ]
        await start.wait()
        index = 0
        while not stop.is_set():
            frame = frames[index % len(frames)]
            index += 1
            sent = time.perf_counter()
            await websocket.send(frame)
            answer = await websocket.recv()
            done = time.perf_counter()
            if not answer.startswith("[3,"):
                raise RuntimeError(f"{identity}: {answer[:200]!r}")
            if sent >= warm_up_until[0]:
                calls += 1
                latencies.append((done - sent) * 1000)
    return calls


async def drive(
    name: str, url: str, chargers: int, seconds: float, warm_up: float, auth: bool
) -> Result:
    start, stop = asyncio.Event(), asyncio.Event()
    latencies: list[float] = []
    warm_up_until = [float("inf")]

    def headers(identity: str) -> dict[str, str]:
        if not auth:
            return {}
        token = base64.b64encode(f"{identity}:bench-password-{identity.lower()}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    identities = [f"BENCH-{index:04d}" for index in range(chargers)]
    tasks = [
        asyncio.create_task(
            charger(url, identity, headers(identity), start, stop, latencies, warm_up_until)
        )
        for identity in identities
    ]
    await asyncio.sleep(0)
    # Wait until every charger has booted and started its transaction.
    for _ in range(600):
        if all(task.done() for task in tasks):
            break
        await asyncio.sleep(0.05)
        if all(not task.done() for task in tasks) and _ > 20:
            break
    began = time.perf_counter()
    warm_up_until[0] = began + warm_up
    start.set()
    await asyncio.sleep(warm_up + seconds)
    stop.set()
    ended = time.perf_counter()
    counts = await asyncio.gather(*tasks)
    return Result(name, sum(counts), ended - began - warm_up, latencies)


async def wait_until_serving(port: int, process: asyncio.subprocess.Process, health: bool) -> None:
    async with asyncio.timeout(60):
        while True:
            if process.returncode is not None:
                raise RuntimeError(f"server exited with {process.returncode}")
            if health:
                with contextlib.suppress(httpx.TransportError):
                    async with httpx.AsyncClient() as http:
                        if (
                            await http.get(f"http://127.0.0.1:{port}/api/health")
                        ).status_code == 200:
                            return
            else:
                with contextlib.suppress(OSError):
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                    writer.close()
                    return
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def server(
    command: list[str], port: int, environment: dict[str, str], health: bool
) -> AsyncIterator[None]:
    process = await asyncio.create_subprocess_exec(
        *command,
        env={**os.environ, **environment},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await wait_until_serving(port, process, health)
        yield
    finally:
        process.send_signal(signal.SIGINT)  # py-spy (when profiling) writes its file on SIGINT
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()


async def prepare_database(database_url: str, chargers: int) -> None:
    from cpo.operators.tables import Operator
    from cpo.stations import service as stations
    from cpo.stations.schemas import StationRegistration

    async with database.database(database_url) as engine:
        await database.migrate(engine, quiet=True)
        ctx = Context(Settings(database_url=database_url))
        await seed_demo(ctx)
        operator = await Operator.select(Operator.id).first()
        assert operator is not None
        for index in range(chargers):
            identity = f"BENCH-{index:04d}"
            await stations.register_station(
                ctx,
                StationRegistration(
                    operator_id=operator["id"],
                    identity=identity,
                    password=f"bench-password-{identity.lower()}",
                ),
            )


async def create_postgres_database() -> tuple[str, str]:
    name = f"cpo_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    return name, f"{base}/{name}"


async def drop_postgres_database(name: str) -> None:
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def count_samples(database_url: str) -> int:
    from cpo.sessions.tables import MeterSample

    async with database.database(database_url):
        return int(await MeterSample.count())


async def main(arguments: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="cpo-bench-"))
    postgres_name = None
    try:
        if arguments.database == "postgres":
            postgres_name, database_url = await create_postgres_database()
        else:
            database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        await prepare_database(database_url, arguments.chargers)

        bare = None
        if not arguments.skip_baseline:
            bare_port = free_port()
            async with server(
                [sys.executable, "-m", "tests.benchmarks.bare_central_system", str(bare_port)],
                bare_port,
                {},
                health=False,
            ):
                bare = await drive(
                    "ocpp package, no persistence",
                    f"ws://127.0.0.1:{bare_port}",
                    arguments.chargers,
                    arguments.seconds,
                    arguments.warm_up,
                    auth=False,
                )

        our_port = free_port()
        environment = {
            "DATABASE_URL": database_url,
            "CPO_PORT": str(our_port),
            "CPO_LOG_LEVEL": "WARNING",
            "CPO_AUTO_REGISTRATION": "off",
        }
        samples_before = await count_samples(database_url)
        command = [sys.executable, "-m", "cpo.cli", "run"]
        if arguments.profile:
            # Flame-graph data of our server (py-spy must be installed in the virtualenv).
            command = [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--format",
                "raw",
                "-o",
                arguments.profile,
                "--",
                *command,
            ]
        async with server(command, our_port, environment, health=True):
            ours = await drive(
                f"our bridge, persisting ({arguments.database})",
                f"ws://127.0.0.1:{our_port}/ocpp",
                arguments.chargers,
                arguments.seconds,
                arguments.warm_up,
                auth=True,
            )
        samples_written = await count_samples(database_url) - samples_before
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if postgres_name:
            await drop_postgres_database(postgres_name)

    print(
        f"\nOCPP bridge benchmark: {arguments.chargers} chargers, MeterValues with 4 sampled values, "
        f"{arguments.seconds:g} s measured after {arguments.warm_up:g} s warm-up, {os.cpu_count()} cores\n"
    )
    print(f"{'server':44} {'calls/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for result in (bare, ours):
        if result is not None:
            print(
                f"{result.name:44} {result.calls_per_second:10.0f} {result.percentile(0.5):8.2f} {result.percentile(0.99):8.2f}"
            )
    if bare is not None:
        print(
            f"\nratio ours / bare: {ours.calls_per_second / bare.calls_per_second:.2f}x calls/s, "
            f"p50 {ours.percentile(0.5) / bare.percentile(0.5):.2f}x, p99 {ours.percentile(0.99) / bare.percentile(0.99):.2f}x"
        )
    print(
        f"samples persisted by our bridge: {samples_written} "
        f"(every acknowledged call: {samples_written >= ours.calls * 4})"
    )


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chargers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warm-up", type=float, default=2.0)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--skip-baseline", action="store_true", help="measure our bridge only")
    parser.add_argument("--profile", metavar="FILE", help="record our server with py-spy into FILE")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_arguments()))
