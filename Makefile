# tap-exactonline: the two commands of the README, plus benchmarks and chaos runs.
#
#   make demo      the main job on the local sandbox + the dbt models, into output/demo.duckdb
#   make demo-live a sandbox change arrives in DuckDB through webhooks (docs/webhooks.md)
#   make test      development dependencies + the whole pytest suite
#   make bench     benchmarks (benchmarks/), writes benchmarks/RESULTS.md
#   make chaos     long reliability runs (marker reliability, slow)
#   make mutants   the three realistic bugs of docs/testing.md, then mutation testing of the
#                  conversion, stream table and rate limiter (mutmut)
#   make dist      wheel and sdist of the distribution into dist/ (hatchling)
#   make clean     what is rebuildable: venvs, installed plugins, caches, the demo's files
#   make clean-all also the token stores, Meltano STATE and every warehouse file (asks first)

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

.PHONY: demo demo-live test bench chaos mutants lint venv meltano-install clean clean-all dist

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

# The demo needs the tap, the admin utility, DuckDB and dbt-duckdb (not the warehouses' and BI
# tools' plugins, which keeps a first `make demo` quick).
DEMO_PLUGINS := tap-exactonline target-duckdb exactonline dbt-duckdb
$(DEMO_STAMP): $(STAMP) $(MELTANO_FILES) pyproject.toml
	@echo "==> meltano install $(DEMO_PLUGINS) (into .meltano/)"
	@$(BIN)/meltano install $(DEMO_PLUGINS)
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

# Rebuildable only. Kept: .meltano/exactonline/ (token stores: a new login otherwise),
# .meltano/meltano.db (STATE of every environment: a full re-extract otherwise, against
# 5,000 calls per division a day), the dev/prod warehouse files in output/, and .env.
clean:
	rm -rf $(VENV) .meltano/extractors .meltano/loaders .meltano/utilities .meltano/run \
		.meltano/logs .meltano/test-tools .meltano/.installed .meltano/.installed-demo \
		.pytest_cache .mypy_cache .ruff_cache transform/target transform/logs dist
	rm -f output/demo.duckdb output/demo.duckdb.wal output/sandbox.sqlite* output/demo.env \
		output/demo-meltano.log output/demo-sandbox.log

# Everything, including what cannot be rebuilt without a browser login and a full re-extract.
CLEAN_ALL_LOST := .meltano/exactonline (token stores), .meltano/meltano.db (Meltano STATE of every environment), output/ (every warehouse file)
clean-all:
	@echo "WARNING: make clean-all also deletes $(CLEAN_ALL_LOST)."
	@echo "WARNING: afterwards every environment needs a new \`exactonline auth login\` and a full re-extract."
	@if [ "$(CONFIRM)" != "yes" ]; then \
		if [ -t 0 ]; then \
			printf 'Type yes to delete them: '; read answer; \
			[ "$$answer" = yes ] || { echo "nothing deleted"; exit 1; }; \
		else \
			echo "nothing deleted: run \`make clean-all CONFIRM=yes\`"; exit 1; \
		fi; \
	fi
	$(MAKE) --no-print-directory clean
	rm -rf .meltano output
