# The two commands: `make run` (the whole local stack) and `make test` (the suite).
# Both bootstrap a pinned uv into .tools/ and install the locked dependencies.

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv

.PHONY: run test test-chaos test-fuzz lint sync clean bench bench-quick

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

sync: $(UV)
	$(UV) sync --frozen --quiet

run: sync
	$(UV) run --frozen python -m devstack

test: sync
	$(UV) run --frozen ruff check .
	$(UV) run --frozen pytest -q

# Marked suites (not in `make test`): 50 jobs under random kills; 1,000+ fuzzed API cases.
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

bench-quick: sync
	$(UV) run --frozen python -m bench --quick
