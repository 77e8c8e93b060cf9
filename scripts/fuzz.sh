#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, -fsanitize=fuzzer,address,undefined) in build-fuzz/ and
# runs each for SECONDS (default 60) on a seed corpus made from the shipped files.
#   scripts/fuzz.sh [SECONDS] [HARNESS ...]
#   NNASIM_FUZZ_ROUNDS=6 nice -n 19 scripts/fuzz.sh 600   # a long run: 6 rounds of 10 min each
# Prints, per harness, the executions done, their rate, coverage, and whether it found a crash, a
# leak or a UBSan report (libFuzzer stops at the first one and leaves crash-*/leak-*/timeout-*
# files and the log in build-fuzz/findings/HARNESS/). Exit status 1 when any harness found
# something. Every run appends a line to build-fuzz/findings/runs.tsv.
# Needs clang and libclang-rt-14-dev (libFuzzer's runtime): installed here when missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
shift || true
all=(hw_yaml model_yaml sweep_spec set_value trace_jsonl trace_csv scalesim_csv onnx)
harnesses=("${@:-${all[@]}}")
[ $# -gt 0 ] || harnesses=("${all[@]}")

if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "fuzz.sh: installing clang and libclang-rt-14-dev" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev >/dev/null
fi

build=${NNASIM_FUZZ_BUILD_DIR:-$root/build-fuzz}
if [ -z "${NNASIM_FUZZ_NO_BUILD:-}" ]; then  # NNASIM_FUZZ_NO_BUILD=1: run the harnesses already built
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNNASIM_FUZZ=ON -DBUILD_TESTING=ON >/dev/null
  cmake --build "$build" -j"${JOBS:-2}" --target $(printf 'fuzz_%s ' "${harnesses[@]}") >/dev/null
fi

# Seed corpus per harness, from the shipped files, kept small: a harness's speed is set by the size
# of the inputs it mutates (bench/fuzz_long_run.md). YAML seeds are the shipped files without
# their comments (two-thirds of their bytes); the trace seeds are tinynet's trace and the head of
# ResNet-50's; the ONNX seeds are windows of a few nodes cut from the zoo, one per operator form
# (fuzz/make_onnx_seeds.py), instead of the 50-300 KB models.
strip_comments() { sed -E 's/[[:space:]]+#.*$//; /^[[:space:]]*(#.*)?$/d' "$1"; }
make_seeds() {  # HARNESS DIR
  local f
  case $1 in
    hw_yaml) for f in "$root"/configs/hw/*.yaml; do strip_comments "$f" >"$2/$(basename "$f")"; done ;;
    model_yaml) strip_comments "$root"/models/tinynet.yaml >"$2/tinynet.yaml" ;;
    sweep_spec) for f in "$root"/configs/sweeps/*.yaml; do strip_comments "$f" >"$2/$(basename "$f")"; done ;;
    set_value) cp "$root"/fuzz/seeds/set_value/* "$2/" ;;
    trace_jsonl) cp "$root"/fuzz/seeds/trace_jsonl/* "$2/"
                 head -n 6 "$root"/traces/resnet50-series4-1core.jsonl >"$2/resnet50-head.jsonl" ;;
    trace_csv) cp "$root"/traces/*.csv "$2/" ;;
    scalesim_csv) cp "$root"/models/scalesim/*.csv "$2/" ;;
    onnx) cp "$root"/fuzz/seeds/onnx/*.onnx "$2/" ;;
  esac
}
max_len() {  # the largest input a harness may grow: room for nesting bombs and many records
  case $1 in
    set_value) echo 1024 ;;
    onnx) echo 65536 ;;
    trace_jsonl) echo 16384 ;;
    *) echo 8192 ;;
  esac
}

[ -d /dev/shm ] && export TMPDIR=${TMPDIR:-/dev/shm}  # the harnesses write each input to a scratch file
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
# NNASIM_FUZZ_ROUNDS=N runs the list N times in turn (a long run in slices: one harness at a time,
# each process bounded in time, so ASan's bookkeeping of allocation stacks never nears -rss_limit_mb).
for h in $(for _ in $(seq "${NNASIM_FUZZ_ROUNDS:-1}"); do echo "${harnesses[@]}"; done); do
  corpus=$build/corpus/$h findings=$build/findings/$h seeddir=$build/seeds/$h
  mkdir -p "$corpus" "$findings"
  rm -rf "$seeddir" && mkdir -p "$seeddir" && make_seeds "$h" "$seeddir"
  log=$build/findings/$h.log
  set +e
  # The corpus (first directory) keeps what the fuzzer found; the seeds are read each run.
  (cd "$findings" && "$build/fuzz/fuzz_$h" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
     -max_len="$(max_len "$h")" -print_final_stats=1 ${NNASIM_FUZZ_SEED:+-seed=$NNASIM_FUZZ_SEED} \
     "$corpus" "$seeddir" >"$log" 2>&1)
  rc=$?
  set -e
  execs=$(grep -a -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  rate=$(grep -a -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -a -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1 || true)
  units=$(find "$corpus" -type f | wc -l)
  if [ $rc -eq 0 ]; then
    result=none
    echo "fuzz_$h: $execs executions in ${secs} s ($rate/s, $cov, corpus $units), no findings"
  else
    status=1
    result="exit $rc: $(grep -a -m1 -E 'ERROR|runtime error|leaked|abort' "$log" || true)"
    echo "fuzz_$h: FINDING after $execs executions (exit $rc): $(grep -a -m1 -E 'ERROR|runtime error|leaked|abort' "$log" || true)"
    cp "$log" "$findings/finding-$(date -u +%Y%m%dT%H%M%S).log"  # a later round rewrites $log
    echo "  log: $log; inputs: $findings"
  fi
  # One line per run, appended: the record a long run is summed from (bench/fuzz_long_run.md).
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$h" "$secs" "$execs" "$rate" "$cov" "$units" \
    "$result" >>"$build/findings/runs.tsv"
done
exit $status
