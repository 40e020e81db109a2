# consensus-lab: `make lab` to learn, `make test` to check everything.
#
# Every step is idempotent: stamp files in .venv remember what was installed,
# and a stamp is redone only when pyproject.toml changes, so a second run
# goes straight to the command you asked for.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip

STAMP_VENV := $(VENV)/.stamp-venv
STAMP_RUNTIME := $(VENV)/.stamp-runtime
STAMP_DEV := $(VENV)/.stamp-dev
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
KERNEL_SPEC := $(VENV)/share/jupyter/kernels/consensus-lab/kernel.json

# Debian packages the tests use: dot for diagrams, Chromium for the browser
# tests, a CJK font so its screenshots show the 繁體中文 terms (not boxes),
# etcd for the real-etcd notebook and tests.
TEST_SYS_PKGS := graphviz chromium fonts-wqy-microhei etcd-server etcd-client
# JupyterLab refuses to run as root without this flag (containers, CI).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

export PIP_NO_INPUT := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help lab test test-slow lint bench notebooks install-sys sys-graphviz sys-etcd venv clean-venv

help:
	@echo "make lab          start JupyterLab on the notebooks (sets everything up first)"
	@echo "make test         lint, layers, types (mypy), notebook parity + the fast test suite"
	@echo "make test-slow    only the slow stress runs and seed sweeps"
	@echo "make lint         ruff check and the layer contract (lint-imports)"
	@echo "make bench        print the simulator benchmark figures"
	@echo "make install-sys  apt-get the system packages the tests use (root, Debian)"
	@echo "make venv         create .venv only"
	@echo "make clean-venv   delete .venv"

lab: sys-graphviz sys-etcd $(STAMP_RUNTIME) $(LAB_OVERRIDES) $(KERNEL_SPEC)
	@mkdir -p notebooks
	exec $(BIN)/jupyter lab --ip 127.0.0.1 --ServerApp.root_dir=notebooks $(ALLOW_ROOT)

test: install-sys $(STAMP_DEV) $(LAB_OVERRIDES)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest

test-slow: install-sys $(STAMP_DEV) $(LAB_OVERRIDES)
	$(BIN)/pytest -m slow; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "no slow tests yet"; else exit $$rc; fi

lint: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: $(STAMP_RUNTIME)
	$(BIN)/consensus-lab bench sim

# notebooks/NN-name.py (jupytext py:percent) is the source of notebooks/NN-name.ipynb:
# write each notebook from its source, run it top to bottom in a fresh kernel and
# save it with its outputs (not saved when a cell fails). NB= picks one notebook.
notebooks: $(STAMP_DEV)
	$(BIN)/python tools/build_notebooks.py $(NB)

# `dot` is optional: without it the diagrams fall back to graphviz-pure (a pip wheel).
sys-graphviz:
	@command -v dot >/dev/null 2>&1 || ./tools/install_sys.sh graphviz
	@command -v dot >/dev/null 2>&1 || \
	  echo "note: no system Graphviz (dot); diagrams will use graphviz-pure instead."

# Notebooks 11 and 13 run a real etcd cluster beside the embedded one (and say how
# to install it when it is missing).
sys-etcd:
	@command -v etcd >/dev/null 2>&1 || ./tools/install_sys.sh etcd-server etcd-client

install-sys:
	@./tools/install_sys.sh $(TEST_SYS_PKGS)

venv: $(STAMP_VENV) $(LAB_OVERRIDES)

$(STAMP_VENV):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "consensus-lab needs Python >= 3.11; run: make PYTHON=python3.11 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	touch $@

# Turns off JupyterLab's "news?" toast and update check (it covers outputs).
$(LAB_OVERRIDES): tools/jupyterlab-overrides.json | $(STAMP_VENV)
	mkdir -p $(@D) && cp $< $@

$(STAMP_RUNTIME): pyproject.toml | $(STAMP_VENV)
	$(PIP) install -e .
	touch $@

# The dev install includes the runtime install, so it refreshes that stamp too.
$(STAMP_DEV): pyproject.toml | $(STAMP_VENV)
	$(PIP) install -e '.[dev]'
	touch $(STAMP_RUNTIME) $@

$(KERNEL_SPEC): $(STAMP_RUNTIME)
	$(BIN)/python -m ipykernel install --sys-prefix --name consensus-lab \
	  --display-name "Python 3 (consensus-lab)"

clean-venv:
	rm -rf $(VENV)
