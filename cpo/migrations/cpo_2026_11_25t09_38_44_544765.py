from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-25T09:38:44:544765"
VERSION = "1.38.0"
DESCRIPTION = "webhook events once per provider and id; one ad hoc session per device key"

STATEMENTS = (
    'CREATE UNIQUE INDEX IF NOT EXISTS "payment_events_provider_event" '
    'ON "payment_events" ("provider", "event_id")',
    'CREATE INDEX IF NOT EXISTS "ad_hoc_sessions_client_key" '
    'ON "ad_hoc_sessions" ("evse", "client_key")',
    'CREATE INDEX IF NOT EXISTS "ad_hoc_sessions_charging_session" '
    'ON "ad_hoc_sessions" ("charging_session")',
    'CREATE INDEX IF NOT EXISTS "ad_hoc_sessions_id_token" ON "ad_hoc_sessions" ("id_token")',
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
