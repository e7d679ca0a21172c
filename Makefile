# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
WORKERS ?= 4
METRICS_DIR ?= instance/prometheus

.PHONY: setup frontend run serve lint test test-sqlite test-postgres bench lock golden-states

ASSETS := webapp/static/build/.built

LOCK := requirements.lock

# The venv holds exactly the hashed set in the lock file, so every machine runs what the suite passed with;
# the project itself goes in without dependencies and builds with the lock's setuptools.
$(BIN)/govflow: $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes -r $(LOCK)
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $@

# Re-resolve the lock after pyproject.toml changed, keeping the pins it still allows; UPGRADE=1 moves every
# package to the newest release pyproject.toml allows. Installs pip-tools into the venv first.
lock:
	test -x $(BIN)/pip || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q pip-tools
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile -q --generate-hashes --allow-unsafe --all-build-deps \
		--extra test --extra lint --strip-extras --no-emit-index-url --no-emit-find-links \
		$(if $(UPGRADE),--upgrade) -o $(LOCK) pyproject.toml

# Browser assets (rjsf forms, bpmn-js viewer, Swagger UI) are bundled from npm packages, never fetched at run time.
$(ASSETS): frontend/package.json frontend/package-lock.json frontend/build.mjs $(wildcard frontend/src/*)
	cd frontend && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && npm run --silent build
	touch $@

frontend: $(ASSETS)

setup: $(BIN)/govflow $(ASSETS)

run: setup
	$(BIN)/govflow db upgrade
	$(BIN)/govflow deploy --all
	$(BIN)/govflow users demo
	$(BIN)/flask --app webapp run --host $(HOST) --port $(PORT)

# Production: a WSGI server with several workers on the configured database (README, "Running in production").
serve: setup
	$(BIN)/govflow db upgrade
	rm -rf $(METRICS_DIR) && mkdir -p $(METRICS_DIR)
	PROMETHEUS_MULTIPROC_DIR=$(METRICS_DIR) $(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) \
		--timeout 60 --graceful-timeout 30 'webapp:create_app()'

test: lint test-sqlite test-postgres

# mypy reads its targets and per-package strictness from pyproject.toml.
lint: setup
	$(BIN)/ruff check engine webapp tests bench
	$(BIN)/mypy

test-sqlite: setup
	GOVFLOW_TEST_DATABASE_URL=sqlite $(BIN)/pytest

# An empty URL would mean SQLite to the suite, so a server that failed to start stops the run instead.
test-postgres: setup
	url="$$(scripts/postgres.sh)" && test -n "$$url" && GOVFLOW_TEST_DATABASE_URL="$$url" $(BIN)/pytest

# Stored instances of every jurisdiction in the current state format; run only when that format changes.
golden-states: setup
	$(BIN)/python -m tests.jurisdictions.golden $(if $(REPLACE),--replace)

bench: setup
	url="$$(scripts/postgres.sh)" && test -n "$$url" && \
		GOVFLOW_BENCH_POSTGRES_URL="$$(echo "$$url" | sed "s/govflow_test$$/govflow_bench_test/")" \
		$(BIN)/python bench/engine_bench.py
