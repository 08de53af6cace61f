from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-25T10:42:26:201589"
VERSION = "1.38.0"
DESCRIPTION = "one user per e-mail address and operator; login throttle lookups"

STATEMENTS = (
    'CREATE UNIQUE INDEX IF NOT EXISTS "users_operator_email_key" '
    'ON "users" ("operator", "email_key")',
    'CREATE INDEX IF NOT EXISTS "auth_throttle_scope_key_created" '
    'ON "auth_throttle" ("scope", "key_hash", "created_at")',
    'CREATE INDEX IF NOT EXISTS "auth_throttle_created" ON "auth_throttle" ("created_at")',
    'CREATE INDEX IF NOT EXISTS "webauthn_challenges_expires" '
    'ON "webauthn_challenges" ("expires_at")',
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
