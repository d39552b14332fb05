# Two commands do all set-up on a fresh machine with python3 and make: `make run`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run prod serve load backup restore test test-postgres schemathesis lint typecheck bench bench-prod bench-import bench-year messages clean

install: $(STAMP)

# Dependencies are declared in pyproject.toml and installed exactly as locked in uv.lock
# (runtime and the dev group); `uv lock` after changing a pin.
$(STAMP): pyproject.toml uv.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==0.13.9
	$(BIN)/uv sync --frozen --quiet
	touch $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# The production stack on this machine (PostgreSQL and Redis): two gunicorn app processes
# (:8001, :8002), a Celery worker and beat, production settings; ops/prod.sh says which
# environment it reads. `make serve` is the same.
prod serve: install
	ops/prod.sh

# Load: locust's personas' mix against the production stack on 1,000 and 100,000 dossiers and the
# bare /healthz, one `load:` line each (ops/load.sh; several minutes; not run by CI).
load: install
	ops/load.sh

# Backup and restore drill (PostgreSQL): `make backup` writes var/backups/khenthuong-<time>/;
# `make restore BACKUP=<that folder> DATABASE_URL=<a fresh database>` restores and verifies it.
backup: install
	ops/backup.sh

restore: install
	BACKUP=$(BACKUP) ops/restore.sh

test: install
	$(BIN)/pytest -q --create-db

test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/pytest -q --create-db

# Schemathesis (`--checks all`) against the app served on PostgreSQL, as three personas.
schemathesis: install
	.ci/schemathesis.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) typecheck

# mypy with django-stubs on the typed core: the files and the settings are in pyproject.toml.
typecheck: install
	$(BIN)/mypy

bench: install
	$(BIN)/python manage.py bench_workflow

# The same on the production stack's settings: PostgreSQL, tasks sent to Redis (ops/bench.sh).
bench-prod: install
	ops/bench.sh

# A national year at SCALE (1: 34 provinces, 30 ministries, about 740,000 nominees) driven through
# the whole route by several processes, on the configured database (PostgreSQL: DATABASE_URL).
SCALE ?= 0.02
bench-year: install
	$(BIN)/python manage.py bench_year --scale $(SCALE)

# A 10,000-row history workbook (bad rows mixed in) imported into the registry, timed.
bench-import: install
	$(BIN)/python manage.py bench_import

messages: install
	$(BIN)/python manage.py makemessages -l vi -l en --ignore=.venv
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3* test-db.sqlite3* media
