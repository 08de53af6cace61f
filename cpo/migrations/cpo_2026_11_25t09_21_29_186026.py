from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-25T09:21:29:186026"
VERSION = "1.38.0"
DESCRIPTION = "CDR numbering and immutability, one tariff assignment per scope"

INDEXES = (
    # One original record per session; gap-free numbers per operator.
    'CREATE UNIQUE INDEX IF NOT EXISTS "cdrs_one_per_session" ON "cdrs" ("session") '
    "WHERE \"kind\" = 'session'",
    'CREATE UNIQUE INDEX IF NOT EXISTS "cdrs_operator_sequence" ON "cdrs" ("operator", "sequence")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "cdrs_operator_number" ON "cdrs" ("operator", "number")',
    'CREATE INDEX IF NOT EXISTS "cdrs_operator_stopped_at" ON "cdrs" ("operator", "stopped_at")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "tariff_assignments_scope" '
    'ON "tariff_assignments" ("operator", "scope_key")',
)

# A CDR is never changed once written; corrections are new records.
SQLITE_TRIGGERS = (
    'CREATE TRIGGER IF NOT EXISTS "cdrs_immutable" BEFORE UPDATE ON "cdrs" '
    "BEGIN SELECT RAISE(ABORT, 'charge detail records are immutable'); END",
    'CREATE TRIGGER IF NOT EXISTS "cdrs_undeletable" BEFORE DELETE ON "cdrs" '
    "BEGIN SELECT RAISE(ABORT, 'charge detail records are immutable'); END",
)
POSTGRES_TRIGGERS = (
    """
    CREATE OR REPLACE FUNCTION cdrs_immutable() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'charge detail records are immutable';
    END;
    $$ LANGUAGE plpgsql
    """,
    'DROP TRIGGER IF EXISTS "cdrs_immutable" ON "cdrs"',
    'CREATE TRIGGER "cdrs_immutable" BEFORE UPDATE OR DELETE ON "cdrs" '
    "FOR EACH ROW EXECUTE FUNCTION cdrs_immutable()",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cpo", description=DESCRIPTION)

    async def create() -> None:
        # Looked up on every run: a process may migrate more than one database.
        engine = engine_finder()
        assert engine is not None
        triggers = SQLITE_TRIGGERS if engine.engine_type == "sqlite" else POSTGRES_TRIGGERS
        for statement in (*INDEXES, *triggers):
            await engine.run_ddl(statement)

    manager.add_raw(create)
    return manager
