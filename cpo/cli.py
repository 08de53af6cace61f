"""The `cpo` command: run the platform, migrate, seed the demo, simulate chargers, add stations.

This is an entry point, so it may assemble adapters (the API app, the simulator); nothing
else in `cpo` does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Coroutine, Sequence
from typing import Any
from urllib.parse import quote

from cpo import database
from cpo.context import Context
from cpo.errors import DomainError
from cpo.logs import configure_logging
from cpo.settings import Settings, SettingsError, settings_from_env

log = logging.getLogger("cpo")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    try:
        settings = settings_from_env()
    except SettingsError as error:
        print(f"cpo: {error}", file=sys.stderr)
        return 2
    configure_logging(settings)
    try:
        return int(_run_event_loop(arguments.handler(settings, arguments)) or 0)
    except DomainError as error:
        print(f"cpo: {error.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _run_event_loop(main: Coroutine[Any, Any, int]) -> int:
    """uvloop where it exists (Linux, macOS): the OCPP bridge and the API are I/O bound."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cpo", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the platform (API, web app, OCPP endpoint)")
    run.add_argument(
        "--demo",
        action="store_true",
        help="migrate, seed the demo operator and start simulated chargers for its stations",
    )
    run.add_argument("--migrate", action="store_true", help="apply migrations before starting")
    run.set_defaults(handler=_run)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(handler=_migrate)

    seed = commands.add_parser("seed-demo", help="create the demo operator, stations and cards")
    seed.set_defaults(handler=_seed_demo)

    simulate = commands.add_parser("simulate", help="run simulated OCPP 1.6 charge stations")
    simulate.add_argument(
        "stations",
        nargs="*",
        metavar="IDENTITY[:PASSWORD]",
        help="stations to simulate (default: the demo stations)",
    )
    simulate.add_argument("--url", help="OCPP endpoint (default: this platform's)")
    simulate.add_argument("--connectors", type=int, default=2, help="connectors per station")
    simulate.add_argument(
        "--meter-interval", type=float, default=10.0, help="seconds between meter values"
    )
    simulate.set_defaults(handler=_simulate)

    station = commands.add_parser("station", help="manage charge stations")
    station_commands = station.add_subparsers(required=True, metavar="ACTION")
    add = station_commands.add_parser("add", help="register a charge station")
    add.add_argument("identity", help="the OCPP identity (chargePointId) the station connects with")
    add.add_argument(
        "--password", help="Basic auth password, 16–40 characters (default: generated)"
    )
    add.add_argument("--operator", default=None, help="operator slug (default: the first one)")
    add.add_argument("--name", default="", help="a name operators recognise")
    add.add_argument(
        "--evse",
        action="append",
        default=[],
        metavar="EVSE_ID[:CONNECTOR[:POWER_W[:AC|DC]]]",
        help="an EVSE of the station, e.g. DE*ABC*E0001*1:1:22000:AC (repeatable)",
    )
    add.add_argument("--pending", action="store_true", help="register as Pending, not Accepted")
    add.set_defaults(handler=_station_add)

    token = commands.add_parser("api-token", help="manage admin API tokens")
    token_commands = token.add_subparsers(required=True, metavar="ACTION")
    create = token_commands.add_parser("create", help="create an admin API token (shown once)")
    create.add_argument("--operator", default=None, help="operator slug (default: the first one)")
    create.add_argument(
        "--name", required=True, help="what the token is for, e.g. 'billing export'"
    )
    create.set_defaults(handler=_api_token_create)
    return parser


async def _run(settings: Settings, arguments: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from ocpp_bridge.bridge import MAX_FRAME_BYTES, WEBSOCKET_IMPLEMENTATION

    engine = await database.open_database(settings.database_url)
    try:
        if arguments.demo or arguments.migrate:
            await database.migrate(engine, quiet=True)
        ctx = Context(settings)
        if arguments.demo:
            from cpo.demo import seed_demo

            if await seed_demo(ctx):
                log.info("demo operator created")
        app = create_app(settings, manage_database=False)
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=settings.host,
                port=settings.port,
                ws=WEBSOCKET_IMPLEMENTATION,
                ws_max_size=MAX_FRAME_BYTES,
                log_config=None,
                lifespan="on",
            )
        )
        serving = asyncio.create_task(server.serve())
        while not server.started and not serving.done():  # noqa: ASYNC110 (uvicorn has no event)
            await asyncio.sleep(0.05)
        if serving.done():
            return 1
        simulation = None
        fake_payments = None
        if arguments.demo:
            from ocpp_bridge.simulator import run_demo_fleet
            from payments.demo import start_demo_payments

            fake_payments = await start_demo_payments(settings)
            simulation = asyncio.create_task(run_demo_fleet(settings.ocpp_url))
        _print_urls(settings, demo=arguments.demo)
        await serving
        if simulation is not None:
            simulation.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await simulation
        if fake_payments is not None:
            await fake_payments.stop()
        return 0
    finally:
        await database.close_database(engine)


def _print_urls(settings: Settings, *, demo: bool) -> None:
    lines = [
        "",
        "  Charge point operator platform is running",
        f"    API health     {settings.base_url}/api/health",
        f"    API reference  {settings.base_url}/schema/swagger",
        f"    OCPP 1.6J      {settings.ocpp_url}/<charge point identity>",
        f"    Drivers' app   {settings.base_url}/  (a charger: {settings.base_url}/c/<EVSE ID>)",
    ]
    if demo:
        from cpo.demo import (
            DEMO_ANNA_EMAIL,
            DEMO_API_TOKEN,
            DEMO_BEN_EMAIL,
            DEMO_CARDS,
            DEMO_DEBITS_SETTLE_AFTER_S,
            DEMO_FLEET_MANAGER_EMAIL,
            DEMO_METHODS_ON_FILE,
            DEMO_OPERATOR_ADMIN_EMAIL,
            DEMO_PLATFORM_ADMIN_EMAIL,
            DEMO_STATIONS,
            demo_payments_url,
        )

        lines.append(
            "  Demo charge points: open one on a phone (or a phone-sized window) to pay and charge"
        )
        lines += [
            f"    {settings.base_url}/c/{quote(evse.evse_id, safe='*')}"
            for station in DEMO_STATIONS
            for evse in station.evses
        ]
        lines.append(
            f"  Contract customers: log in at {settings.base_url}/login as {DEMO_ANNA_EMAIL}"
            f" (AC price) or {DEMO_BEN_EMAIL} (employee, free); without CPO_SMTP_URL the"
            f" login mail is an .eml file in {settings.outbox_dir}/"
        )
        lines.append(
            f"  Fleet manager: log in as {DEMO_FLEET_MANAGER_EMAIL} (Musterbau GmbH) and open"
            f" {settings.base_url}/account/fleet: the company's cards and sessions per cost centre"
        )
        lines.append(
            f"  Admin mode: log in at {settings.base_url}/login as {DEMO_OPERATOR_ADMIN_EMAIL}"
            f" (the operator's admin) or {DEMO_PLATFORM_ADMIN_EMAIL} (creates operators)"
        )
        lines.append("  Demo stations (simulated; identity and Basic auth password)")
        lines += [f"    {station.identity:<14} {station.password}" for station in DEMO_STATIONS]
        lines.append(f"  Admin API token  {DEMO_API_TOKEN}")
        lines.append(
            f"  Payments         local fake of Stripe and PayPal at {demo_payments_url(settings)};"
            " test cards 4242 4242 4242 4242 (paid), 4000 0000 0000 0002 (declined),"
            " 4000 0027 6000 3184 (3-D Secure)"
        )
        lines.append(
            f"  Methods on file  {settings.base_url}/account/payment (logged in as"
            f" {DEMO_ANNA_EMAIL}): {DEMO_METHODS_ON_FILE}; SEPA debits settle after"
            f" {DEMO_DEBITS_SETTLE_AFTER_S:g} s"
        )
        lines.append("  Demo RFID cards")
        lines += [f"    {card.uid:<16} {card.label}" for card in DEMO_CARDS]
        if settings.auto_registration.value != "off":
            lines.append(
                f"  Any other charger may join: auto-registration is {settings.auto_registration}"
            )
    print("\n".join([*lines, ""]), flush=True)


async def _migrate(settings: Settings, arguments: argparse.Namespace) -> int:
    async with database.database(settings.database_url) as engine:
        await database.migrate(engine)
    print(f"database {database.describe(settings.database_url)} is up to date")
    return 0


async def _seed_demo(settings: Settings, arguments: argparse.Namespace) -> int:
    from cpo.demo import seed_demo

    async with database.database(settings.database_url):
        created = await seed_demo(Context(settings))
    print("demo operator created" if created else "demo operator exists already")
    return 0


async def _simulate(settings: Settings, arguments: argparse.Namespace) -> int:
    from ocpp_bridge.simulator import run_demo_fleet, run_fleet

    url = arguments.url or settings.ocpp_url
    if not arguments.stations:
        await run_demo_fleet(url, meter_interval_s=arguments.meter_interval)
        return 0
    stations = []
    for spec in arguments.stations:
        identity, _, password = spec.partition(":")
        stations.append((identity, password or None))
    await run_fleet(
        url,
        stations,
        connectors=arguments.connectors,
        meter_interval_s=arguments.meter_interval,
    )
    return 0


async def _station_add(settings: Settings, arguments: argparse.Namespace) -> int:
    from cpo.operators.tables import Operator
    from cpo.stations import passwords
    from cpo.stations import service as stations
    from cpo.stations.enums import CurrentType, RegistrationStatus
    from cpo.stations.schemas import EvseSpec, StationRegistration

    evses: list[EvseSpec] = []
    for spec in arguments.evse:
        parts = spec.split(":")
        evses.append(
            EvseSpec(
                evse_id=parts[0],
                ocpp_connector_id=int(parts[1]) if len(parts) > 1 else len(evses) + 1,
                max_power_w=int(parts[2]) if len(parts) > 2 else 11_000,
                current_type=CurrentType(parts[3].upper()) if len(parts) > 3 else CurrentType.AC,
            )
        )
    generated = arguments.password is None
    password = passwords.generate_password() if generated else arguments.password
    async with database.database(settings.database_url):
        query = Operator.select(Operator.id, Operator.slug).order_by(Operator.id)
        if arguments.operator:
            query = query.where(Operator.slug == arguments.operator)
        operator = await query.first()
        if operator is None:
            print(
                "cpo: no such operator (run `cpo seed-demo` or create one first)", file=sys.stderr
            )
            return 1
        await stations.register_station(
            Context(settings),
            StationRegistration(
                operator_id=operator["id"],
                identity=arguments.identity,
                password=password,
                name=arguments.name,
                registration_status=RegistrationStatus.PENDING
                if arguments.pending
                else RegistrationStatus.ACCEPTED,
                evses=tuple(evses),
            ),
        )
    print(f"station {arguments.identity} registered for operator {operator['slug']}")
    print(f"  OCPP URL  {settings.ocpp_url}/{arguments.identity}")
    if generated:
        print(f"  password  {password}   (shown once: set it as the station's AuthorizationKey)")
    return 0


async def _api_token_create(settings: Settings, arguments: argparse.Namespace) -> int:
    from cpo.operators.service import create_api_token
    from cpo.operators.tables import Operator

    async with database.database(settings.database_url):
        query = Operator.select(Operator.id, Operator.slug).order_by(Operator.id)
        if arguments.operator:
            query = query.where(Operator.slug == arguments.operator)
        operator = await query.first()
        if operator is None:
            print("cpo: no such operator", file=sys.stderr)
            return 1
        token, _ = await create_api_token(Context(settings), operator["id"], arguments.name)
    print(f"API token for operator {operator['slug']} (shown once):")
    print(f"  {token}")
    print(f"  curl -H 'Authorization: Bearer {token}' {settings.base_url}/api/admin/tariffs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
