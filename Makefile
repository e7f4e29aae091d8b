# opsdesk developer entry points. The quick start is two commands:
#   make demo   - create .venv, install opsdesk, run the demo server
#   make test   - create .venv, install opsdesk + test extras and Debian's
#                 Chromium, run the suite on SQLite and PostgreSQL
#
# Variables: PYTHON (interpreter used to create .venv, >= 3.11),
#            PYTEST_ARGS (extra pytest arguments for `make test`),
#            DEMO_ARGS (extra arguments for `opsdesk demo`).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VBIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CHROMIUM := /usr/bin/chromium
PYTEST_ARGS ?=
DEMO_ARGS ?=

# Root runs apt-get directly; anyone else goes through sudo.
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: help venv install chromium test demo lint fmt bench

help:
	@echo "make demo     install into .venv and start the demo (web + worker)"
	@echo "make test     install, fetch Debian's Chromium, run tests on SQLite and PostgreSQL"
	@echo "make lint     ruff check + ruff format --check"
	@echo "make fmt      ruff format + ruff check --fix"
	@echo "make bench    run every bench/*.py"
	@echo "make install  create .venv and pip install -e '.[test]' (only when pyproject.toml changed)"
	@echo "make chromium apt-get install chromium if /usr/bin/chromium is missing"

# --- virtualenv ------------------------------------------------------------

venv: $(VBIN)/python

$(VBIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "error: opsdesk needs Python >= 3.11; '$(PYTHON)' is missing or older." >&2; \
	  echo "       Install python3.11 or run: make PYTHON=/path/to/python3.11 ..." >&2; \
	  exit 1; }
	@echo ">> creating $(VENV) with $$($(PYTHON) -c 'import sys; print(sys.executable)')"
	@rm -rf $(VENV)
	@if ! $(PYTHON) -m venv $(VENV); then \
	  rm -rf $(VENV); \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo ">> python venv support missing; installing Debian's python3-venv"; \
	    $(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv \
	      && $(PYTHON) -m venv $(VENV); \
	  fi; \
	fi
	@test -x $@ || { rm -rf $(VENV); \
	  echo "error: could not create $(VENV) with '$(PYTHON) -m venv' (on Debian: apt-get install python3-venv)." >&2; \
	  exit 1; }

install: $(STAMP)

# Reinstalls only when pyproject.toml is newer than the stamp, so reruns are fast.
$(STAMP): pyproject.toml | $(VBIN)/python
	@echo ">> pip install -e '.[test]'"
	$(VBIN)/python -m pip install --disable-pip-version-check --quiet -e '.[test]'
	@touch $@

# --- Debian's Chromium (Playwright drives it; its own browser download is not used) ---

chromium:
	@if [ -x $(CHROMIUM) ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "error: $(CHROMIUM) is missing and apt-get is not available." >&2; \
	  echo "       Browser tests need Debian's chromium package at $(CHROMIUM)." >&2; \
	  exit 1; \
	fi; \
	if [ -n "$(SUDO)" ] && ! command -v sudo >/dev/null 2>&1; then \
	  echo "error: $(CHROMIUM) is missing; installing it needs root (or sudo)." >&2; \
	  echo "       Run as root: apt-get update && apt-get install -y chromium" >&2; \
	  exit 1; \
	fi; \
	echo ">> $(CHROMIUM) missing: installing Debian's chromium package"; \
	$(SUDO) apt-get update \
	  && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium \
	  || { echo "error: 'apt-get install -y chromium' failed; browser tests cannot run." >&2; exit 1; }; \
	[ -x $(CHROMIUM) ] || { \
	  echo "error: chromium package installed but $(CHROMIUM) does not exist." >&2; exit 1; }

# --- everyday targets ---------------------------------------------------------

# Style first: a lint failure fails the run, as a failing test would.
test: install chromium lint
	bash scripts/run-tests $(PYTEST_ARGS)

demo: install
	OPSDESK_DEBUG=1 OPSDESK_ALLOW_INSECURE_KEY=1 $(VBIN)/opsdesk demo $(DEMO_ARGS)

lint: install
	$(VBIN)/ruff check .
	$(VBIN)/ruff format --check .

fmt: install
	$(VBIN)/ruff format .
	$(VBIN)/ruff check --fix .

bench: install
	@shopt -s nullglob; files=(bench/*.py); \
	if [ $${#files[@]} -eq 0 ]; then echo "no benchmarks in bench/ yet"; exit 0; fi; \
	failed=0; \
	for f in "$${files[@]}"; do \
	  case "$$(basename $$f)" in _*|*_locustfile.py) continue;; esac; \
	  echo ">> $$f"; \
	  OPSDESK_ALLOW_INSECURE_KEY=1 $(VBIN)/python "$$f" || { echo "!! $$f failed" >&2; failed=1; }; \
	done; \
	exit $$failed
