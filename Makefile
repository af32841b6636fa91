# pacai: `make run` serves on the embedded defaults; `make test` runs everything CI runs.
# `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run test services lint format check-rust check-fuzz test-rust test-python bench load runtime-proof node-deps clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml Cargo.toml Cargo.lock $(shell find rust -name '*.rs') | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and build the Rust core (release) into it

run: install ## run the server on the embedded defaults (http://127.0.0.1:5000)
	$(BIN)/pacai serve

services: ## start (or install) PostgreSQL, Redis, SoftHSM2, Node.js and wrk
	scripts/ensure-services.sh

node-deps: ## the Node `ws` peer for the WebSocket conformance tests
	@if [ -f tests/node/package.json ]; then cd tests/node && npm ci --silent --no-audit --no-fund; fi

lint: install ## ruff, import cycles, mypy (+ stubtest), cargo fmt --check, clippy -D warnings, hadolint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/check_imports.py
	$(BIN)/mypy
	$(BIN)/python -m mypy.stubtest pacai._core --allowlist .stubtest-allowlist
	cargo fmt --check
	cargo clippy --quiet --all-targets -- -D warnings
	cargo clippy --quiet --all-targets --all-features -- -D warnings
	$(BIN)/hadolint Dockerfile

format: install ## apply ruff and cargo formatting
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	cargo fmt

test-rust: ## the Rust unit tests (no Python needed)
	cargo test --quiet

# `cargo fuzz build` needs a nightly toolchain; `cargo check` on stable compiles the same
# targets, so they cannot rot. Run them with `cargo +nightly fuzz run <target>`.
check-fuzz: ## the fuzz targets compile (cargo check on stable)
	cargo fmt --check --manifest-path fuzz/Cargo.toml
	cargo check --quiet --manifest-path fuzz/Cargo.toml --all-targets

test-python: install services node-deps ## the Python test suite against real services
	$(BIN)/python -m pytest

runtime-proof: install services ## build the wheel and run it through the image entrypoint as a non-root user, as the Docker runtime stage does
	scripts/prove-runtime.sh

test: install services node-deps lint test-rust check-fuzz test-python runtime-proof ## everything CI runs

bench: install ## micro-benchmarks: each Rust hot path beside its Python baseline
	$(BIN)/python -m pytest benches --benchmark-enable --benchmark-only -q --benchmark-columns=min,median,mean,ops,rounds

load: install services ## load scripts against a running server (wrk, WebSocket)
	$(BIN)/python benches/load_http.py

clean: ## remove build products and the venv
	rm -rf $(VENV) target dist .pytest_cache .mypy_cache .ruff_cache python/pacai/_core*.so
