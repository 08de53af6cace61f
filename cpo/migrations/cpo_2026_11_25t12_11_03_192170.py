from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-25T12:11:03:192170"
VERSION = "1.38.0"
DESCRIPTION = "Monthly reports never change once stored"

INDEXES = (
    'CREATE INDEX IF NOT EXISTS "monthly_reports_operator_month" '
    'ON "monthly_reports" ("operator", "month")',
)
# A stored report is never changed: making it again adds a version. (Deleting stays
# possible, so that removing an operator removes its reports.)
SQLITE_TRIGGERS = (
    'CREATE TRIGGER IF NOT EXISTS "monthly_reports_immutable" BEFORE UPDATE ON "monthly_reports" '
    "BEGIN SELECT RAISE(ABORT, 'stored monthly reports are immutable'); END",
)
POSTGRES_TRIGGERS = (
    """
    CREATE OR REPLACE FUNCTION monthly_reports_immutable() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'stored monthly reports are immutable';
    END;
    $$ LANGUAGE plpgsql
    """,
    'DROP TRIGGER IF EXISTS "monthly_reports_immutable" ON "monthly_reports"',
    'CREATE TRIGGER "monthly_reports_immutable" BEFORE UPDATE ON "monthly_reports" '
    "FOR EACH ROW EXECUTE FUNCTION monthly_reports_immutable()",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="cpo", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        triggers = SQLITE_TRIGGERS if engine.engine_type == "sqlite" else POSTGRES_TRIGGERS
        for statement in (*INDEXES, *triggers):
            await engine.run_ddl(statement)

    manager.add_raw(create)
    return manager
