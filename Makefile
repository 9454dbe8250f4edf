# Clubroom: `make run` brings the whole system up, `make test` runs every test.
# Both create .venv and install what they need.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# First interpreter >= 3.12 that actually runs (pyenv shims can exist without working).
PYTHON_CANDIDATES := python3.13 python3.12 python3 $(wildcard /root/.pyenv/versions/3.13*/bin/python3) $(wildcard /root/.pyenv/versions/3.12*/bin/python3) /usr/bin/python3.13 /usr/bin/python3.12
BASE_PYTHON := $(shell for p in $(PYTHON_CANDIDATES); do \
	$$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1 && { command -v $$p || echo $$p; } && break; done)

.PHONY: run test lint venv chromium clean

$(STAMP): requirements/base.txt requirements/dev.txt
	@if [ -z "$(BASE_PYTHON)" ]; then \
		echo "Clubroom needs Python 3.12 or newer (Django 6). Install python3.12 (e.g. 'apt-get install python3.12 python3.12-venv' or 'pyenv install 3.12') and run make again."; exit 1; fi
	@[ -x $(PY) ] || { echo "Creating $(VENV) with $(BASE_PYTHON)"; $(BASE_PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	@touch $(STAMP)

venv: $(STAMP)

# Browser tests drive Debian's Chromium; install it when we can (root + apt), else they skip.
chromium:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "chromium not installed: browser tests will skip"; fi

run: $(STAMP)
	@bash scripts/run.sh

test: $(STAMP) chromium
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
