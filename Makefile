# Puas: the README's two commands.
#   make run   set up, load demo data into an empty database, serve on http://127.0.0.1:5000
#   make test  set up and run every test
#   make bench every benchmark at a size that takes minutes, one table (bench/README.md)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2
THREADS ?= 4

# Customers' languages: the .po catalogues are the source; `make` compiles each to its .mo.
CATALOGUES := $(wildcard surveys/translations/*/LC_MESSAGES/messages.po)

.PHONY: run test install install-test install-replicate replicate translations messages lint clean \
	bench install-bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-replicate: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[replicate]'
	touch $@

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@

install: $(VENV)/.installed

install-replicate: $(VENV)/.installed-replicate

install-test: $(VENV)/.installed-test

install-bench: $(VENV)/.installed-bench

%.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@

translations: $(CATALOGUES:.po=.mo)

# After changing customer-facing text: collect it into the template, then into every
# catalogue, where new messages wait (empty) for a translator.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -c TRANSLATORS: --project=Puas \
	    -o surveys/translations/messages.pot surveys templates
	$(BIN)/pybabel update -i surveys/translations/messages.pot -d surveys/translations

# The demo sends invitations at once (no 60-minute delay) and polls the outbox often.
run: install translations
	$(BIN)/flask init-db
	FLASK_BASE_URL=$${FLASK_BASE_URL:-http://$(HOST):$(PORT)} $(BIN)/flask seed-demo
	@echo "Puas on http://$(HOST):$(PORT)/login (Ctrl+C stops the server and the mail worker)"
	@trap 'kill 0' INT TERM EXIT; \
	export FLASK_SEND_DELAY_MINUTES=$${FLASK_SEND_DELAY_MINUTES:-0} \
	       FLASK_OUTBOX_POLL_SECONDS=$${FLASK_OUTBOX_POLL_SECONDS:-2} \
	       FLASK_BASE_URL=$${FLASK_BASE_URL:-http://$(HOST):$(PORT)}; \
	$(BIN)/flask outbox run & \
	HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) THREADS=$(THREADS) $(BIN)/gunicorn --config gunicorn.conf.py

# Puas with Litestream shipping the database's WAL to REPLICA_URL (a folder by default; any
# URL Litestream takes, such as s3://bucket/puas). On a standby with no database yet, the
# replica is restored first: restore on boot, then serve (docs/operations.md).
DATABASE_PATH ?= $(CURDIR)/instance/puas.db
REPLICA_URL ?= file://$(CURDIR)/instance/replica

replicate: install-replicate translations
	mkdir -p $(dir $(DATABASE_PATH))
	$(BIN)/litestream restore -if-db-not-exists -if-replica-exists \
	    -o $(DATABASE_PATH) $(REPLICA_URL)
	FLASK_DATABASE=$(DATABASE_PATH) $(BIN)/flask init-db
	@echo "Puas on http://$(HOST):$(PORT), replicating $(DATABASE_PATH) to $(REPLICA_URL)"
	@trap 'kill 0' INT TERM EXIT; \
	export PUAS_DATABASE=$(DATABASE_PATH) PUAS_REPLICA_URL=$(REPLICA_URL) \
	       FLASK_DATABASE=$(DATABASE_PATH); \
	$(BIN)/litestream replicate -config litestream.yml & \
	$(BIN)/flask outbox run & \
	HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) THREADS=$(THREADS) $(BIN)/gunicorn --config gunicorn.conf.py

test: install-test translations
	$(BIN)/python -m pytest

# Every benchmark (the test extras bring aiosmtpd and requests, the bench extras DuckDB),
# medians of ROUNDS, printed as one table. wrk comes from Debian, installed when missing
# (as root), as .ci/run installs chromium.
ROUNDS ?= 3
bench: install-bench translations
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
	$(BIN)/python bench/run_all.py --rounds $(ROUNDS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
