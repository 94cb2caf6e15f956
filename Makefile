# vaebook: one command builds the book, one runs the tests; each does its own set-up.
#   make book   -> _build/html (every notebook executed once, warnings are errors)
#   make test   -> lint, package tests, notebooks (papermill + nbval), book build, browser tests
#   make bench  -> performance tables under _build/bench/
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
MATHJAX := _static/mathjax/tex-chtml.js
# The book's models are tiny: one thread per framework is as fast on 2 cores and
# avoids oversubscription when torch, TensorFlow and scikit-learn share a kernel.
export OMP_NUM_THREADS := 1
export TF_NUM_INTRAOP_THREADS := 1
export TF_NUM_INTEROP_THREADS := 1
# ... so two notebooks (or two test workers) at a time fill the two cores of the CI machine.
JOBS ?= 2
# Notebooks keep matplotlib's inline backend; tests pick Agg in tests/conftest.py.

.PHONY: help setup executed book test lint test-package test-bench-smoke test-notebooks test-variants test-browser bench clean

help:
	@echo "make book   build the HTML book into _build/html"
	@echo "make test   run every check CI runs"
	@echo "make bench  run the performance benchmark (slow)"

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(MATHJAX):
	# MathJax served from the book itself, so pages render math offline.
	mkdir -p .cache/npm _static/mathjax
	npm install --silent --no-audit --no-fund --prefix .cache/npm mathjax@3
	cp -r .cache/npm/node_modules/mathjax/es5/. _static/mathjax/

setup: $(STAMP) $(MATHJAX)

# Execute every notebook in _toc.yml once with papermill; re-runs only those whose
# source (or the package) changed since the last run.
# The book is executed with TensorFlow's oneDNN on (as on Colab and on CPUs with
# AVX-512 VNNI/BF16 or AMX, where it is TensorFlow's default) and nbval re-runs it with
# oneDNN off: the printed numbers it compares must not depend on the CPU.
executed: setup
	TF_ENABLE_ONEDNN_OPTS=1 $(BIN)/python tools/execute_notebooks.py --jobs $(JOBS)

book: setup executed
	$(BIN)/python tools/build_book.py

lint: $(STAMP)
	$(BIN)/ruff check vaebook tests tools benchmarks chapters

test-package: $(STAMP)
	$(BIN)/python -m pytest -q -n $(JOBS) tests --ignore=tests/test_browser.py

# nbval re-executes the papermill outputs and compares the cells marked
# NBVAL_CHECK_OUTPUT: seeded results must come out the same twice, oneDNN on and off. `--dist loadfile`
# keeps each notebook's cells together in one worker (they share one kernel).
test-notebooks: book
	TF_ENABLE_ONEDNN_OPTS=0 $(BIN)/python -m pytest -q --nbval-lax -p no:randomly -n $(JOBS) --dist loadfile \
	  $$(find _build/executed -name '*.ipynb' ! -name '*.failed.ipynb' | sort)

# Every chapter run as a one-framework reader runs it (the other framework's cells left
# out), with its test parameters: the long run's code on the offline 28 x 28 data, fewer
# epochs. Outputs go to _build/variants/ and are not part of the book.
test-variants: setup
	TF_ENABLE_ONEDNN_OPTS=1 $(BIN)/python tools/execute_notebooks.py --jobs $(JOBS) \
	  --variant pytorch --variant tensorflow

test-browser: book
	$(BIN)/python tools/ensure_chromium.py
	$(BIN)/python -m pytest -q -n $(JOBS) tests/test_browser.py

# A tiny run of the benchmark (one pair, one seed, one epoch) so it cannot rot.
test-bench-smoke: $(STAMP)
	$(BIN)/python -m benchmarks.run --smoke

test: lint test-package test-bench-smoke test-notebooks test-variants test-browser

bench: setup
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf _build
