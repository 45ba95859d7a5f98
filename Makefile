# tap-exactonline: the two commands of the README, plus benchmarks and chaos runs.
#
#   make demo    the main job on the local sandbox, into output/exactonline.duckdb
#   make demo-live  a sandbox change arrives in DuckDB through webhooks (docs/webhooks.md)
#   make test    development dependencies + the whole pytest suite
#   make bench   benchmarks (benchmarks/), writes benchmarks/RESULTS.md
#   make chaos   long reliability runs (marker reliability, slow)
#   make mutants the three realistic bugs of docs/testing.md, then mutation testing of the
#                conversion, stream table and rate limiter (mutmut)
#   make dist    wheel and sdist of the distribution into dist/ (hatchling)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MELTANO_STAMP := .meltano/.installed
PYTEST_ARGS ?=
# Meltano writes each plugin's config (client secret, token store key) under .meltano/run/ and
# a run killed with -9 leaves it there: everything the project's targets start writes files
# only its user can read (docs/reliability.md).
UMASK  := umask 077 &&

.PHONY: demo demo-live test bench chaos mutants lint venv meltano-install clean dist

venv: $(STAMP)

$(STAMP): pyproject.toml
	@echo "==> creating $(VENV) and installing the project with its development dependencies"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip uninstall --quiet --yes tap-exactonline >/dev/null 2>&1 || true
	@$(BIN)/python -m pip install --quiet -e ".[dev,orchestration]" "meltano==4.4.1"
	@touch $(STAMP)

meltano-install: $(MELTANO_STAMP)

MELTANO_FILES := meltano.yml $(wildcard meltano/*.meltano.yml)
DEMO_STAMP := .meltano/.installed-demo

$(MELTANO_STAMP): $(STAMP) $(MELTANO_FILES) pyproject.toml
	@echo "==> meltano install (plugins into .meltano/)"
	@$(BIN)/meltano install
	@mkdir -p .meltano && touch $(MELTANO_STAMP) $(DEMO_STAMP)

# The demo needs only the tap, the admin utility and DuckDB (keeps a first `make demo` quick).
$(DEMO_STAMP): $(STAMP) $(MELTANO_FILES) pyproject.toml
	@echo "==> meltano install tap-exactonline target-duckdb exactonline (into .meltano/)"
	@$(BIN)/meltano install tap-exactonline target-duckdb exactonline
	@mkdir -p .meltano && touch $(DEMO_STAMP)

test: $(MELTANO_STAMP)
	@echo "==> pytest"
	@$(UMASK) $(BIN)/python -m pytest $(PYTEST_ARGS)

demo: $(DEMO_STAMP)
	@$(UMASK) $(BIN)/python scripts/demo.py

demo-live: $(DEMO_STAMP)
	@$(BIN)/python scripts/demo_live.py

bench: $(MELTANO_STAMP)
	@$(UMASK) $(BIN)/python -m benchmarks.run

# The reliability matrix (tests/reliability, marker reliability + slow) writes
# docs/reliability.md; then the other long reliability runs.
chaos: $(MELTANO_STAMP)
	@$(UMASK) CHAOS_REPORT=docs/reliability.md $(BIN)/python -m pytest tests/reliability \
		--run-slow -p no:cacheprovider $(PYTEST_ARGS)
	@$(UMASK) $(BIN)/python -m pytest -m "reliability or slow" --run-slow \
		--ignore=tests/reliability $(PYTEST_ARGS)

# Surviving mutants: output/mutants.txt; the accepted ones are listed in docs/testing.md.
mutants: $(STAMP)
	@$(BIN)/python -m tests.mutation.realistic
	@$(BIN)/python -m tests.mutation.run

lint: $(STAMP)
	@$(BIN)/ruff check tap_exactonline exactonline_sandbox bi_refresh tests benchmarks scripts orchestration
	@$(BIN)/mypy tap_exactonline exactonline_sandbox bi_refresh
	@$(BIN)/lint-imports

dist: $(STAMP)
	@rm -rf dist
	@$(BIN)/python -m build --outdir dist . >dist.log 2>&1 || (cat dist.log; exit 1)
	@rm -f dist.log
	@ls -1 dist

clean:
	rm -rf $(VENV) .meltano output .pytest_cache
