# Linli: `make demo` serves the simulator, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format install serve bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Only the demo target asks for demo mode: anything else (`make serve`) runs as production
# unless LINLI_ENV says otherwise. The demo keeps its data in data/demo.db and data/demo-media,
# never in production's data/linli.db (production refuses a database with the demo accounts).
demo: export LINLI_ENV ?= demo
demo: export LINLI_DATABASE_URL ?= sqlite:///data/demo.db
demo: export LINLI_MEDIA_DIR ?= data/demo-media
# The demo runs in safe mode (encrypted pushes) with throwaway demo credentials, which
# production refuses (config/settings.py PUBLISHED_VALUES).
demo: export LINLI_WECHAT_TOKEN ?= linli-demo-token
demo: export LINLI_WECHAT_AES_KEY ?= LinliDemoOnlyKeyNotForProduction01234567890
# In the demo, queued messages go out at any hour (production keeps 21:00-08:00 quiet).
demo: export LINLI_QUIET_HOURS ?= 00:00-00:00
demo: $(STAMP)
	mkdir -p data
	$(BIN)/linli check-config
	$(BIN)/linli db upgrade
	$(BIN)/linli demo load
	$(BIN)/linli serve --host 127.0.0.1 --port 8000

serve: $(STAMP)
	$(BIN)/linli serve

# pytest-xdist: one worker per CPU, each test file kept on one worker (module fixtures start once).
PYTEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(MAKE) -C bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
