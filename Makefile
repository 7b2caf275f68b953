# reportbot: `make run` and `make test` work on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run test test-fast lint format bench loadtest index clean calibrate apertium

setup: $(STAMP)

# CPU PyTorch first: a bare `torch` requirement would pull a multi-gigabyte CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	-$(MAKE) --no-print-directory apertium
	touch $@

# Spanish questions are also searched in English (Apertium, Debian's apertium-eng-spa). Installed
# when missing and this is root with apt-get; otherwise the bot says so once and goes on without.
apertium:
	@command -v apertium >/dev/null 2>&1 && apertium -l 2>/dev/null | grep -q spa-eng \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	       && (apt-get install -y --no-install-recommends apertium-eng-spa \
	           || (apt-get update && apt-get install -y --no-install-recommends apertium-eng-spa)); } \
	  || echo "apertium-eng-spa not installed: Spanish questions will be searched untranslated"

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
	$(BIN)/pytest -n 2 --dist loadgroup --durations=15

test-fast: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadgroup -m 'not e2e and not slow'

lint: $(STAMP)
	$(BIN)/ruff check bot tests scripts
	$(BIN)/ruff format --check bot tests scripts
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format bot tests scripts
	$(BIN)/ruff check --fix bot tests scripts

# Refit the answer-or-decline models (bot/data/decision*.json: the bundled model's and the unit
# tests' fake embedder's) on the development question set.
calibrate: $(STAMP)
	$(BIN)/python scripts/calibrate.py ../shared/eval/squad --write
	$(BIN)/python scripts/calibrate.py ../shared/eval/squad --write --model hash-384

bench: $(BENCH_STAMP)
	$(BIN)/python scripts/bench.py

loadtest: $(BENCH_STAMP)
	$(BIN)/python scripts/loadtest.py

clean:
	rm -rf $(VENV) index/gen-* index/CURRENT .pytest_cache .hypothesis .bench-cache .mypy_cache
