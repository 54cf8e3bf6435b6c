# Every target works from a clean clone. `make install` puts everything in .venv, CPU torch first:
# torch==2.13.0 lies on this machine's disk; any other spec would pull a multi-GB CUDA build.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/emo-cli
DATA ?= ../shared/data/emotion
GOEMOTIONS ?= ../shared/data/goemotions
TORCH_SPEC ?= torch==2.13.0

.PHONY: install demo test test-fast lint format train release-model bench wheel-check clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH_SPEC)"
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

demo: install  ## classify a few hand-written texts with the model shipped in the package
	$(CLI) classify examples/tweets.txt --format table

test: install  ## every test, the slow ones too: what CI runs (~5 min on 2 cores)
	$(PY) -m pytest

test-fast: install  ## the tests not marked slow (no training but the shared session model; ~1.5 min on 2 cores)
	$(PY) -m pytest -m "not slow"

wheel-check: install  ## build the wheel, install only it (after torch) in a fresh venv, classify offline elsewhere
	.ci/wheel-check.sh $(PY) "$(TORCH_SPEC)"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

train: install  ## train with default settings on the split data
	$(CLI) train --data $(DATA) --output-dir runs/emo

release-model: install  ## retrain the default model shipped in emotion_bilstm/pretrained/ (fixed seed, dair-ai + GoEmotions)
	$(PY) scripts/release_model.py --data $(DATA) --goemotions $(GOEMOTIONS)

bench: install  ## ours vs TF-IDF + LinearSVC vs fastText, raw and clean text, one run (~30 min: trains our twin): writes benchmarks/RESULTS.md
	$(PY) -m pip install -q -e ".[bench]"
	$(PY) benchmarks/bench.py --data $(DATA) --goemotions $(GOEMOTIONS)

clean:
	rm -rf runs dist build .pytest_cache .ruff_cache
