# The developer loop (see CONTRIBUTING.md).  `make` alone lists the targets.
#
# PYTHON is the interpreter of your virtual environment: .venv/bin/python when
# that exists, else `python3` on PATH; override it with `make PYTHON=/path/to/python`.
# T picks the tests (a file, a directory or a node id); ARGS go to pytest.

PYTHON ?= $(if $(wildcard .venv/bin/python),.venv/bin/python,python3)
T ?= tests
ARGS ?=
PYTEST = $(PYTHON) -m pytest -q -p no:cacheprovider
# The second pass: the public modules bound to the reference, the both_backends tests
# left out (the first pass ran them on both).  `|| [ $$? -eq 5 ]`: pytest's "no tests
# selected" is no failure there, since T may hold only both_backends tests.
PURE_PASS = WSFRAME_PURE_PYTHON=1 $(PYTEST) -m "not both_backends"

.DEFAULT_GOAL := help
.PHONY: help venv build test test-one test-python test-c lint types ctest bench-quick check ci clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

venv:  ## create .venv and install wsframe editable with the test and lint tools
	python3 -m venv .venv
	.venv/bin/python -m pip install -e ".[dev]"

# WSFRAME_REQUIRE_C=1: a failed compile stops here instead of quietly leaving the
# reference alone in place (setup.py's fallback is for end users, not for this loop).
build:  ## (re)build the compiled backend in place after editing a .pyx, .pxd or .h
	WSFRAME_REQUIRE_C=1 $(PYTHON) setup.py build_ext --inplace -q

# Two processes: the first runs everything (the mask/utf8/frames tests check both
# implementations side by side); the second re-runs the tests that go through the
# public modules with the reference bound to them (WSFRAME_PURE_PYTHON=1).
test: build  ## all tests, both backends (T=... to narrow, ARGS=... for pytest)
	@echo "== pass 1: [python] and [c] side by side; public modules compiled"
	$(PYTEST) $(ARGS) $(T)
	@echo "== pass 2: public modules on the reference (WSFRAME_PURE_PYTHON=1)"
	$(PURE_PASS) $(ARGS) $(T) || [ $$? -eq 5 ]

test-one: build  ## one file or node id on both backends, stop at the first failure: make test-one T=tests/mask/test_mask.py
	@test "$(T)" != tests || { echo "usage: make test-one T=tests/mask/test_mask.py (a file or a node id)"; exit 2; }
	@echo "== pass 1: [python] and [c] side by side; public modules compiled"
	$(PYTEST) -x $(ARGS) $(T)
	@echo "== pass 2: public modules on the reference (WSFRAME_PURE_PYTHON=1)"
	$(PURE_PASS) -x $(ARGS) $(T) || [ $$? -eq 5 ]

test-python:  ## the reference only (no build needed): public modules forced pure, [python] halves
	WSFRAME_PURE_PYTHON=1 $(PYTEST) --backend python $(ARGS) $(T)

test-c: build  ## the compiled backend only: public modules compiled, [c] halves
	WSFRAME_REQUIRE_C=1 $(PYTEST) --backend c $(ARGS) $(T)

lint:  ## ruff (rules in pyproject.toml's [tool.ruff])
	$(PYTHON) -m ruff check .

types:  ## mypy --strict on the package
	$(PYTHON) -m mypy --strict wsframe

ctest:  ## the C SIMD kernels on every level this CPU has, under AddressSanitizer + UBSan
	sh tests/c/run.sh asan

bench-quick:  ## a quick comparison run against the installed peers
	$(PYTHON) -m bench --quick

check: lint types test ctest  ## everything a pull request needs

ci:  ## what CI runs: a fresh venv, install, tools/test.sh, C tests, bench suites
	bash .ci/run

clean:  ## remove build outputs (compiled modules, generated C, build/)
	rm -rf build
	rm -f wsframe/_speedups/*.so wsframe/_speedups/*.pyd wsframe/_speedups/*.html
	for pyx in wsframe/_speedups/*.pyx; do rm -f "$${pyx%.pyx}.c"; done
