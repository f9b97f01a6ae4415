#!/usr/bin/env bash
# The one script for the CUDA checks and `make bench` on an H100/H200-class GPU machine. It runs as it is,
# with the machine's own python3 (torch, triton, pytest-benchmark and rich installed; nothing is downloaded,
# so the machine needs no network).
#
#   With MNIST inside the checkout (data/MNIST/raw, 53 MB, git-ignored; `make data` fetches it):
#     OUT=/path/to/results bash bench/gpu_check.sh
#
# One deadline for the whole script, TOTAL_BUDGET_S (default 330 s: one device call may run 600 s, and this
# leaves time to run it once more), shared by the steps in order of importance, each stopped at its own cap
# or at what is left, whichever comes first:
# 1. the training check (bench/sweep_check.py, cap SWEEP_BUDGET_S, default 170): the graph execution over
#    SWEEP_SEEDS seeds (default 8) x 19 epochs in SWEEP_PROCS processes (default 4), then the first and the
#    last seed alone, which must equal the sweep bit for bit. A captured step is GPU-bound (~1.3 ms on an
#    H100) and processes without MPS take turns on the GPU, so 8 x 19 x 469 steps is ~95 s of GPU time before
#    evaluation, start-up and the two alone runs; sweep_check.json records the seeds, processes and epochs.
# 2. the recipe check (bench/recipe_check.py, cap RECIPE_BUDGET_S, default 60): OneCycle + augmentation killed
#    and resumed bit-identically on CUDA, and a model with AdaptiveAvgPool2d(2) refused in one line, then
#    trained with --allow-nondeterministic.
# 3. a notebook checked end to end (`check examples/answer.ipynb --device cuda`, cap NOTEBOOK_BUDGET_S, default
#    40): two seeds of a short run, into checks.log.
# 4. the benchmarks, CUDA cases only (`-k cuda`; the CPU figures come from `make bench` on the development
#    machine): eager, folded, cuda-graph and the training throughput; then the compiled variants, only if
#    at least 60 s are left. table.txt is rewritten after each benchmark run, so a run stopped at the deadline
#    still leaves the table of what finished.
# Writes under $OUT (8 files): env.txt, checks.log, sweep_check.json, recipe_check.json, bench-1.json,
# bench-2.json (if the compiled run finished), bench.log, table.txt.
set -u
SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$SELF")/.."

# `bash bench/gpu_check.sh --bench EXPR`: one `make bench -k EXPR` with python3 into $STORE (run under timeout
# below). Without make on the machine, the Makefile's pytest command itself (keep the two in step).
if [ "${1:-}" = "--bench" ]; then
  if command -v make >/dev/null; then
    exec make bench PYTHON=python3 BENCH_DIR="$STORE" BENCH_ARGS="-k '$2'"
  fi
  echo "(no make here: running the Makefile's pytest command directly)"
  python3 -m pytest bench -q -p no:cacheprovider --benchmark-storage="file://$STORE" --benchmark-autosave \
    --benchmark-sort=name --benchmark-warmup=on --benchmark-warmup-iterations=10 --benchmark-min-rounds=5 \
    --benchmark-max-time=1.0 --benchmark-columns=median,iqr,rounds,iterations -k "$2"
  status=$?
  python3 -m bench.table "$STORE"
  exit $status
fi

: "${OUT:?set OUT to the folder the results go to}"
export MNIST_DATA_DIR="${MNIST_DATA_DIR:-$PWD/data}"
export COLUMNS=160            # rich and pytest-benchmark tables at full width in the text files
DEADLINE=$((SECONDS + ${TOTAL_BUDGET_S:-330}))
RESERVE=10                    # kept back from every step for the table and the log trimming at the end
export STORE="$(mktemp -d)/bench"   # a fresh store: the newest file in it is the run just made

# budget CAP: the seconds the next step may take, CAP or what the deadline leaves, whichever is less
budget() {
  local left=$((DEADLINE - SECONDS - RESERVE))
  if [ "$1" -lt "$left" ]; then echo "$1"; else echo "$left"; fi
}

{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1
  python3 - <<'EOF'
import importlib.metadata as md, platform, torch
print("python", platform.python_version(), "torch", torch.__version__, "cuda", torch.version.cuda,
      "cudnn", torch.backends.cudnn.version(), "available", torch.cuda.is_available())
if torch.cuda.is_available():
    print("device", torch.cuda.get_device_name(0))
for name in ("triton", "pytest-benchmark", "rich"):
    try:
        print(name, md.version(name))
    except md.PackageNotFoundError:
        print(name, "MISSING")
EOF
  ls -l "$MNIST_DATA_DIR/MNIST/raw" 2>&1
} > "$OUT/env.txt" 2>&1

LOG="$OUT/checks.log"
SWEEP="$(mktemp -d)/sweep"
B=$(budget "${SWEEP_BUDGET_S:-170}")
if [ "$B" -gt 30 ]; then
  echo "== sweep_check: ${SWEEP_SEEDS:-8} seeds x 19 epochs in ${SWEEP_PROCS:-4} processes, $B s ==" >> "$LOG"
  timeout "$B" python3 -m bench.sweep_check --out "$SWEEP" --device cuda --execution graph \
    --seeds "${SWEEP_SEEDS:-8}" --procs "${SWEEP_PROCS:-4}" --time-limit $((B - 10)) >> "$LOG" 2>&1
  echo "sweep_check exit $?" >> "$LOG"
  [ -f "$SWEEP/sweep_check.json" ] && cp "$SWEEP/sweep_check.json" "$OUT/"
  for log in "$SWEEP"/*.log; do [ -f "$log" ] && { echo "== $log"; tail -c 2000 "$log"; }; done >> "$LOG" 2>&1
else
  echo "sweep_check not started: $B s left" >> "$LOG"
fi

# step NAME CAP MIN COMMAND...: COMMAND under its budget (CAP or what the deadline leaves), its output and exit
# code into checks.log; not started, and said so, when MIN seconds or fewer are left.
step() {
  local name=$1 left
  left=$(budget "$2")
  if [ "$left" -gt "$3" ]; then
    shift 3
    echo "== $name, $left s ==" >> "$LOG"
    timeout "$left" "$@" >> "$LOG" 2>&1
    echo "$name exit $?" >> "$LOG"
  else
    echo "$name not started: $left s left" >> "$LOG"
  fi
}

RECIPE="$(mktemp -d)/recipe"
step recipe_check "${RECIPE_BUDGET_S:-60}" 20 python3 -m bench.recipe_check --out "$RECIPE" --device cuda
[ -f "$RECIPE/recipe_check.json" ] && cp "$RECIPE/recipe_check.json" "$OUT/"

# A notebook checked end to end on CUDA (examples/answer.ipynb: its network from the cells, its recipe drafted,
# its claim read): two seeds of a short run, so the verdict is 1 (below target), never 2 (refused) or a traceback.
step "notebook check" "${NOTEBOOK_BUDGET_S:-40}" 15 python3 -m reproduce check examples/answer.ipynb --seeds 0-1 \
  --epochs 2 --train-limit 4096 --device cuda --out "$(mktemp -d)/check"

newest() { ls -t "$STORE"/*/*.json 2>/dev/null | head -1; }
table() {
  local runs
  runs=$(ls "$OUT"/bench-*.json 2>/dev/null)
  if [ -n "$runs" ]; then
    python3 -m bench.table $runs > "$OUT/table.txt" 2>&1
  else
    echo "no benchmark JSON was written: see bench.log" > "$OUT/table.txt"
  fi
}
table

B=$(budget 600)
echo "== run 1: eager, folded, cuda-graph, training ($B s) ==" > "$OUT/bench.log"
if [ "$B" -gt 30 ]; then
  timeout "$B" bash "$SELF" --bench 'cuda and not compiled' >> "$OUT/bench.log" 2>&1
  echo "run 1 exit $?" >> "$OUT/bench.log"
  FIRST=$(newest)
  [ -n "$FIRST" ] && cp "$FIRST" "$OUT/bench-1.json"
  table
else
  echo "run 1 not started: $B s left" >> "$OUT/bench.log"
fi

B=$(budget 600)
if [ "$B" -gt 60 ]; then
  echo "== run 2: compiled ($B s) ==" >> "$OUT/bench.log"
  timeout "$B" bash "$SELF" --bench 'cuda and compiled' >> "$OUT/bench.log" 2>&1
  echo "run 2 exit $?" >> "$OUT/bench.log"
  SECOND=$(newest)
  [ -n "$SECOND" ] && [ "$SECOND" != "${FIRST:-}" ] && cp "$SECOND" "$OUT/bench-2.json"
  table
else
  echo "run 2 (compiled) not started: $B s left" >> "$OUT/bench.log"
fi

for f in "$OUT/bench.log" "$LOG"; do
  tail -c 200000 "$f" > "$f.tmp" && mv "$f.tmp" "$f"
done
cat "$OUT/table.txt"
