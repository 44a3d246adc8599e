# The map of what a maintainer does: one target per job, each a thin call into Python.
# Every target bootstraps .venv on first use (Python 3.11+ with venv is all a machine needs).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

PORT ?= 8000
REPORT_DIR ?= reports
NEW ?= openapi.yaml
CHANGELOG ?= docs/CHANGELOG.md

# A token given as TOKEN=... travels in the environment, never on a command line make echoes.
ifdef TOKEN
export LIVEPEER_GATEWAY_TOKEN := $(TOKEN)
endif

.PHONY: venv generate check-generated lint-spec compat release-notes release-check serve conformance test faults bench clean

venv: $(STAMP)

# The client (generated/) and the toolkit are two distributions, both installed editable; the
# maintainers-only benchmarks (scripts/livepeer_gateway_bench, not in the wheel) go on the path.
$(STAMP): pyproject.toml generated/pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ./generated -e '.[dev]'
	$(PY) -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_path("purelib"), "livepeer-maintainers.pth").write_text(str(pathlib.Path("scripts").resolve()) + "\n")'
	@touch $(STAMP)

generate: venv          ## regenerate generated/ from openapi.yaml
	$(PY) -m livepeer_gateway_tools.generate

check-generated: venv   ## fail with a diff when generated/ is not what openapi.yaml produces
	$(PY) -m livepeer_gateway_tools.check_generated

lint-spec: venv         ## validate openapi.yaml and the project's own rules
	$(PY) -m livepeer_gateway_tools.lint_spec $(ARGS)

compat: venv            ## breaking changes between OLD (git ref or file) and NEW
	@test -n "$(OLD)" || { echo "usage: make compat OLD=<git-ref-or-file> [NEW=openapi.yaml]" >&2; exit 2; }
	$(PY) -m livepeer_gateway_compat "$(OLD)" "$(NEW)" $(ARGS)

release-notes: venv     ## prepend to $(CHANGELOG) what changed for clients since OLD (a git ref or file)
	@test -n "$(OLD)" || { echo "usage: make release-notes OLD=<git-ref-or-file> [NEW=openapi.yaml]" >&2; exit 2; }
	$(PY) -m livepeer_gateway_tools.release_notes "$(OLD)" "$(NEW)" --changelog "$(CHANGELOG)" $(ARGS)

release-check: venv     ## fail when the spec breaks clients since OLD but info.version's major was not raised
	@test -n "$(OLD)" || { echo "usage: make release-check OLD=<git-ref-or-file> [NEW=openapi.yaml]" >&2; exit 2; }
	$(PY) -m livepeer_gateway_tools.release_notes "$(OLD)" "$(NEW)" --check $(ARGS)

serve: venv             ## run the reference gateway on 127.0.0.1:$(PORT)
	$(PY) -m livepeer_reference_gateway --port $(PORT) $(ARGS)

conformance: venv       ## run the conformance suite (the reference gateway unless BASE_URL is set)
	$(PY) -m livepeer_conformance.cli run $(if $(BASE_URL),--base-url "$(BASE_URL)") --report-dir "$(REPORT_DIR)" $(ARGS)

test: venv              ## the whole test suite
	$(PY) -m pytest $(ARGS)

faults: venv            ## detection table of the fault catalogue, written to docs/faults.md
	$(PY) -m livepeer_gateway_bench.fault_table $(ARGS)

bench: venv             ## benchmarks, printed and written to docs/benchmarks.md
	$(PY) -m livepeer_gateway_bench $(ARGS)

clean:
	rm -rf $(VENV) $(REPORT_DIR) .pytest_cache .hypothesis
