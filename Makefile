# The two commands of the README:
#   make preview   set up .venv, render + validate + summarise the `dev` stack offline
#   make test      set up .venv and the pinned Prometheus/Alertmanager/Thanos tools, run every test
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.infermon-installed
STACK  ?= dev
OUT    ?= out

.PHONY: setup setup-tools setup-thanos preview render test docs bench bench-series lock clean check diff verify

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --disable-pip-version-check --no-deps -r requirements.txt
	$(PY) -m pip install -qq --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)

# prometheus, promtool, alertmanager, amtool at the versions the pinned chart deploys, in .tools/bin
setup-tools:
	@sh scripts/ensure-prom-tools.sh
	@sh scripts/ensure-operator-crds.sh

# thanos at the version the pinned chart deploys, in .tools/thanos (verify of a sharded stack)
setup-thanos:
	@sh scripts/ensure-thanos.sh

preview: setup setup-tools
	$(VENV)/bin/infermon render --stack $(STACK)

render: setup
	$(VENV)/bin/infermon render --stack $(STACK) --out $(OUT)/$(STACK)

# thanos (only the verification of sharded stacks needs it) builds on the second core meanwhile
test: setup setup-tools
	@sh scripts/ensure-thanos.sh --background
	$(PY) -m pytest -q

check: setup setup-tools
	$(VENV)/bin/infermon check --stack all

BASE ?= origin/main
diff: setup
	$(VENV)/bin/infermon diff --base $(BASE) --stack all

docs: setup
	$(VENV)/bin/infermon docs

bench: setup
	$(PY) benchmarks/render_scale.py

bench-series: setup setup-tools
	$(PY) benchmarks/series_budget.py

verify: setup setup-tools setup-thanos
	$(VENV)/bin/infermon verify --stack $(STACK)

lock: setup
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m pip freeze --all --exclude-editable | grep -v '^pip==' | sed '1i # Exact pins of everything infermon installs; regenerate with `make lock`.' > requirements.txt

clean:
	rm -rf $(OUT) .pytest_cache .tools
