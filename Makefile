# `make reproduce` and `make test` work on a fresh clone: without PYTHON=..., the first target that needs
# Python creates .venv and installs the suite with its dev extra. With PYTHON=/path/to/python, that
# interpreter is used as it is and nothing is installed.
ifeq ($(origin PYTHON), undefined)
PYTHON := .venv/bin/python
SETUP := .venv/.installed
else
SETUP :=
endif

# MODEL: a registered model (seed, seed-fc, ...) or FILE.py:NAME / package.module:NAME; RECIPE: a recipe file
# (default: the model's own). EPOCHS: overrides the recipe's. OUT: default reports/<model>-<epochs>ep.
MODEL ?= seed
RECIPE ?=
SEEDS ?= 0-4
EPOCHS ?=
OUT ?=
DEVICE ?= auto
# THREADS: torch CPU threads (part of a CPU run's bytes; default: torch's own choice)
THREADS ?=
# EXECUTION=plain: the textbook loop's layout and kernels instead of the fast path; EXECUTION=graph (CUDA only):
# the fast path with each step replayed from a CUDA graph (reproduce/training/execution.py, reproduce/training/graph_step.py)
EXECUTION ?= fast
# CLUSTER=slurm: every seed a SLURM array task (docs/sweeps.md); CLUSTER_ARGS: its flags, e.g.
# CLUSTER_ARGS="--partition gpu --time 60 --gpus-per-task 1 --slurm-arg account=me"
CLUSTER ?=
CLUSTER_ARGS ?=
TARGET ?= 99.4
FORMAT ?= table
# MNIST lives in the checkout's data/ for make's commands and tests (without make: a per-user cache unless run
# from inside the checkout; docs/commands.md). Set MNIST_DATA_DIR to keep it elsewhere.
MNIST_DATA_DIR ?= $(CURDIR)/data
export MNIST_DATA_DIR

# `make bench`: forward-pass and training benchmarks (bench/), saved as pytest-benchmark JSON, then a table.
BENCH_DIR ?= reports/bench
BENCH_FAIL ?= median:10%
BENCH_THREADS ?=
BENCH_ARGS ?=
BENCH_PYTEST = BENCH_THREADS=$(BENCH_THREADS) $(PYTHON) -m pytest bench -q -p no:cacheprovider \
	--benchmark-storage=file://$(BENCH_DIR) --benchmark-autosave --benchmark-sort=name \
	--benchmark-warmup=on --benchmark-warmup-iterations=10 --benchmark-min-rounds=5 --benchmark-max-time=1.0 \
	--benchmark-columns=median,iqr,rounds,iterations $(BENCH_ARGS)

.PHONY: reproduce report test test-fast test-unit lint data clean-venv bench bench-compare check

# `make check NOTEBOOK=their.ipynb SEEDS=0-9`: the notebook's claim against honest runs of its network and the
# recipe drafted from its code (docs/notebooks.md). NOTEBOOK may name several; MODEL_FILE: the network, where it
# lives in a file beside the notebook (FILE.py:NAME); CHECK_ARGS: any other check flags (--train-limit, --pattern).
# UNTIL_SETTLED=1: seeds 0, 1, 2, ... until the decision settles, in place of SEEDS (docs/verdict.md).
NOTEBOOK ?=
UNTIL_SETTLED ?=
MODEL_FILE ?=
CHECK_ARGS ?=

RUN_ARGS = --model $(MODEL) --seeds $(SEEDS) --device $(DEVICE) --execution $(EXECUTION) \
	$(if $(RECIPE),--recipe $(RECIPE)) $(if $(EPOCHS),--epochs $(EPOCHS)) $(if $(OUT),--out $(OUT)) \
	$(if $(THREADS),--threads $(THREADS)) \
	$(if $(CLUSTER),--cluster $(CLUSTER) $(CLUSTER_ARGS))

reproduce: $(SETUP)
	@# --report: the sweep's runs are checked and rendered at the end. Its exit 1 (a run below target) is a
	@# finding, not a failure of `make reproduce`; 2 (bad input) is.
	$(PYTHON) -m reproduce run $(RUN_ARGS) --report || [ $$? -eq 1 ]

report: $(SETUP)
	$(PYTHON) -m reproduce report reports --target $(TARGET) --format $(FORMAT)

check: $(SETUP)
	@test -n "$(NOTEBOOK)" || { echo "make check needs NOTEBOOK=their.ipynb" >&2; exit 2; }
	$(PYTHON) -m reproduce check $(NOTEBOOK) $(if $(UNTIL_SETTLED),--until-settled,--seeds $(SEEDS)) \
		--device $(DEVICE) --execution $(EXECUTION) \
		--target $(TARGET) --format $(FORMAT) $(if $(MODEL_FILE),--model $(MODEL_FILE)) \
		$(if $(EPOCHS),--epochs $(EPOCHS)) $(if $(OUT),--out $(OUT)) $(if $(THREADS),--threads $(THREADS)) \
		$(if $(CLUSTER),--cluster $(CLUSTER) $(CLUSTER_ARGS)) $(CHECK_ARGS)

data: $(SETUP)
	$(PYTHON) -m reproduce data

test: $(SETUP)
	$(PYTHON) -m pytest -q tests

# The edit-test loop: the suite without the tests marked slow (those that train for more than a few seconds or
# bring up SLURM; every test under tests/e2e/). `make test` runs them all.
test-fast: $(SETUP)
	$(PYTHON) -m pytest -q -m "not slow" tests

# The unit tier, under a minute: only the tests that run in this process on made-up data; those that start a
# process or read the real MNIST (marked integration) and the slow ones are left out. tests/conftest.py gives
# each test its tier, and fails a test of this tier that starts a process. One OpenMP thread: the tensors are
# small, and on a busy machine torch's threads spin waiting for each other (three times the wall time).
test-unit: $(SETUP)
	OMP_NUM_THREADS=1 $(PYTHON) -m pytest -q -m unit tests

# ruff (pyproject.toml [tool.ruff]): pycodestyle, pyflakes, import order, bugbear, complexity, argument count,
# named catches, today's syntax, simpler forms, pytest idioms; then mypy ([tool.mypy]) on reproduce/ and bench/.
lint: $(SETUP)
	$(PYTHON) -m ruff check .
	$(PYTHON) -m mypy

bench: $(SETUP)
	$(BENCH_PYTEST)
	$(PYTHON) -m bench.table $(BENCH_DIR)

# Runs the benchmarks again, saves them, and fails if any median got worse than BENCH_FAIL against the
# previous saved run (pytest-benchmark's --benchmark-compare-fail syntax, e.g. median:10% or mean:0.001).
bench-compare: $(SETUP)
	@$(PYTHON) -m bench.table --has-previous $(BENCH_DIR)
	$(BENCH_PYTEST) --benchmark-compare --benchmark-compare-fail=$(BENCH_FAIL)
	$(PYTHON) -m bench.table $(BENCH_DIR)

.venv/.installed: pyproject.toml
	python3 -m venv .venv
	.venv/bin/pip install --disable-pip-version-check -q -e '.[dev]'
	touch $@

clean-venv:
	rm -rf .venv
