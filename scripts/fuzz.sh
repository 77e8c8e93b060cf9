#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, -fsanitize=fuzzer,address,undefined) in build-fuzz/ and
# runs each for SECONDS (default 60) on a seed corpus made from the shipped files.
#   scripts/fuzz.sh [SECONDS] [HARNESS ...]
# Prints, per harness, the executions done and whether it found a crash, a leak or a UBSan
# report (libFuzzer stops at the first one and leaves crash-*/leak-*/timeout-* files in
# build-fuzz/findings/HARNESS/). Exit status 1 when any harness found something.
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
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNNASIM_FUZZ=ON -DBUILD_TESTING=ON >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target $(printf 'fuzz_%s ' "${harnesses[@]}") >/dev/null

seeds() {  # the shipped files each harness starts from
  case $1 in
    hw_yaml) echo "$root"/configs/hw/*.yaml ;;
    model_yaml) echo "$root"/models/tinynet.yaml ;;
    sweep_spec) echo "$root"/configs/sweeps/*.yaml ;;
    set_value) echo "$root"/fuzz/seeds/set_value/* ;;
    trace_jsonl) echo "$root"/traces/*.jsonl ;;
    trace_csv) echo "$root"/traces/*.csv ;;
    scalesim_csv) echo "$root"/models/scalesim/*.csv ;;
    onnx) echo "$root"/models/mobilenet_v2.onnx "$root"/models/resnet50.onnx ;;
  esac
}

[ -d /dev/shm ] && export TMPDIR=${TMPDIR:-/dev/shm}  # the harnesses write each input to a scratch file
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for h in "${harnesses[@]}"; do
  corpus=$build/corpus/$h findings=$build/findings/$h
  mkdir -p "$corpus" "$findings"
  for f in $(seeds "$h"); do cp -n "$f" "$corpus/" 2>/dev/null || true; done
  log=$build/findings/$h.log
  set +e
  (cd "$findings" && "$build/fuzz/fuzz_$h" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -max_len=1048576 \
     -print_final_stats=1 ${NNASIM_FUZZ_SEED:+-seed=$NNASIM_FUZZ_SEED} "$corpus" >"$log" 2>&1)
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  if [ $rc -eq 0 ]; then
    echo "fuzz_$h: $execs executions in ${secs} s, no findings"
  else
    status=1
    echo "fuzz_$h: FINDING after $execs executions (exit $rc): $(grep -m1 -E 'ERROR|runtime error|leaked|abort' "$log" || true)"
    echo "  log: $log; inputs: $findings"
  fi
done
exit $status
