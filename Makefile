# The README's commands.  `make run` serves the app, `make test` runs everything CI runs.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: run test setup lint bench eval browser clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

run: setup
	$(BIN)/shouhou serve

browser:
	./scripts/install-browser.sh

test: setup browser
	$(BIN)/ruff check app tests benchmarks scripts
	$(BIN)/shouhou lint
	$(BIN)/python ../shared/eval/check_copies.py
	$(BIN)/pytest

lint: setup
	$(BIN)/shouhou lint

bench: setup
	$(BIN)/python benchmarks/bench_suggest.py
	$(BIN)/python benchmarks/bench_check.py
	$(BIN)/python benchmarks/bench_saves.py
	$(BIN)/python benchmarks/bench_templates.py
	$(BIN)/python benchmarks/bench_login.py
	$(BIN)/python benchmarks/crossval.py

eval: setup
	$(BIN)/python ../shared/eval/evaluate.py intents ../shared/eval/real_dev_intents.jsonl -q
	$(BIN)/python ../shared/eval/evaluate.py intents ../shared/eval/dev_intents.jsonl -q
	$(BIN)/python ../shared/eval/evaluate.py risks ../shared/eval/real_dev_risks.jsonl -q
	$(BIN)/python ../shared/eval/evaluate.py risks ../shared/eval/dev_risks.jsonl -q

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
