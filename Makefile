# The developer loop (see CONTRIBUTING.md).  `make` alone lists the targets.
#
# PYTHON is the interpreter of your virtual environment: .venv/bin/python when
# that exists, else `python3` on PATH; override it with `make PYTHON=/path/to/python`.
# T picks the tests (a file, a directory or a node id); ARGS go to pytest.

PYTHON ?= $(if $(wildcard .venv/bin/python),.venv/bin/python,python3)
T ?= tests
ARGS ?=
# The test run is defined once, in tools/run_tests.py (the compiled pass, then the
# pure-Python pass of the tests that go through the public modules); tools/test.sh, CI
# and the wheel test command run the same script.
RUN_TESTS = $(PYTHON) tools/run_tests.py
PYTEST = $(PYTHON) -m pytest -q -p no:cacheprovider
# The in-place build is redone only when a source of the compiled modules changed
# (or a module is missing for this interpreter): a no-op build costs seconds.
SPEEDUPS_SOURCES := setup.py $(wildcard wsframe/_speedups/*.pyx wsframe/_speedups/*.pxi \
	wsframe/_speedups/*.pxd wsframe/_speedups/*.h wsframe/_speedups/wsf_*.c)
BUILD_STAMP := build/.wsframe-inplace

.DEFAULT_GOAL := help
.PHONY: help venv build rebuild test test-one test-python test-c lint format-check types stubtest quality ctest bench-quick check ci clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

venv:  ## create .venv and install wsframe editable with the test and lint tools
	python3 -m venv .venv
	.venv/bin/python -m pip install -e ".[dev]"

# WSFRAME_REQUIRE_C=1: a failed compile stops here instead of quietly leaving the
# reference alone in place (setup.py's fallback is for end users, not for this loop).
build:  ## (re)build the compiled backend in place when a .pyx, .pxd, .pxi or C header changed
	@$(PYTHON) -c "import glob, importlib.machinery as m, sys; sys.exit(not all(any(glob.glob(p[:-4] + s) for s in m.EXTENSION_SUFFIXES) for p in glob.glob('wsframe/_speedups/*.pyx')))" \
		|| rm -f $(BUILD_STAMP)
	@$(MAKE) --no-print-directory $(BUILD_STAMP)

$(BUILD_STAMP): $(SPEEDUPS_SOURCES)
	WSFRAME_REQUIRE_C=1 $(PYTHON) setup.py build_ext --inplace -q
	@mkdir -p build && touch $@

rebuild:  ## rebuild the compiled backend in place even when nothing changed
	rm -f $(BUILD_STAMP)
	@$(MAKE) --no-print-directory $(BUILD_STAMP)

test: build  ## all tests, both backends (T=... to narrow, ARGS=... for pytest)
	$(RUN_TESTS) $(ARGS) $(T)

test-one: build  ## one folder, file or node id on both backends, stop at the first failure: make test-one T=tests/mask
	@test "$(T)" != tests || { echo "usage: make test-one T=tests/mask (a folder, a file or a node id)"; exit 2; }
	$(RUN_TESTS) --parallel -x $(ARGS) $(T)

test-python:  ## the reference only (no build needed): public modules forced pure, [python] halves
	WSFRAME_PURE_PYTHON=1 $(PYTEST) --backend python $(ARGS) $(T)

test-c: build  ## the compiled backend only: public modules compiled, [c] halves
	WSFRAME_REQUIRE_C=1 $(PYTEST) --backend c $(ARGS) $(T)

# The static gate is defined once, in tools/quality.sh; these run one step of it.
QUALITY = PYTHON=$(PYTHON) bash tools/quality.sh

lint:  ## ruff check (rules in pyproject.toml's [tool.ruff.lint])
	$(QUALITY) lint

format-check:  ## ruff format --check (`ruff format .` applies the layout)
	$(QUALITY) format

types:  ## mypy --strict on the package
	$(QUALITY) types

stubtest: build  ## the compiled modules against their .pyi stubs (mypy's stubtest)
	$(QUALITY) stubtest

quality: build  ## the whole static gate CI runs: lint, format, types, stubtest
	$(QUALITY)

ctest:  ## the C SIMD kernels on every level this CPU has, under AddressSanitizer + UBSan
	sh tests/c/run.sh asan

bench-quick:  ## a quick comparison run against the installed peers
	$(PYTHON) -m bench --quick

check: quality test ctest  ## everything a pull request needs

ci:  ## what CI runs (.ci/run): a fresh venv, tests, quality gate, fuzz smoke, C tests, integrations, bench suites
	bash .ci/run

clean:  ## remove build outputs (compiled modules, generated C, build/)
	rm -rf build
	rm -f wsframe/_speedups/*.so wsframe/_speedups/*.pyd wsframe/_speedups/*.html
	for pyx in wsframe/_speedups/*.pyx; do rm -f "$${pyx%.pyx}.c"; done
