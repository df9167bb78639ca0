# The two commands: `make run` (the whole local stack) and `make test` (the suite).
# Both bootstrap a pinned uv into .tools/ and install the locked dependencies.

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv

# Test processes for `make test`, each with its own stack. On 2 cores 3 beat 2 (5:18 vs
# 6:05 for the same tests; many tests wait on processes and timers); worksteal evens out
# the tail that one slow file leaves under loadfile.
TEST_WORKERS ?= 3

# The test runs may cache bytecode (git-ignored __pycache__/): the project's modules and
# pytest's assertion rewrites are then compiled once, not once per process.
test test-fast test-chaos test-fuzz coverage bench-quick: export PYTHONDONTWRITEBYTECODE =

.PHONY: run test test-fast test-chaos test-fuzz coverage lint sync clean bench bench-quick browser

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

# Bytecode at install: machines that set PYTHONDONTWRITEBYTECODE (this one and CI do) would
# otherwise compile every imported library from source in every process the tests start.
sync: $(UV)
	$(UV) sync --frozen --quiet --compile-bytecode

run: sync
	$(UV) run --frozen python -m devstack

# The reviewer page's browser tests (tests/browser/) drive Debian's Chromium through
# Playwright, which cannot download a browser of its own here. As root this installs it;
# otherwise it stops and says what to install.
CHROMIUM := /usr/bin/chromium
browser:
	@if [ -x $(CHROMIUM) ]; then exit 0; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "Installing Chromium for the browser tests (apt-get install chromium) ..."; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y --no-install-recommends chromium \
	  || { apt-get update && apt-get install -y --no-install-recommends chromium; }; \
	else \
	  echo "The browser tests need Chromium at $(CHROMIUM). Install it as root:" >&2; \
	  echo "  sudo apt-get install -y --no-install-recommends chromium   (Debian/Ubuntu)" >&2; \
	  echo "then run 'make test' again." >&2; exit 1; \
	fi

test: sync browser
	$(UV) run --frozen ruff check .
	$(UV) run --frozen pytest -q -n $(TEST_WORKERS) --dist worksteal

# The fast layer alone (in-process app, stub boundaries): the inner loop, under a minute.
test-fast: sync
	$(UV) run --frozen pytest -q -n 2 --dist worksteal tests/fast

# Marked suites (not in `make test`): chaos runs of 8 and 50 jobs under random kills;
# 1,000+ fuzzed API cases.
test-chaos: sync
	$(UV) run --frozen pytest -q -m chaos tests/chaos

test-fuzz: sync
	$(UV) run --frozen pytest -q -m fuzz tests/test_fuzz.py

lint: sync
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

clean:
	rm -rf .venv .tools .pytest_cache .ruff_cache

# Benchmarks on a private stack (free ports, temp folder); results in bench/results/.
bench: sync
	$(UV) run --frozen python -m bench

# Every phase at small scale (~3 min), checked by its test; results in bench/results/.
bench-quick: sync
	$(UV) run --frozen pytest -q -s -m bench tests/test_bench_quick.py

# The default suite with line coverage of the product packages, worker/API subprocesses
# included (coverage's subprocess patch); per-package totals printed at the end.
coverage: sync browser
	rm -rf .coverage-data
	$(UV) run --frozen pytest -q -n $(TEST_WORKERS) --dist worksteal --cov --cov-report=
	$(UV) run --frozen python -m tests.coverage_by_package
