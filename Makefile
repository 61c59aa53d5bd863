# Toegang: `make run` serves the API with demo data; `make test` runs every gate.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# Two locks: requirements.lock (what the service runs on) and requirements-dev.lock (that, at
# the same versions, plus the test and lint tools). `make run` installs the first; the other
# targets the second. A venv made from the dev lock also serves `make run`: nothing is
# reinstalled. Both are made by uv, see their first lines; regenerate them together.
lock_hash = $(shell sha256sum $(1) pyproject.toml | sha256sum | cut -c1-12)
RUN_STAMP := $(VENV)/.installed-run-$(call lock_hash,requirements.lock)
DEV_STAMP := $(VENV)/.installed-dev-$(call lock_hash,requirements-dev.lock)
GRAPHIQL := gql/static/graphiql/index.html
GRAPHIQL_SRC := $(wildcard frontend-contract/graphiql/src/*.js frontend-contract/graphiql/src/*.jsx \
	frontend-contract/graphiql/src/*.css frontend-contract/graphiql/src/*/*.js) \
	frontend-contract/graphiql/build.mjs frontend-contract/graphiql/package-lock.json

.PHONY: run test venv venv-run graphiql system-deps system-deps-test lint typecheck architecture pytest bench soak contract clean
CONTRACT_NODE := frontend-contract/node_modules/.package-lock.json

define install_lock
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r $(1)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@
endef

$(RUN_STAMP): requirements.lock pyproject.toml
	$(call install_lock,requirements.lock)

$(DEV_STAMP): requirements-dev.lock pyproject.toml
	$(call install_lock,requirements-dev.lock)

# The development venv: tests, lint, type check, contract, benchmark.
venv: $(DEV_STAMP)

# Runtime dependencies only, unless the development venv is already there and current.
venv-run: $(if $(wildcard $(DEV_STAMP)),$(DEV_STAMP),$(RUN_STAMP))

$(GRAPHIQL): $(GRAPHIQL_SRC)
	cd frontend-contract/graphiql && npm ci --no-audit --no-fund --loglevel=error && node build.mjs

graphiql: $(GRAPHIQL)

# npm ci writes node_modules/.package-lock.json: it runs again only when the lock changes.
$(CONTRACT_NODE): frontend-contract/package-lock.json
	cd frontend-contract && npm ci --no-audit --no-fund --loglevel=error

# Regenerate the client contract after a change of the schema or of an operation.
contract: venv $(CONTRACT_NODE)
	$(BIN)/toegang export-schema > frontend-contract/schema.graphql
	$(BIN)/toegang export-trusted-documents
	cd frontend-contract && npm run codegen

run: system-deps venv-run graphiql
	$(BIN)/toegang migrate
	$(BIN)/toegang seed-demo
	@host=$${TOEGANG_HOST:-127.0.0.1}; port=$${TOEGANG_PORT:-8000}; \
	echo; echo "Toegang serves http://$$host:$$port/graphql (GraphiQL in a browser)."; \
	echo "Sign in with logIn using a demo access code and password printed above."; echo
	$(BIN)/toegang serve

# Debian packages: to build and serve (a venv, Node.js for GraphiQL and the contract), and
# for the tests (Chromium for the browser tests, PostgreSQL for the second backend, zbar-tools to
# read the QR codes on payment reminders).
# As root they are installed; otherwise the exact apt-get line is printed.
define need_packages
	@missing=""; \
	python3 -c "import ensurepip, venv" 2>/dev/null || missing="$$missing python3-venv"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ "$(1)" = test ]; then \
	  command -v chromium >/dev/null || missing="$$missing chromium"; \
	  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	  command -v zbarimg >/dev/null || missing="$$missing zbar-tools"; \
	fi; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Toegang needs Debian packages:$$missing. Run:"; \
	    echo "  sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
endef

system-deps:
	$(call need_packages,run)

system-deps-test:
	$(call need_packages,test)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

architecture: venv
	$(BIN)/lint-imports

pytest: system-deps-test venv graphiql $(CONTRACT_NODE)
	$(BIN)/pytest $(PYTEST_ARGS)

test: system-deps-test lint typecheck architecture pytest

# The HTTP half needs wrk (Debian); without it the benchmark measures in process only.
bench: venv
	@command -v wrk >/dev/null || { if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "for the HTTP figures: sudo apt-get install -y wrk"; fi; }
	$(BIN)/python -m bench $(BENCH_ARGS)
	$(BIN)/python -m bench.files

# Not part of `make test`: 4 app and 2 worker processes per backend (PostgreSQL, then one
# SQLite file) under a fixed request mix with SIGKILLs; a table, and exit 1 on a broken
# invariant. PostgreSQL needs its server binaries (system-deps-test installs them).
# E.g. SOAK_ARGS="--backend postgresql --seconds 20", "--kills 3" or "--no-kill".
soak: venv
	$(BIN)/python -m soak $(SOAK_ARGS)

clean:
	rm -rf $(VENV) gql/static/graphiql frontend-contract/graphiql/node_modules frontend-contract/node_modules
