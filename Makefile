# Crypto Analytics Platform: developer and CI entry points (see shared ARCHITECTURE.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
PYTHON_FOR_VENV := $(shell command -v python3.11 || command -v python3)

TEST_ENV := CAP_TEST_POSTGRES_DSN=postgresql://cap:cap@127.0.0.1:5432/cap_test \
            CAP_TEST_REDIS_URL=redis://127.0.0.1:6379/15 \
            CAP_TEST_KAFKA_BOOTSTRAP=127.0.0.1:9092

.PHONY: help venv run services services-stop services-status lint test bench clean distclean

help:
	@echo "make venv | run | services | services-stop | services-status | lint | test | bench | clean | distclean"

venv: $(STAMP)

# $(wildcard ...): no "No rule to make target pyproject.toml" before the project file exists.
$(STAMP): $(wildcard pyproject.toml)
	$(PYTHON_FOR_VENV) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	@if [ -f pyproject.toml ]; then \
	  echo "$(BIN)/pip install -q -e '.[dev]'"; $(BIN)/pip install -q -e '.[dev]'; \
	else echo "no pyproject.toml yet: skipping the project install"; fi
	@if [ -f pyproject.toml ]; then touch $@; fi

run: venv
	$(BIN)/cap serve

services:
	bash scripts/services.sh start

services-stop:
	bash scripts/services.sh stop

services-status:
	bash scripts/services.sh status

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy domain application adapters entrypoints bootstrap
	$(BIN)/lint-imports

test: venv services lint
	$(TEST_ENV) $(BIN)/pytest

bench: venv services
	$(TEST_ENV) $(PY) -m bench

clean:
	rm -rf .mypy_cache .ruff_cache .pytest_cache build dist *.egg-info .coverage htmlcov \
	       bench-results bench/results .benchmarks
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# Also stops the services this repo started and drops the venv and .cache (Kafka jars and data).
distclean: clean
	-bash scripts/services.sh stop
	rm -rf $(VENV) .cache .data
