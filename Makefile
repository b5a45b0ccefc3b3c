# Two entry points: `make demo` (end-to-end run on the local emulator) and `make test`.
# Both create .venv on first use with the machine's Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit plan clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/streamctl local demo --stack dev

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy infra functions scripts policy

unit: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile -q

plan: $(STAMP)
	$(BIN)/streamctl plan --stack $(or $(STACK),dev)

clean:
	rm -rf .local .build .pytest_cache .mypy_cache .ruff_cache .hypothesis
