# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: setup run lint test test-sqlite test-postgres bench

$(BIN)/govflow: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

setup: $(BIN)/govflow

run: setup
	$(BIN)/govflow init-db
	$(BIN)/govflow deploy --all --actor setup
	$(BIN)/govflow users demo
	$(BIN)/flask --app webapp run --host $(HOST) --port $(PORT)

test: lint test-sqlite test-postgres

lint: setup
	$(BIN)/ruff check engine webapp tests bench

test-sqlite: setup
	GOVFLOW_TEST_DATABASE_URL=sqlite $(BIN)/pytest

test-postgres: setup
	GOVFLOW_TEST_DATABASE_URL="$$(scripts/postgres.sh)" $(BIN)/pytest

bench: setup
	GOVFLOW_BENCH_POSTGRES_URL="$$(scripts/postgres.sh | sed "s/govflow_test$$/govflow_bench/")" \
		$(BIN)/python bench/engine_bench.py
