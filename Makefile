# The README's commands.  `make run` serves the app, `make test` runs everything CI runs.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

# Installs are pinned to constraints.txt (what `make test` last passed with; `make lock` rewrites it).
PIP_INSTALL := $(BIN)/pip install -q -c constraints.txt

.PHONY: run test setup setup-dev lint bench eval browser lock clean

# `make run` installs what the server needs; `make test` adds the dev extra (tools, PostgreSQL driver).
setup: $(VENV)/.installed-run
setup-dev: $(VENV)/.installed-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml setup.py constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -e .
	touch $@

# The dev extra includes everything `run` needs, so it satisfies `setup` too.
$(VENV)/.installed-dev: pyproject.toml setup.py constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -e ".[dev]"
	touch $@ $(VENV)/.installed-run

run: setup
	$(BIN)/shouhou serve

browser:
	./scripts/install-browser.sh

lock: setup-dev
	$(BIN)/python scripts/lock.py

test: setup-dev browser
	$(BIN)/ruff check app tests benchmarks scripts
	$(BIN)/shouhou lint
	$(BIN)/python ../shared/eval/check_copies.py
	$(BIN)/pytest

lint: setup
	$(BIN)/shouhou lint

bench: setup-dev
	$(BIN)/python benchmarks/bench_suggest.py
	$(BIN)/python benchmarks/bench_check.py
	$(BIN)/python benchmarks/bench_http.py
	$(BIN)/python benchmarks/bench_saves.py
	$(BIN)/python benchmarks/bench_replicas.py
	$(BIN)/python benchmarks/bench_templates.py
	$(BIN)/python benchmarks/bench_login.py
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/bench_memory.py
	$(BIN)/python benchmarks/crossval.py

eval: setup-dev
	$(BIN)/python ../shared/eval/evaluate.py intents ../shared/eval/real_dev_intents.jsonl -q
	$(BIN)/python ../shared/eval/evaluate.py intents ../shared/eval/dev_intents.jsonl -q
	$(BIN)/python ../shared/eval/evaluate.py risks ../shared/eval/real_dev_risks.jsonl -q
	$(BIN)/python ../shared/eval/evaluate.py risks ../shared/eval/dev_risks.jsonl -q

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
