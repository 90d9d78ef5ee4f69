# The two commands: `make demo` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install system-deps lint typecheck imports check bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Site Coach needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make demo: install, migrate, seed the ST1332 pack and a demo cohort, run web + worker + clock (Ctrl-C stops)
demo: $(STAMP)
	$(BIN)/sitecoach demo

## make system-deps: the Debian packages the suite uses (PDF pages, lesson videos, browser tests)
system-deps:
	@sh scripts/system-deps.sh

# Parallel test workers (pytest-xdist): one per core, at most 4; TEST_WORKERS=0 runs in one process.
# worksteal: each worker starts on a contiguous half (module fixtures are built once), an idle one takes
# over the other's queue. No test needs a worker to itself (loadgroup's xdist_group is silently ignored
# on pytest 9.2 anyway: pytest-xdist issue 1386).
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ "$$n" -gt 4 ] && n=4; echo $$n)
TEST_DIST    ?= worksteal

## make test: the whole suite in TEST_WORKERS parallel workers, each with its own database and Redis db
## (embedded SQLite + Redis, or DATABASE_URL / REDIS_URL when set)
test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist $(TEST_DIST)

## make lint: ruff, the import contract (layers point one way, no cycles) and the type check
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

## make bench: every benchmark script in bench/
bench: $(STAMP)
	@for script in bench/*.py; do case $$script in */harness.py|*/learning_stats.py) continue;; esac; echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis .mypy_cache
