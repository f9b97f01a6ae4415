#!/usr/bin/env bash
# The one script a session lent an H100/H200 runs for `make bench` on CUDA. It runs there as it is, with the
# machine's own python3 (torch, triton, pytest-benchmark and rich are installed there; nothing is downloaded).
#
#   From the session (device tool), with MNIST inside the checkout and carried:
#     mkdir -p data/MNIST && cp -r /work/main/data/MNIST/raw data/MNIST/     # 53 MB, git-ignored
#     run(command="bash bench/gpu_check.sh", carry=["data"], timeout_s=600)
#
# First the training check (bench/sweep_check.py, within SWEEP_BUDGET_S, default 240): 16 seeds x 19 epochs with
# the graph execution in 8 processes at once, then seeds 0 and 15 alone, which must equal the sweep bit for bit.
# Then the recipe check (bench/recipe_check.py, within RECIPE_BUDGET_S, default 120): OneCycle + augmentation
# killed and resumed bit-identically on CUDA, and a model with AdaptiveAvgPool2d refused in one line, then
# trained with --allow-nondeterministic.
# Then the benchmarks, CUDA cases only (`-k cuda`): the CPU figures come from `make bench` on the development
# machine. Two invocations, so that a slow torch.compile cannot cost the rest: first eager, folded, cuda-graph
# and the training throughput; then the compiled variant, within what is left of BENCH_BUDGET_S (default 300).
# Writes under $OUT (9 files): env.txt, sweep_check.json, sweep.log, recipe_check.json, recipe.log, bench-1.json,
# bench-2.json (if the second run finished), bench.log, table.txt.
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
SWEEP_BUDGET=${SWEEP_BUDGET_S:-240}
BUDGET=${BENCH_BUDGET_S:-300}
export STORE="$(mktemp -d)/bench"   # a fresh store: the newest file in it is the run just made

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

SWEEP="$(mktemp -d)/sweep"
timeout "$SWEEP_BUDGET" python3 -m bench.sweep_check --out "$SWEEP" --device cuda --execution graph \
  --seeds "${SWEEP_SEEDS:-16}" --procs "${SWEEP_PROCS:-8}" --time-limit $((SWEEP_BUDGET - 10)) > "$OUT/sweep.log" 2>&1
echo "sweep_check exit $?" >> "$OUT/sweep.log"
[ -f "$SWEEP/sweep_check.json" ] && cp "$SWEEP/sweep_check.json" "$OUT/"
for log in "$SWEEP"/*.log; do [ -f "$log" ] && { echo "== $log"; tail -c 3000 "$log"; }; done >> "$OUT/sweep.log" 2>&1

RECIPE="$(mktemp -d)/recipe"
timeout "${RECIPE_BUDGET_S:-120}" python3 -m bench.recipe_check --out "$RECIPE" --device cuda > "$OUT/recipe.log" 2>&1
echo "recipe_check exit $?" >> "$OUT/recipe.log"
[ -f "$RECIPE/recipe_check.json" ] && cp "$RECIPE/recipe_check.json" "$OUT/"

START=$SECONDS
newest() { ls -t "$STORE"/*/*.json 2>/dev/null | head -1; }

echo "== run 1: eager, folded, cuda-graph, training ==" > "$OUT/bench.log"
timeout $((BUDGET - (SECONDS - START))) bash "$SELF" --bench 'cuda and not compiled' >> "$OUT/bench.log" 2>&1
echo "run 1 exit $? after $((SECONDS - START)) s" >> "$OUT/bench.log"
FIRST=$(newest)
[ -n "$FIRST" ] && cp "$FIRST" "$OUT/bench-1.json"

LEFT=$((BUDGET - (SECONDS - START)))
if [ "$LEFT" -gt 60 ]; then
  echo "== run 2: compiled ($LEFT s left) ==" >> "$OUT/bench.log"
  timeout "$LEFT" bash "$SELF" --bench 'cuda and compiled' >> "$OUT/bench.log" 2>&1
  echo "run 2 exit $? after $((SECONDS - START)) s" >> "$OUT/bench.log"
  SECOND=$(newest)
  [ -n "$SECOND" ] && [ "$SECOND" != "$FIRST" ] && cp "$SECOND" "$OUT/bench-2.json"
else
  echo "run 2 (compiled) not started: $LEFT s left" >> "$OUT/bench.log"
fi

RUNS=$(ls "$OUT"/bench-*.json 2>/dev/null)
if [ -n "$RUNS" ]; then
  python3 -m bench.table $RUNS > "$OUT/table.txt" 2>&1
else
  echo "no benchmark JSON was written: see bench.log" > "$OUT/table.txt"
fi
tail -c 200000 "$OUT/bench.log" > "$OUT/bench.log.tmp" && mv "$OUT/bench.log.tmp" "$OUT/bench.log"
cat "$OUT/table.txt"
