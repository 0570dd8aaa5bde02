# Two commands for a newcomer: `make run` and `make test`. Everything else is set up on the way.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
DB     ?= data/demo.duckdb
# Re-install when a requirements file changes.
DEPS   := $(VENV)/.deps-$(shell cat requirements.txt | md5sum | cut -c1-12)
DEVDEPS := $(VENV)/.devdeps-$(shell cat requirements.txt requirements-dev.txt | md5sum | cut -c1-12)

.PHONY: run test lint bench demo clean

run: $(DEPS) $(DB)
	$(BIN)/python app.py --db $(DB)

test: $(DEVDEPS)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup --durations=15

lint: $(DEVDEPS)
	$(BIN)/ruff check .

bench: $(DEVDEPS)
	$(BIN)/python -m bench

demo: $(DEPS)
	$(BIN)/python -m data_pipeline build-demo --db $(DB)

$(DB): | $(DEPS)
	$(BIN)/python -m data_pipeline build-demo --db $(DB)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(DEPS): requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements.txt
	rm -f $(VENV)/.deps-*; touch $@

$(DEVDEPS): requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.devdeps-* $(VENV)/.deps-*; touch $@ $(DEPS)

clean:
	rm -rf $(VENV) $(DB) $(DB).*
