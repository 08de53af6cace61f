"""The migrations describe exactly the tables in the code, and apply on both engines."""

from __future__ import annotations

from typing import Any

from piccolo.apps.migrations.commands.new import AutoMigrationManager

from cpo import database
from cpo.piccolo_app import APP_CONFIG
from cpo.tables import ALL_TABLES


async def test_no_table_change_lacks_a_migration(engine: Any) -> None:
    alterations = await AutoMigrationManager(auto_input="y").get_alter_statements(APP_CONFIG)
    pending = [statement for alteration in alterations for statement in alteration.statements]
    assert not pending, (
        "tables changed without a migration; run "
        "`PICCOLO_CONF=cpo.piccolo_conf piccolo migrations new cpo --auto`:\n" + "\n".join(pending)
    )


async def test_migrating_again_changes_nothing_and_every_table_answers(engine: Any) -> None:
    await database.migrate(engine, quiet=True)
    for table in ALL_TABLES:
        assert await table.count() == 0
