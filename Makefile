# `make reproduce` and `make test` work on a fresh clone: without PYTHON=..., the first target that needs
# Python creates .venv and installs the suite with its dev extra. With PYTHON=/path/to/python, that
# interpreter is used as it is and nothing is installed.
ifeq ($(origin PYTHON), undefined)
PYTHON := .venv/bin/python
SETUP := .venv/.installed
else
SETUP :=
endif

MODEL ?= seed
SEEDS ?= 0-4
EPOCHS ?= 19
DEVICE ?= auto
OUT ?= reports/$(MODEL)-$(EPOCHS)ep
TARGET ?= 99.4

.PHONY: reproduce report test data clean-venv

reproduce: $(SETUP)
	$(PYTHON) -m reproduce run --model $(MODEL) --seeds $(SEEDS) --epochs $(EPOCHS) --device $(DEVICE) --out $(OUT)
	@# The report's exit 1 (a run below target) is a finding, not a failure of `make reproduce`; 2 is.
	$(PYTHON) -m reproduce report $(OUT) --target $(TARGET) || [ $$? -eq 1 ]

report: $(SETUP)
	$(PYTHON) -m reproduce report reports --target $(TARGET)

data: $(SETUP)
	$(PYTHON) -m reproduce data

test: $(SETUP)
	$(PYTHON) -m pytest -q tests

.venv/.installed: pyproject.toml
	python3 -m venv .venv
	.venv/bin/pip install --disable-pip-version-check -q -e '.[dev]'
	touch $@

clean-venv:
	rm -rf .venv
