# Two commands for a newcomer: `make run` and `make test`. Both build .venv themselves and skip the install
# when pyproject.toml has not changed since the last one.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test test-faults lint typecheck bench bench-smoke install clean train

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/breachwatch run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-faults: $(STAMP)
	$(BIN)/python -m pytest -q -m faults $(PYTEST_ARGS) || [ $$? -eq 5 ]

# Rebuild the trained classifier from corpus/ (seeded; a few minutes, encoding cached in .cache/); refuses a model
# that measures worse than the committed one. `make test` never trains.
train: $(STAMP)
	$(BIN)/breachwatch train

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
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
