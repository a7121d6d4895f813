# Two commands set up everything on a fresh machine with Python 3.11 and make:
#   make run   - create .venv, install the pinned set, load every quarter in $(MTM_DATA_DIR)/raw
#   make test  - same set-up, then run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

export MTM_DATA_DIR ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(abspath $(MTM_DATA_DIR))/dagster_home
export GX_ANALYTICS_ENABLED := false
export DAGSTER_DISABLE_TELEMETRY := 1

.PHONY: run test ui install lint backup list-backups restore rebuild

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==24.3.1"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

run: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m mtm_pipeline.cli run

test: $(STAMP)
	$(BIN)/python -m pytest

ui: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

# Warehouse maintenance (see docs/reliability.md)
backup: $(STAMP)
	$(BIN)/python -m mtm_pipeline.maintenance backup

list-backups: $(STAMP)
	$(BIN)/python -m mtm_pipeline.maintenance list-backups

restore: $(STAMP)
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=<file from make list-backups>"; exit 2; }
	$(BIN)/python -m mtm_pipeline.maintenance restore "$(BACKUP)"

# Load every quarter in raw/ into a new warehouse file and swap it in when it lost no published quarter
# (the old warehouse is kept as a backup; see docs/reliability.md).
rebuild: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m mtm_pipeline.maintenance rebuild
