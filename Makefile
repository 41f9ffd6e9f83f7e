# Hygate: `make run` serves the portal, `make test` runs the suite, `make lint` checks style,
# `make e2e` runs the browser suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
# The Nu HTML checker for tests/site/test_html_validity.py: the npm package vnu-jar, run with
# the system's Java. Its install script, which would fetch a JDK from the web, is not run.
VNU_VERSION := 26.9.27
VNU_INSTALLED := .tools/.vnu-jar-$(VNU_VERSION)

# The browser suite drives the system's Chromium (Debian: apt-get install chromium).
HYGATE_CHROMIUM ?= /usr/bin/chromium
E2E_ARGS ?=

.PHONY: run test e2e lint format bench clean vnu

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-e2e: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,e2e]'
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed

# The settings derive the e-mail links' base (HYGATE_SITE_URL) from it (settings/development.py).
run: export HYGATE_DEV_HOST = $(HOST)
run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py ensure_dev_admin
	$(BIN)/python manage.py runserver $(HOST)

$(VNU_INSTALLED):
	npm install --no-save --no-audit --no-fund --ignore-scripts --prefix .tools vnu-jar@$(VNU_VERSION)
	touch $@

# Install the checker or fail (.ci/run); `make test` tries it only when npm and java exist.
vnu: $(VNU_INSTALLED)

test: $(VENV)/.installed-dev
	@if command -v npm >/dev/null 2>&1 && command -v java >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory -s vnu || echo "Could not install vnu-jar: the HTML check will be skipped."; \
	else \
	  echo "No npm or java: the HTML check will be skipped (apt-get install npm default-jre-headless)."; \
	fi
	$(BIN)/python -m pytest --ds=settings.test

e2e: $(VENV)/.installed-e2e
	@test -x "$(HYGATE_CHROMIUM)" || { \
	  echo "No Chromium at $(HYGATE_CHROMIUM). Install it (Debian: sudo apt-get install -y chromium)"; \
	  echo "or point HYGATE_CHROMIUM at one. Playwright's own browser download is not used."; \
	  exit 1; }
	HYGATE_CHROMIUM="$(HYGATE_CHROMIUM)" $(BIN)/python -m pytest e2e --ds=settings.test \
	  -p no:cacheprovider --output artifacts/playwright $(E2E_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,production]'
	touch $@ $(VENV)/.installed-dev $(VENV)/.installed

bench: $(VENV)/.installed-bench
	$(BIN)/python bench/login_timing.py
	$(BIN)/python bench/decoy_timing.py
	$(BIN)/python bench/email_send.py
	$(BIN)/python bench/mail_at_scale.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/oidc.py

clean:
	rm -rf $(VENV) .tools staticfiles .pytest_cache .ruff_cache artifacts test-results
