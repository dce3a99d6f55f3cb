# Two commands: `make demo` (set up, build the demo, serve the app) and `make test` (set up, run every test).
PY := .venv/bin/python
PORT ?= 8501

.PHONY: demo test check setup setup-test demo-data bench

.venv/.installed: requirements.txt pyproject.toml
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

.venv/.installed-test: .venv/.installed requirements-test.txt
	$(PY) -m pip install -q -r requirements-test.txt
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	touch $@

setup: .venv/.installed
setup-test: .venv/.installed-test

demo-data: setup  # the demos, built without serving (what the Docker image runs at build time)
	$(PY) -m astrodisc demo

demo: setup  # serves at once; the missing demos are built behind the app, 5,000-object ones first
	$(PY) -m astrodisc demo --serve --port $(PORT)

bench: setup  # speed figures as JSON (not part of the tests)
	$(PY) -m astrodisc bench --parts speed --out benchmark.json

check: setup-test  # what a reviewer runs: lint, format and types (zero findings), before the tests
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

test: check
	$(PY) -m pytest -q --timeout=900 tests
