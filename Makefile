# Two commands (see README):
#   make site   - set up everything (.venv, npm packages) and build the site into _site/
#   make test   - set up everything (plus Chromium) and run every test (Python, TypeScript, browser)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup site test lint chromium serve

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed node_modules/.installed

site: setup
	$(PY) -m builders.build

serve: site
	$(PY) -m builders.serve

# Browser tests use Debian's Chromium (Playwright cannot download a browser here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

lint: setup
	$(PY) -m ruff check builders tests benchmarks
	npm run --silent typecheck

test: setup chromium lint
	node site_src/run_tests.mjs
	$(PY) -m pytest -n 2 --dist loadfile  # two workers (the 2-core CI machine); a test file stays on one worker
