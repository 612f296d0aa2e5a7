# ml-data-platform: the two set-up commands are `make synth` and `make test`.
# Every target installs what it needs (.venv, the pinned CDK CLI) when missing or stale.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov
# PyFlink for the local mini-cluster tests, in its own venv (~700 MB, ~3 min to install): its
# pins (apache-beam, pyarrow, numpy) stay out of the main venv.
FLINK_VENV := .venv-flink
FLINK_VERSION := 1.20.5
# The one dependency jar of the PyFlink jobs (Kinesis connector), built by Maven; git-ignored.
FLINK_POM := analytics/flink-connectors/pom.xml
FLINK_JAR := build/flink/ml-data-platform-flink-connectors.jar
CDK := node_modules/.bin/cdk
ENV ?= dev
CDK_ARGS ?=
CDK_OUT ?= cdk.out
# make deploy refuses to delete, orphan or replace a data-bearing resource unless ALLOW_DATA_LOSS=1.
ALLOW_DATA_LOSS ?=
# Trino (Athena's engine) for the data-path tests (tests/datapath): the server core and the Hive
# connector plugin, pinned, fetched from Maven Central by mvn (cached in ~/.m2) and unpacked into
# the git-ignored $(TRINO_DIR). Trino 476 needs Java >= 24: TRINO_JAVA_HOME (not JAVA_HOME, which
# stays the default Java 17 for everything else) is passed to the tests that start it.
TRINO_VERSION := 476
TRINO_SERVER_SHA256 := 0f388f9967c177ae70a47c099082fc95387f0c3cb96d8000d1d41fc3a5223158
TRINO_HIVE_SHA256 := 611bacdb07d9f3cf7b9d47f97ecc76fa2e7ff8bfe8a9728c3d06adc1bfb8662e
TRINO_DIR := .trino
TRINO_JAVA_HOME ?= /usr/lib/jvm/temurin-25-jdk-amd64
export TRINO_JAVA_HOME
# The environment's stage id, as build_platform names it (environment name capitalised: dev ->
# Dev), and its stacks: they live inside the stage (Dev/Platform/Storage, ...), so deploy/diff/
# destroy `--all` (top-level stacks only) select none of them and `Dev/*` (one level) neither.
# tests/e2e/test_make_stack_selection.py runs this pattern through the pinned CLI.
STAGE = $(shell printf '%s\n' '$(ENV)' | awk '{ print toupper(substr($$0, 1, 1)) tolower(substr($$0, 2)) }')
STACKS = '$(STAGE)/**'

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

$(CHECKOV_VENV)/.installed:
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet 'checkov>=3.3,<4'
	@touch $@

$(FLINK_VENV)/.installed:
	@test -x $(FLINK_VENV)/bin/python || $(PYTHON) -m venv $(FLINK_VENV)
	$(FLINK_VENV)/bin/pip install --quiet 'apache-flink==$(FLINK_VERSION)'
	@touch $@

$(FLINK_JAR): $(FLINK_POM)
	mvn -q -B -f $(FLINK_POM) package
	@test -s $@

$(TRINO_DIR)/.installed-$(TRINO_VERSION):
	@test -x $(TRINO_JAVA_HOME)/bin/java || { echo "Trino $(TRINO_VERSION) needs Java >= 24: set TRINO_JAVA_HOME (no $(TRINO_JAVA_HOME)/bin/java)" >&2; exit 1; }
	rm -rf $(TRINO_DIR) && mkdir -p $(TRINO_DIR)/download $(TRINO_DIR)/plugin
	mvn -q -B --strict-checksums dependency:copy -DoutputDirectory=$(TRINO_DIR)/download \
	  -Dartifact=io.trino:trino-server-core:$(TRINO_VERSION):tar.gz
	mvn -q -B --strict-checksums dependency:copy -DoutputDirectory=$(TRINO_DIR)/download \
	  -Dartifact=io.trino:trino-hive:$(TRINO_VERSION):zip
	cd $(TRINO_DIR)/download && printf '%s  %s\n' \
	  $(TRINO_SERVER_SHA256) trino-server-core-$(TRINO_VERSION).tar.gz \
	  $(TRINO_HIVE_SHA256) trino-hive-$(TRINO_VERSION).zip | sha256sum --check --quiet
	tar -xzf $(TRINO_DIR)/download/trino-server-core-$(TRINO_VERSION).tar.gz -C $(TRINO_DIR)
	$(PYTHON) -m zipfile -e $(TRINO_DIR)/download/trino-hive-$(TRINO_VERSION).zip $(TRINO_DIR)/plugin
	rm -rf $(TRINO_DIR)/download
	@touch $@

.PHONY: trino
trino: $(TRINO_DIR)/.installed-$(TRINO_VERSION) ## Fetch the pinned Trino server + Hive plugin for tests/datapath (~400 MB unpacked)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: help
help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

.PHONY: install
install: $(VENV)/.installed node_modules/.installed ## Create .venv and install the pinned CDK CLI

.PHONY: flink-venv
flink-venv: $(FLINK_VENV)/.installed ## Create .venv-flink (PyFlink $(FLINK_VERSION)) for the Flink job tests

.PHONY: flink-jar
flink-jar: $(FLINK_JAR) ## Build the Flink connector jar into build/flink (Maven; skipped when present)

.PHONY: synth
synth: install flink-jar ## Synthesize the whole platform into cdk.out (all nag packs enforced; no AWS account needed)
	rm -rf $(CDK_OUT)
	@# The CLI's hint "Supply a stack id (...) to display its template." is noise with --quiet.
	set -o pipefail; $(CDK) synth --quiet -o $(CDK_OUT) $(CDK_ARGS) 2>&1 | { grep -v '^Supply a stack id' || true; }
	@echo "synthesized: $$(ls $(CDK_OUT)/assembly-*/*.template.json $(CDK_OUT)/*.template.json 2>/dev/null | wc -l) templates in $(CDK_OUT)"

.PHONY: lint
lint: $(VENV)/.installed ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

.PHONY: format
format: $(VENV)/.installed ## Apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

.PHONY: typecheck
typecheck: $(VENV)/.installed ## mypy --strict over the package (config in pyproject.toml)
	$(VENV)/bin/mypy

.PHONY: unit
unit: install flink-venv flink-jar trino ## Run the whole pytest suite (the user-app suite included; alone: `make userapps`)
	$(VENV)/bin/pytest -q

.PHONY: userapps
userapps: install ## Apps written from the docs: wheel in a fresh venv outside the repo, pinned CLI, four nag packs
	$(VENV)/bin/pytest -q tests/userapps

.PHONY: gates
gates: synth $(CHECKOV_VENV)/.installed ## cfn-lint and checkov over the synthesized templates
	$(VENV)/bin/cfn-lint --config-file .cfnlintrc.yaml -- $$(find cdk.out -name '*.template.json')
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation \
	  --config-file .checkov.yaml -d cdk.out

.PHONY: test
test: lint typecheck unit gates ## All tests and policy gates (what CI runs)

.PHONY: ls
ls: install flink-jar ## List the stacks that diff/deploy/destroy select for ENV
	$(CDK) ls $(STACKS) -c env=$(ENV) $(CDK_ARGS)

.PHONY: diff
diff: install flink-jar ## cdk diff the stacks of ENV against the target account (needs AWS credentials)
	$(CDK) diff $(STACKS) -c env=$(ENV) $(CDK_ARGS)

.PHONY: deploy
deploy: install flink-jar ## cdk deploy every stack of ENV, refused if data would be lost (ALLOW_DATA_LOSS=1 overrides)
	ALLOW_DATA_LOSS=$(ALLOW_DATA_LOSS) $(VENV)/bin/ml-data-platform guard --cdk $(CDK) -- $(STACKS) -c env=$(ENV) $(CDK_ARGS)
	$(CDK) deploy $(STACKS) -c env=$(ENV) $(CDK_ARGS)

.PHONY: destroy
destroy: install flink-jar ## cdk destroy the stacks of ENV (retained data stays unless ENV opted in to destroy)
	$(CDK) destroy $(STACKS) -c env=$(ENV) $(CDK_ARGS)

.PHONY: bench
bench: install flink-jar ## Synth-time ratios to an empty app, synth growth with 1-300 datasets, test-suite time
	$(PY) tools/bench.py --breakdown --datasets 1,10,100,300

.PHONY: deploy-local
deploy-local: $(VENV)/.installed flink-jar ## Deploy the dev stage on an embedded moto server and report what is real
	$(PY) -m ml_data_platform.local deploy --keep-running

.PHONY: destroy-local
destroy-local: $(VENV)/.installed flink-jar ## Delete the local stacks and stop the moto server
	$(PY) -m ml_data_platform.local destroy

.PHONY: plan
plan: $(VENV)/.installed ## Workload planner: make plan ARGS="--events-per-second 5000 --event-bytes 2048"
	$(VENV)/bin/ml-data-platform plan $(ARGS)

.PHONY: diagram
diagram: $(VENV)/.installed flink-jar ## Regenerate the architecture diagram in docs/architecture.md
	$(PY) tools/diagram.py docs/architecture.md --env dev --env prod

.PHONY: mutation
mutation: $(VENV)/.installed ## Mutation testing of the validation modules (mutmut; not in test): MODULES="names inputs"
	@$(PY) -c 'import mutmut' 2>/dev/null || $(VENV)/bin/pip install --quiet -e '.[dev,mutation]'
	$(PY) tools/mutation.py $(MODULES)

.PHONY: docs
docs: $(VENV)/.installed ## Generate the API reference (pdoc) into build/api/ml_data_platform.html
	$(PY) tools/api_reference.py build/api

.PHONY: clean
clean: ## Remove build output (keeps .venv and node_modules)
	rm -rf cdk.out build dist *.egg-info .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -not -path './.venv*' -exec rm -rf {} +

.PHONY: distclean
distclean: clean ## Also remove .venv, .venv-checkov, .venv-flink, node_modules and .trino
	rm -rf $(VENV) $(CHECKOV_VENV) $(FLINK_VENV) node_modules $(TRINO_DIR)
