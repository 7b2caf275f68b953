# reportbot: `make run` and `make test` work on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run test test-fast lint format bench loadtest index clean

setup: $(STAMP)

# CPU PyTorch first: a bare `torch` requirement would pull a multi-gigabyte CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Benchmark-only tools (txtai, onnxruntime, matplotlib, psutil): not needed to run or test.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

index: $(STAMP)
	$(BIN)/reportbot ingest --sync --rebuild-on-mismatch corpus/

run: index
	$(BIN)/reportbot run

# CI (.ci/run) runs this: the same lint and type check as `make lint`, then the whole suite.
test: lint
	$(BIN)/pytest -n 2 --durations=15

test-fast: $(STAMP)
	$(BIN)/pytest -n 2 -m 'not e2e and not slow'

lint: $(STAMP)
	$(BIN)/ruff check bot tests scripts
	$(BIN)/ruff format --check bot tests scripts
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format bot tests scripts
	$(BIN)/ruff check --fix bot tests scripts

bench: $(BENCH_STAMP)
	$(BIN)/python scripts/bench.py

loadtest: $(BENCH_STAMP)
	$(BIN)/python scripts/loadtest.py

clean:
	rm -rf $(VENV) index/gen-* index/CURRENT .pytest_cache .hypothesis .bench-cache .mypy_cache
