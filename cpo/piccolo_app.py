"""Piccolo app registration: our tables and the folder of their migrations."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from cpo.tables import ALL_TABLES

APP_CONFIG = AppConfig(
    app_name="cpo",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=list(ALL_TABLES),
    migration_dependencies=[],
    commands=[],
)
