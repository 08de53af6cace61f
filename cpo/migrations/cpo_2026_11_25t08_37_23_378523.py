from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-25T08:37:23:378523"
VERSION = "1.38.0"
DESCRIPTION = "composite unique and lookup indexes"

# Composite uniqueness as unique indexes: SQLite cannot add table constraints after
# creation, and a unique index means the same on both engines.
STATEMENTS = (
    'CREATE UNIQUE INDEX IF NOT EXISTS "id_tokens_operator_uid" ON "id_tokens" ("operator", "uid")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "evses_station_ocpp_connector_id" '
    'ON "evses" ("station", "ocpp_connector_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "connectors_evse_connector_number" '
    'ON "connectors" ("evse", "connector_number")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "charging_sessions_station_transaction" '
    'ON "charging_sessions" ("station", "ocpp_transaction_id")',
    'CREATE INDEX IF NOT EXISTS "meter_samples_session_measured_at" '
    'ON "meter_samples" ("session", "measured_at")',
    'CREATE INDEX IF NOT EXISTS "connector_status_events_station_received_at" '
    'ON "connector_status_events" ("station", "received_at")',
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cpo", description=DESCRIPTION)

    async def create_indexes() -> None:
        # Looked up on every run: a process may migrate more than one database.
        engine = engine_finder()
        assert engine is not None
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
