"""Database engines, table binding, transactions and migrations.

Piccolo binds tables to an engine through `Table._meta.db`; `bind()` points every table of
ours (and Piccolo's migration table) at one engine chosen from the settings, so the same code
runs on the embedded SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import msgspec
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType
from piccolo.table import Table

SQLITE_POOL_SIZE = 8
T = TypeVar("T")


class DatabaseUrlError(ValueError):
    pass


def sqlite_path(database_url: str) -> str | None:
    """The file path of a `sqlite:///relative` or `sqlite:////absolute` URL, else None."""
    if not database_url.startswith("sqlite:"):
        return None
    path = database_url.removeprefix("sqlite:").removeprefix("//")
    # sqlite:///cpo.sqlite3 is relative, sqlite:////var/lib/cpo.sqlite3 absolute.
    path = path.removeprefix("/")
    if not path:
        raise DatabaseUrlError("a sqlite URL needs a file path, e.g. sqlite:///cpo.sqlite3")
    return path


def is_postgres_url(database_url: str) -> bool:
    return urlsplit(database_url).scheme in {"postgres", "postgresql"}


class PooledSQLiteTransaction(SQLiteTransaction):
    """A transaction on a pooled connection; write transactions take the engine's write lock.

    SQLite allows one writer at a time. Serialising writers in the event loop (instead of
    letting them spin on SQLITE_BUSY in worker threads) keeps latency flat under load.
    """

    __slots__ = ("_holds_write_lock",)

    async def __aenter__(self) -> PooledSQLiteTransaction:
        if self._parent is not None:
            return self._parent  # type: ignore[return-value]
        engine: PooledSQLiteEngine = self.engine  # type: ignore[assignment]
        self._holds_write_lock = self.transaction_type is not TransactionType.deferred
        if self._holds_write_lock:
            await engine.write_lock.acquire()
        try:
            self.connection = await engine.get_connection()
            try:
                await self.begin()
            except BaseException:
                await engine.release_connection(self.connection, broken=True)
                raise
        except BaseException:
            if self._holds_write_lock:
                engine.write_lock.release()
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        engine: PooledSQLiteEngine = self.engine  # type: ignore[assignment]
        broken = False
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        except BaseException:
            broken = True
            raise
        finally:
            await engine.release_connection(self.connection, broken=broken)
            self.engine.current_transaction.reset(self.context)
            if self._holds_write_lock:
                engine.write_lock.release()
        return exception is None


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine opens a new connection (and thread) for every query.

    This one keeps a small pool of configured connections in WAL mode with full
    synchronisation, so an acknowledged write survives a crash or power loss.
    """

    def __init__(self, path: str, pool_size: int = SQLITE_POOL_SIZE) -> None:
        super().__init__(path=path, timeout=30.0)
        self._pool_size = pool_size
        self._idle: list[Any] = []
        self._write_lock: asyncio.Lock | None = None

    @property
    def write_lock(self) -> asyncio.Lock:
        if self._write_lock is None:
            self._write_lock = asyncio.Lock()
        return self._write_lock

    async def get_connection(self) -> Any:
        if self._idle:
            return self._idle.pop()
        import aiosqlite

        connection = await aiosqlite.connect(**self.connection_kwargs)
        connection.row_factory = _dict_row  # type: ignore[assignment]
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA synchronous = FULL")
        await connection.execute("PRAGMA foreign_keys = 1")
        await connection.execute("PRAGMA busy_timeout = 30000")
        return connection

    async def release_connection(self, connection: Any, *, broken: bool = False) -> None:
        if broken or connection.in_transaction or len(self._idle) >= self._pool_size:
            await connection.close()
        else:
            self._idle.append(connection)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
    ) -> PooledSQLiteTransaction:
        return PooledSQLiteTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: type[Table] | None = None,
    ) -> Any:
        connection = await self.get_connection()
        broken = False
        try:
            async with connection.execute(query, args or []) as cursor:
                return await cursor.fetchall()
        except sqlite3.Error:
            broken = True
            raise
        finally:
            await self.release_connection(connection, broken=broken)

    async def write_batch(self, steps: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        """One write transaction in a single trip to the connection's thread (see write_batch)."""
        async with self.write_lock:
            connection = await self.get_connection()
            broken = False
            try:
                # aiosqlite's way of running a function in the connection's own thread.
                await connection._execute(_run_batch, connection._conn, steps)
            except BaseException:
                broken = True
                raise
            finally:
                await self.release_connection(connection, broken=broken)

    async def _run_in_existing_connection(
        self,
        connection: Any,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: type[Table] | None = None,
    ) -> Any:
        async with connection.execute(query, args or []) as cursor:
            return await cursor.fetchall()


def _run_batch(
    connection: sqlite3.Connection, steps: Sequence[tuple[str, Sequence[Sequence[Any]]]]
) -> None:
    connection.execute("BEGIN IMMEDIATE")
    try:
        for statement, rows in steps:
            if rows:
                connection.executemany(statement, rows)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _dict_row(cursor: Any, row: Sequence[Any]) -> dict[str, Any]:
    return {column[0]: row[index] for index, column in enumerate(cursor.description)}


def create_engine(database_url: str) -> Engine[Any]:
    path = sqlite_path(database_url)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return PooledSQLiteEngine(path=path)
    if is_postgres_url(database_url):
        return PostgresEngine(config={"dsn": database_url})
    raise DatabaseUrlError(
        f"unsupported DATABASE_URL scheme {urlsplit(database_url).scheme!r}: "
        "use sqlite:///file.sqlite3 or postgresql://user@host/db"
    )


_bound_engine: Engine[Any] | None = None


def bound_engine() -> Engine[Any]:
    if _bound_engine is None:
        raise RuntimeError("no database is bound: call cpo.database.bind(engine) first")
    return _bound_engine


def bind(engine: Engine[Any]) -> None:
    """Point every table (ours and Piccolo's migration table) at `engine`."""
    global _bound_engine
    from piccolo.apps.migrations.tables import Migration

    from cpo.tables import ALL_TABLES

    _bound_engine = engine
    # Piccolo's migration runner finds its engine through a configuration module.
    os.environ.setdefault("PICCOLO_CONF", "cpo.piccolo_conf")
    tables: tuple[type[Table], ...] = (*ALL_TABLES, Migration)
    for table in tables:
        table._meta.db = engine


async def open_database(database_url: str, *, pool_max_size: int = 20) -> Engine[Any]:
    engine = create_engine(database_url)
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=pool_max_size)
    bind(engine)
    return engine


async def close_database(engine: Engine[Any]) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()
    elif isinstance(engine, PooledSQLiteEngine):
        await engine.close()


def transaction() -> Any:
    """A write transaction on the bound engine (nested calls join the outer one)."""
    engine = bound_engine()
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def is_sqlite() -> bool:
    return isinstance(bound_engine(), SQLiteEngine)


async def insert_rows(
    table: type[Table], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert many rows in one round trip, inside the current transaction.

    Piccolo's insert builds a Table object per row, which costs more than the write itself
    on the meter-value hot path; this sends one prepared statement with many parameter sets.
    """
    await execute_many(insert_statement(table, columns), rows)


async def write_batch(steps: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
    """Run statements (with `?` placeholders), each for many parameter sets, as one transaction.

    The meter-value hot path: on SQLite the whole transaction is a single trip to the
    database thread instead of one per statement, which under load is what bounds how fast
    acknowledged samples can be written.
    """
    engine = bound_engine()
    if engine.current_transaction.get() is not None:
        raise RuntimeError("write_batch runs its own transaction")
    if isinstance(engine, PooledSQLiteEngine):
        await engine.write_batch(steps)
        return
    async with transaction():
        for statement, rows in steps:
            await execute_many(statement, rows)


def insert_statement(table: type[Table], columns: Sequence[str]) -> str:
    column_list = ", ".join(f'"{name}"' for name in columns)
    placeholders = ", ".join("?" for _ in columns)
    # Identifiers come from table metadata; every value is a parameter.
    return f'INSERT INTO "{table._meta.tablename}" ({column_list}) VALUES ({placeholders})'  # noqa: S608


async def execute_many(statement: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run one statement (with `?` placeholders) for many parameter sets, in one round trip,
    inside the current transaction. For hot paths only; everything else goes through Piccolo."""
    if not rows:
        return
    engine = bound_engine()
    current = engine.current_transaction.get()
    if current is None:
        raise RuntimeError("execute_many must run inside cpo.database.transaction()")
    if not isinstance(engine, SQLiteEngine):
        statement = _numbered_placeholders(statement)
    await current.connection.executemany(statement, rows)


def _numbered_placeholders(statement: str) -> str:
    """`?` placeholders (SQLite) as `$1, $2, …` (PostgreSQL).

    Our hot-path statements contain no `?` other than placeholders.
    """
    parts = statement.split("?")
    numbered = [parts[0]]
    for index, part in enumerate(parts[1:], start=1):
        numbered.append(f"${index}{part}")
    return "".join(numbered)


async def migrate(engine: Engine[Any], *, quiet: bool = False) -> None:
    """Apply every migration that has not run yet (idempotent)."""
    from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager

    from cpo import piccolo_conf

    bind(engine)
    piccolo_conf.use_engine(engine)
    manager = ForwardsMigrationManager(app_name="cpo")
    output = io.StringIO() if quiet else None
    with contextlib.redirect_stdout(output) if output else contextlib.nullcontext():
        result = await manager.run()
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}")


@contextlib.asynccontextmanager
async def database(database_url: str) -> AsyncIterator[Engine[Any]]:
    engine = await open_database(database_url)
    try:
        yield engine
    finally:
        await close_database(engine)


def from_json_column(value: Any, kind: type[T]) -> T:
    """A JSON column's value as `kind`: SQLite hands back text, PostgreSQL parsed values."""
    raw = value if isinstance(value, (str, bytes)) else msgspec.json.encode(value)
    return msgspec.json.decode(raw, type=kind)


def aggregated_moment(value: Any) -> datetime | None:
    """A MIN/MAX of a timestamp column: SQLite hands it back as text, PostgreSQL as a
    datetime (UTC when the text has no offset)."""
    if value is None or isinstance(value, datetime):
        return value
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def describe(database_url: str) -> str:
    """The URL without its password, for logs."""
    parts = urlsplit(database_url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return unquote(database_url)
