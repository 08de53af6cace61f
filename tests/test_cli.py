"""The `cpo` command as an operator types it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def cpo(*arguments: str, database: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "cpo.cli", *arguments],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{database}", "CPO_LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "cli.sqlite3"


def test_migrate_seed_and_add_stations(database: Path) -> None:
    migrated = cpo("migrate", database=database)
    assert migrated.returncode == 0, migrated.stderr
    assert "is up to date" in migrated.stdout
    assert cpo("migrate", database=database).returncode == 0

    seeded = cpo("seed-demo", database=database)
    assert seeded.stdout.strip() == "demo operator created"
    assert cpo("seed-demo", database=database).stdout.strip() == "demo operator exists already"

    generated = cpo(
        "station", "add", "ACME-0042", "--evse", "DE*DEM*E0042*1:1:22000:AC", database=database
    )
    assert generated.returncode == 0, generated.stderr
    assert "ws://localhost:8000/ocpp/ACME-0042" in generated.stdout
    password_line = next(line for line in generated.stdout.splitlines() if "password" in line)
    assert len(password_line.split()[1]) >= 16

    chosen = cpo(
        "station", "add", "ACME-0043", "--password", "a-chosen-password-123", database=database
    )
    assert chosen.returncode == 0
    assert "password" not in chosen.stdout

    duplicate = cpo(
        "station", "add", "ACME-0043", "--password", "a-chosen-password-123", database=database
    )
    assert duplicate.returncode == 1
    assert "exists" in duplicate.stderr

    weak = cpo("station", "add", "ACME-0044", "--password", "short", database=database)
    assert weak.returncode == 1
    assert "16 to 40 characters" in weak.stderr

    taken_evse = cpo("station", "add", "ACME-0045", "--evse", "de*dem*e0042*1", database=database)
    assert taken_evse.returncode == 1
    assert "already in use" in taken_evse.stderr


def test_bad_settings_are_reported_not_raised(database: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cpo.cli", "migrate"],
        cwd=ROOT,
        env={**os.environ, "CPO_PORT": "not-a-port"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "CPO_PORT" in result.stderr
    assert "Traceback" not in result.stderr
