"""Fixtures shared by every test: databases (SQLite and PostgreSQL), the app, the demo data.

Database-backed tests run once per engine. PostgreSQL tests run whenever a server is
reachable (CPO_TEST_POSTGRES_URL, default the local one) and are skipped with the reason
otherwise; CI sets CPO_TEST_REQUIRE_POSTGRES=1 so that a missing server fails instead. The
same holds for Redis (CPO_TEST_REDIS_URL, CPO_TEST_REQUIRE_REDIS).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis

from cpo import database
from cpo.bus import InProcessBus
from cpo.context import Context
from cpo.settings import Settings
from cpo.tables import ALL_TABLES
from tests.support.platform import RunningPlatform, start_platform

POSTGRES_ADMIN_URL = os.environ.get(
    "CPO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("CPO_TEST_REQUIRE_POSTGRES") == "1"
REDIS_URL = os.environ.get("CPO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_REDIS = os.environ.get("CPO_TEST_REQUIRE_REDIS") == "1"


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


async def _postgres_unreachable_reason() -> str | None:
    try:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        return f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable: {error}"
    await connection.close()
    return None


def _redis_unreachable_reason() -> str | None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except (redis.RedisError, OSError) as error:
        return f"Redis at {REDIS_URL} is not reachable: {error}"
    finally:
        client.close()
    return None


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server for multi-node tests; skipped (CI: failed) when none answers."""
    reason = _redis_unreachable_reason()
    if reason is not None:
        if REQUIRE_REDIS:
            pytest.fail(reason)
        pytest.skip(reason)
    return REDIS_URL


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("template") / "cpo.sqlite3"

    async def build() -> None:
        async with database.database(f"sqlite:///{path}") as engine:
            await database.migrate(engine, quiet=True)

    asyncio.run(build())
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database for this test run, dropped at the end."""
    reason = asyncio.run(_postgres_unreachable_reason())
    if reason is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"cpo_test_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        async with database.database(_with_database(POSTGRES_ADMIN_URL, name)) as engine:
            await database.migrate(engine, quiet=True)

    async def drop() -> None:
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    asyncio.run(create())
    yield _with_database(POSTGRES_ADMIN_URL, name)
    asyncio.run(drop())


async def _empty_postgres(url: str) -> None:
    tables = ", ".join(f'"{table._meta.tablename}"' for table in ALL_TABLES)
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "cpo.sqlite3"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("postgres_url")
    asyncio.run(_empty_postgres(url))
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[Any]:
    engine = await database.open_database(database_url)
    try:
        yield engine
    finally:
        await database.close_database(engine)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        port=0,
        node_id="test-node",
        ocpp_validate_outgoing=True,
        ocpp_call_timeout_s=5.0,
    )


@pytest.fixture
def ctx(settings: Settings) -> Context:
    return Context(settings=settings, bus=InProcessBus())


@pytest.fixture
async def demo(engine: Any, ctx: Context) -> Context:
    from cpo.demo import seed_demo

    assert await seed_demo(ctx)
    return ctx


@pytest.fixture
async def platform(demo: Context) -> AsyncIterator[RunningPlatform]:
    """The whole platform on a free port, with the demo operator seeded."""
    running = await start_platform(demo)
    try:
        yield running
    finally:
        await running.stop()
