# zhenxing — `make demo` and `make test` work from a fresh clone with only python3.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000

.PHONY: install demo test test-fast lint format lock messages chromium clean bench

$(STAMP): requirements.lock pyproject.toml build-constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# xstatic-bootstrap's sdist imports pkg_resources at build time, which
	# setuptools 81 removed: its build environment gets an older setuptools.
	PIP_CONSTRAINT=$(CURDIR)/build-constraints.txt $(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.lock
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/zhenxing demo --port $(PORT)

# The benchmark (docs/scaling.md): PostgreSQL databases zx_bench1 and zx_bench10 are
# dropped, seeded afresh and measured through a live gunicorn server. About 15–20 min on
# 2 cores, most of it seeding N=10; BENCH_ARGS="--reuse" measures what is already there.
bench: install
	$(BIN)/zhenxing bench --scales 1,10 $(BENCH_ARGS)

# Debian's chromium drives the browser tests (Playwright cannot download one here).
chromium:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install chromium
	$(BIN)/pytest -p no:cacheprovider -n 2 $(PYTEST_ARGS)

test-fast: install
	$(BIN)/pytest -p no:cacheprovider -n 2 -m "not browser" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11

messages: install
	cd src/zhenxing && ../../$(BIN)/zhenxing makemessages -l zh_Hans --no-location --no-obsolete -i "*/tests/*" -i "demo/*"
	cd src/zhenxing && ../../$(BIN)/zhenxing compilemessages -l zh_Hans

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
