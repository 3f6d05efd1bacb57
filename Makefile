# Two commands for a newcomer: `make run` and `make test`. Both build .venv themselves and skip the install
# when pyproject.toml has not changed since the last one.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test test-faults lint typecheck bench install clean train

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
	$(BIN)/lint-imports

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

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
