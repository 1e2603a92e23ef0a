# rnnlab: `make app` starts the app, `make test` runs every test. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TF_CPP_MIN_LOG_LEVEL ?= 3
export PYTHONUNBUFFERED := 1

.PHONY: app test setup browser bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# Debian's chromium for the end-to-end browser test (Playwright drives /usr/bin/chromium).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "could not install chromium: the browser test will be reported as skipped"; }

app: $(STAMP)
	$(BIN)/streamlit run app/streamlit_app.py

test: $(STAMP) browser
	$(BIN)/python -m pytest

# Benchmarks print tables for the README; they are not timed tests.
bench: $(STAMP)
	$(BIN)/python bench/bench_layers.py
	$(BIN)/python bench/bench_probe.py
	$(BIN)/python bench/bench_learning.py
	$(BIN)/python bench/bench_app.py

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info
