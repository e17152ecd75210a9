# Every target creates (once) and reuses a local virtual environment in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench soak clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m reconciler.cli.demo

lint: $(STAMP)
	$(BIN)/ruff format --check reconciler tests benchmarks
	$(BIN)/ruff check reconciler tests benchmarks
	$(BIN)/mypy reconciler
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format reconciler tests benchmarks
	$(BIN)/ruff check --fix reconciler tests benchmarks

test: lint
	$(BIN)/pytest -n 2 -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m benchmarks

soak: $(STAMP)
	$(BIN)/pytest -m slow

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
