# The two commands of the README: `make run` (embedded demo site) and `make test` (whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test setup lint messages

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# argilla-server lives in its own venv: the real server the sync tests talk to.
.venv-argilla/.installed: scripts/argilla-server-requirements.txt scripts/argilla_server.sh
	PYTHON=$(PYTHON) bash scripts/argilla_server.sh

setup: $(VENV)/.installed .venv-argilla/.installed

run: $(VENV)/.installed
	env -u DATABASE_URL -u REDIS_URL -u SECRET_KEY -u ALLOWED_HOSTS $(PY) manage.py migrate --noinput
	env -u DATABASE_URL -u REDIS_URL -u SECRET_KEY -u ALLOWED_HOSTS $(PY) manage.py demo
	env -u DATABASE_URL -u REDIS_URL -u SECRET_KEY -u ALLOWED_HOSTS $(PY) manage.py runserver 127.0.0.1:8000

test: setup
	bash scripts/test.sh

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Rebuild the Spanish and English catalogues (needs gettext's msgfmt) after changing strings.
messages: setup
	$(PY) manage.py makemessages --locale es --locale en --ignore ".venv/*" --ignore "staticfiles/*"
	$(PY) manage.py compilemessages --ignore ".venv/*"
