# Single entry points. A fresh machine needs Python 3.11+ and make; everything else is
# installed into .venv by the first target that needs it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint bench clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is needed" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

## run: the demo platform on http://127.0.0.1:8000 (SQLite, demo data, simulated chargers)
run: $(INSTALLED)
	$(BIN)/cpo run --demo

## test: the whole test suite (SQLite; PostgreSQL too where reachable), lint and types included
test: $(INSTALLED)
	$(BIN)/pytest

## lint: only the static checks (also part of `make test`)
lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## bench: the OCPP bridge benchmark (ours vs. the bare ocpp package), figures to stdout
bench: $(INSTALLED)
	$(BIN)/python -m tests.benchmarks.ocpp_bridge

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
