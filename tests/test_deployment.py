"""What a newcomer and an operator rely on stays true: README, Dockerfile, compose file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from cpo.settings import environment_names

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_COMPOSE = os.environ.get("CPO_TEST_REQUIRE_COMPOSE") == "1"


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [
        variable for variable in environment_names().values() if f"`{variable}`" not in readme
    ]
    assert not missing, f"settings missing from the README's configuration table: {missing}"


def test_readme_names_the_two_commands_the_makefile_has() -> None:
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("run", "test"):
        assert f"make {target}" in readme
        assert re.search(rf"^{target}:", makefile, re.MULTILINE)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_docker_image_contains_every_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {
        pattern.rstrip("*")
        for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in packages:
        if (ROOT / package).is_dir():
            assert f"COPY {package} ./{package}" in dockerfile, package


def _compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(
            ["docker", "compose", "version"],  # noqa: S607 (found on PATH just above)
            capture_output=True,
            check=False,
        )
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_compose_file_is_accepted_by_docker_compose() -> None:
    command = _compose_command()
    if command is None:
        reason = "neither `docker compose` nor `docker-compose` is installed"
        if REQUIRE_COMPOSE:
            pytest.fail(reason)
        pytest.skip(reason)
    result = subprocess.run(  # noqa: S603
        [*command, "-f", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "POSTGRES_PASSWORD": "test"},
    )
    assert result.returncode == 0, result.stderr
