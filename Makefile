# The two commands of the README: `make run` (embedded demo site) and `make test` (whole suite).
# Dependencies are declared in pyproject.toml and installed from its locks: requirements.txt
# (runtime, all make run needs) and requirements-dev.txt (runtime + tests, lint, benches), both
# into .venv. Each stamp is redone only when its lock changes.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# The embedded site: none of the production variables.
EMBEDDED := env -u DATABASE_URL -u REDIS_URL -u SECRET_KEY -u ALLOWED_HOSTS
# What make run's reloader watches: the site's Python packages, not .venv (pip writing there
# would restart the server, and watching it costs thousands of inotify watches).
RELOAD_DIRS := $(patsubst %/__init__.py,--reload-dir %,$(filter-out tests/%,$(wildcard */__init__.py)))

.PHONY: run test setup lint messages

$(VENV)/.runtime-installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.runtime-installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# argilla-server lives in its own venv: the real server the sync tests talk to.
.venv-argilla/.installed: scripts/argilla-server-requirements.txt scripts/argilla_server.sh
	PYTHON=$(PYTHON) bash scripts/argilla_server.sh

setup: $(VENV)/.dev-installed .venv-argilla/.installed

# uvicorn serves HTTP and websockets as in production; WhiteNoise serves the static files from
# the apps. --reload restarts it when a .py file or a template changes, as runserver did.
run: $(VENV)/.runtime-installed
	$(EMBEDDED) $(PY) manage.py migrate --noinput
	$(EMBEDDED) $(PY) manage.py demo
	$(EMBEDDED) $(VENV)/bin/uvicorn somos_site.asgi:application --host 127.0.0.1 --port 8000 \
		--reload $(RELOAD_DIRS) --reload-include '*.html'

test: setup
	bash scripts/test.sh

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Rebuild the catalogues (Spanish, Catalan, Basque, Galician, English) (needs gettext's msgfmt) after changing strings.
messages: setup
	$(PY) manage.py makemessages --locale es --locale ca --locale eu --locale gl --locale en --ignore ".venv/*" \
		--ignore ".venv-argilla/*" --ignore "staticfiles/*" --ignore "tests/*" --ignore "bench/*"
	$(PY) manage.py compilemessages --ignore ".venv/*" --ignore ".venv-argilla/*"
