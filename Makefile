# Temporary assistance (临时救助) — one command to run, one to test. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run demo test test-unit lint up down status helm bench clean

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e ".[dev]"
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

install: $(STAMP) ## create .venv and install the pinned dependencies

run: install ## standalone: all five services in one process, embedded PostgreSQL, in-process bus
	$(BIN)/python -m services standalone --host $(HOST) --port $(PORT)

demo: install ## demo cases through the APIs of a running `make run` (then open /oversight/)
	$(BIN)/python -m services demo --url http://$(HOST):$(PORT) $(ARGS)

test: install ## the whole suite on real PostgreSQL and Kafka (started and stopped here)
	PYTHON=$(BIN)/python bash scripts/test.sh $(ARGS)

test-unit: install ## only the fast unit tests (no infrastructure)
	$(BIN)/python -m pytest -q tests/unit $(ARGS)

lint: install ## ruff (rules and formatting) and mypy (strict on shared/ and domain/), as CI runs them
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

up: install ## distributed, locally: Kafka + PostgreSQL + six service processes (ports 8001-8006)
	PYTHON=$(BIN)/python bash scripts/up.sh start

down: ## stop what `make up` started
	PYTHON=$(BIN)/python bash scripts/up.sh stop

status: ## what `make up` is running
	PYTHON=$(BIN)/python bash scripts/up.sh status

helm: ## build the real helm binary (Go module proxy) into .cache/bin
	bash scripts/helm.sh

clean: ## remove run state (databases, broker data, logs); keeps downloads in .cache
	-PYTHON=$(BIN)/python bash scripts/up.sh stop
	rm -rf .run artifacts

bench: install ## the distributed pipeline at max and half load beside pgbench, a bare echo and Kafka (artifacts/bench)
	$(BIN)/python scripts/bench.py $(ARGS)
