# pypwext: every target sets itself up (scripts/bootstrap is fast when already done).
#   make example   set up and serve the example services on http://127.0.0.1:3000 (pypwext serve);
#                  installs only what running needs: -e .[serve] (scripts/bootstrap run)
#   make check     set up and run every test, lint, type check and the docs build (CI: .ci/run);
#                  installs the development toolchain too: -e .[serve,dev] (scripts/bootstrap dev)
#   make dist      build the sdist and the wheel into dist/ (python -m build)
#   make bench     benchmark pypwext against its peers (docs/performance.md); BENCH_ARGS=--quick for a smoke run

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin

# Real AWS event samples, shared beside the repository.
export PYPWEXT_AWS_EVENTS ?= $(abspath $(CURDIR)/../shared/fixtures/aws-events)

ORDER_OK := {"id": 1, "description": "first order", "items": [{"id": 1, "quantity": 2, "description": "widget"}, {"id": 2, "quantity": 1, "description": "gadget"}]}
ORDER_BAD := {"id": "one", "description": "bad order", "items": [{"id": 1, "quantity": "two"}]}
CHECKOUT_OK := {"order_id": 7, "lines": [{"item_id": "widget", "quantity": 2}, {"item_id": "gadget", "quantity": 1}]}
PORT ?= 3000
URL := http://127.0.0.1:$(PORT)
# The checkout example calls inventory over HTTP and billing through the Invoke API, both on the
# same local server; the dummy credentials and region only let boto3 sign offline.
EXAMPLE_ENV := INVENTORY_URL=$(URL) AWS_ENDPOINT_URL_LAMBDA=$(URL) AWS_REGION=us-east-1 \
	AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local

.PHONY: help bootstrap bootstrap-run example invoke-example check lint format types test docs dist clean bench

help:
	@echo "make example   set up and serve the example services on http://127.0.0.1:3000 (Ctrl-C to stop)"
	@echo "make invoke-example   run the order service once on two events and print its answers"
	@echo "make check     set up and run every test, lint, type check and the docs build (CI: .ci/run)"
	@echo "make dist      build the sdist and the wheel into dist/ (pip install dist/pypwext-*.whl)"
	@echo "make bench     benchmark pypwext against its peers (BENCH_ARGS=--quick for a smoke run)"
	@echo "make test | lint | types | docs | format | bootstrap | clean"

# The development toolchain (everything but example and invoke-example needs it).
bootstrap:
	@scripts/bootstrap dev

# Only what running the examples needs: pypwext, its dependencies and the serve extra.
bootstrap-run:
	@scripts/bootstrap run

example: bootstrap-run
	@echo "pypwext serve: the example services (examples/orders/api.py) on $(URL)"
	@echo "  open  $(URL)/docs           every operation, its schemas and a curl line to try"
	@echo "  open  $(URL)/openapi.json   the OpenAPI 3.1 document"
	@echo '  try   curl -i $(URL)/orders/1'
	@echo '  try   curl -i $(URL)/orders/one    (a 400 that names the bad path parameter)'
	@echo '  try   curl -i -X POST $(URL)/orders -H "Content-Type: application/json" -d '\''$(ORDER_OK)'\'
	@echo '  try   curl -i -X POST $(URL)/orders -H "Content-Type: application/json" -d '\''$(ORDER_BAD)'\'
	@echo '  try   curl -i -X POST $(URL)/2015-03-31/functions/get-order/invocations -d '\''{"order_id": 2}'\'
	@echo '  try   curl -i -X POST $(URL)/checkout -H "Content-Type: application/json" -d '\''$(CHECKOUT_OK)'\''    (calls inventory and billing)'
	@echo "Edit a file under examples/orders: the next request runs the new code. Ctrl-C to stop."
	env $(EXAMPLE_ENV) $(BIN)/pypwext serve examples/orders/api.py --port $(PORT)

# The one-shot version: run the order service on two events and print its answers.
invoke-example: bootstrap-run
	@echo "--- a valid order"
	$(BIN)/pypwext invoke examples/orders/app.py:handler --http POST /orders --body '$(ORDER_OK)'
	@echo "--- an invalid order (expect a 400 that names every bad field)"
	$(BIN)/pypwext invoke examples/orders/app.py:handler --http POST /orders --body '$(ORDER_BAD)'

# Every step runs even when an earlier one fails, so one run shows every problem;
# the target fails if any step failed. mkdocs runs without --quiet: --quiet drops the warnings
# that --strict turns into a failure (a broken link or anchor would pass unseen).
check: bootstrap
	@failed=""; \
	step() { echo; echo "=== $$*"; "$$@" || failed="$$failed\n  $$*"; }; \
	step $(BIN)/ruff check . ; \
	step $(BIN)/ruff format --check . ; \
	step $(BIN)/mypy pypwext ; \
	step $(BIN)/pytest ; \
	step $(BIN)/mkdocs build --strict ; \
	echo; \
	if [[ -n "$$failed" ]]; then echo -e "make check FAILED:$$failed"; exit 1; fi; \
	echo "make check: all passed"

lint: bootstrap
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: bootstrap
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

types: bootstrap
	$(BIN)/mypy pypwext

test: bootstrap
	$(BIN)/pytest

docs: bootstrap
	$(BIN)/mkdocs build --strict

# The sdist and the wheel of pypwext, as `pip install dist/pypwext-<version>-py3-none-any.whl`
# installs it (the name pypwext on the public index is another, unrelated project).
# --no-isolation: build with the setuptools and wheel of .venv, so nothing is downloaded.
dist: bootstrap
	rm -rf dist/pypwext-*
	$(BIN)/python -m build --no-isolation --outdir dist .
	@ls -l dist/pypwext-*

# The peer frameworks live in their own environment, never in .venv nor in setup.cfg.
PEERS := benchmarks/.venv-peers
BENCH_ARGS ?=

$(PEERS)/.installed: benchmarks/requirements-peers.txt
	@test -x $(PEERS)/bin/python || $(BIN)/python -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install -q --disable-pip-version-check -r benchmarks/requirements-peers.txt
	@touch $@

bench: bootstrap $(PEERS)/.installed
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf site build dist .mypy_cache .ruff_cache .pytest_cache .hypothesis .tox *.egg-info
