# Two commands on a fresh machine: `make run` and `make test` (README, Quick start).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test screenshots setup setup-dev lint audit bench bench-hot clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

setup: $(VENV)/.run-deps

setup-dev: $(VENV)/.dev-deps

## Serve the demo on http://$(HOST):$(PORT) (default 127.0.0.1:5000; `make run HOST=0.0.0.0
## PORT=8080` for other machines), SQLite under instance/, with the outbox worker in the
## background (stopped with the server). Phones need HTTPS: see README, "Deployment".
HOST ?= 127.0.0.1
PORT ?= 5000
SHOW_HOST = $(if $(filter 0.0.0.0 ::,$(HOST)),$(shell hostname -I 2>/dev/null | cut -d' ' -f1 | grep . || echo 127.0.0.1),$(HOST))
run: setup
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@echo ""
	@echo "  Field app (phones):  http://$(SHOW_HOST):$(PORT)/app/"
	@echo "  Staff console:       http://$(SHOW_HOST):$(PORT)/admin/"
	@echo "  Demo accounts:       captain, branch, committee, partner, volunteer, member, admin"
	@echo "                       (password tongxin-demo; the full list is in README, \"Demo accounts\")"
	@echo "  Phones on the network need https:// (README, \"Deployment\"); plain http works on this machine."
	@echo ""
	$(FLASK) worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

## Run every test (PostgreSQL tests: set TEST_DATABASE_URL; browser tests need Chromium), in
## parallel processes (pytest-xdist, one per core; TEST_WORKERS=0 for one process). Each worker
## has its own SQLite file or PostgreSQL database (tests/conftest.py). worksteal: a worker that
## runs out of tests takes half of another's, so the long browser and server tests spread.
## PYTHONDONTWRITEBYTECODE is emptied: the suite starts some twenty Python processes (workers,
## gunicorns, CLI commands) and each would compile app/ again (0.25 s each here).
TEST_WORKERS ?= auto
test: setup-dev
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

## The browser tests again, saving a picture of each screen they reach in test-artifacts/
## (README's pictures in docs/screenshots/ are copied from there). make test takes none.
screenshots: setup-dev
	TEST_SCREENSHOTS=1 PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_WORKERS) \
	  --dist worksteal -m browser $(PYTEST_ARGS)
	@echo "pictures in test-artifacts/"

## ruff, then the layers of app/ (.importlinter: no upward import, no circle).
lint: setup-dev
	$(BIN)/ruff check app tests bench
	$(BIN)/lint-imports

## Known vulnerabilities in every pinned package. pip-audit where PyPI's per-release JSON
## answers; where only the project JSON answers (this workplace), .ci/audit.py checks every pin
## at its latest release against the vulnerabilities PyPI lists and names the others.
AUDIT_PROBE := https://pypi.org/pypi/$(shell sed -n 's/^\([A-Za-z0-9_.-]*\)==\(.*\)$$/\1\/\2/p' requirements.txt | head -n1)/json
audit:
	@if curl -sf -m 10 -o /dev/null $(AUDIT_PROBE); then \
	  $(PYTHON) -m venv .venv-audit && .venv-audit/bin/pip install -q pip-audit==2.9.0 && \
	  .venv-audit/bin/pip-audit --strict --no-deps --disable-pip -r requirements-dev.txt; \
	else \
	  echo "pip-audit cannot run here ($(AUDIT_PROBE) unreachable); auditing with PyPI's project JSON"; \
	  $(PYTHON) .ci/audit.py requirements.txt requirements-dev.txt; \
	fi

bench: setup-dev
	$(BIN)/python bench/run.py

## In-process hot paths (schema building, validation, routing) with pytest-benchmark.
bench-hot: setup-dev
	$(BIN)/python -m pytest bench/test_hot_paths.py --benchmark-columns=min,median,mean,ops

clean:
	rm -rf $(VENV) instance .pytest_cache test-artifacts
