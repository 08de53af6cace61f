from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T04:47:10:882660"
VERSION = "1.38.0"
DESCRIPTION = (
    "one provider customer per customer and account; at most one active method on file per "
    "customer; one off-session charge per idempotency key"
)

STATEMENTS = (
    'CREATE UNIQUE INDEX IF NOT EXISTS "payment_customers_customer_account" '
    'ON "payment_customers" ("customer", "account")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "saved_payment_methods_one_active" '
    "ON \"saved_payment_methods\" (\"customer\") WHERE \"state\" = 'active'",
    'CREATE INDEX IF NOT EXISTS "saved_payment_methods_customer_client_key" '
    'ON "saved_payment_methods" ("customer", "client_key")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "method_charges_idempotency_key" '
    'ON "method_charges" ("idempotency_key")',
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
