#!/usr/bin/env bash
# Issue 13: an unreadable file gives one clear error. For every kind of file nnasim reads (hardware
# YAML, model YAML / ONNX / SCALE-Sim CSV, sweep spec, layer trace JSONL / CSV, sweep results,
# run reports), a readable copy made unreadable (mode 000) must end with exit status 2 and one line
# "error: PATH: cannot open file (Permission denied): ...". Root reads any file, so as root the
# CLI runs as nobody (setpriv); where privileges cannot be dropped the test is skipped (exit 77,
# ctest's SKIP_RETURN_CODE) with the reason.
#   tests/unreadable_files.sh NNASIM_BINARY SOURCE_DIR
set -u
bin=$1 src=$2
skip() { echo "SKIPPED: $*"; exit 77; }

as_user=()
if [ "$(id -u)" = 0 ]; then
  command -v setpriv >/dev/null || skip "running as root and setpriv(1) is not installed"
  uid=$(id -u nobody 2>/dev/null) || skip "running as root and there is no user 'nobody'"
  gid=$(id -g nobody)
  as_user=(setpriv --reuid="$uid" --regid="$gid" --clear-groups)
  "${as_user[@]}" true 2>/dev/null || skip "running as root and cannot drop privileges to nobody (no CAP_SETUID here?)"
  "${as_user[@]}" test -x "$bin" || skip "nobody cannot run $bin (a parent directory is not searchable)"
  "${as_user[@]}" test -r "$src/models/tinynet.yaml" || skip "nobody cannot read the source tree $src"
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/nnasim_unreadable.XXXXXX")
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
"$bin" run --model "$src/models/tinynet.yaml" --hw "$src/configs/hw/series4-1core.yaml" --format json \
  -o "$dir/report.json" >/dev/null || { echo "FAILED: cannot make a run report"; exit 1; }
"$bin" sweep "$src/configs/sweeps/example.yaml" -o "$dir/results.csv" -j 1 >/dev/null 2>&1 \
  || { echo "FAILED: cannot make sweep results"; exit 1; }

locked() {  # NAME SOURCE: an unreadable copy of SOURCE
  cp "$2" "$dir/$1" && chmod 000 "$dir/$1" && echo "$dir/$1"
}
hw=$(locked hw.yaml "$src/configs/hw/series4-1core.yaml")
model=$(locked model.yaml "$src/models/tinynet.yaml")
onnx=$(locked model.onnx "$src/models/vgg16.onnx")
scalesim=$(locked topo.csv "$(ls "$src"/models/scalesim/*.csv | head -n 1)")
spec=$(locked spec.yaml "$src/configs/sweeps/example.yaml")
jsonl=$(locked trace.jsonl "$src/traces/resnet50-series4-1core.jsonl")
tcsv=$(locked trace.csv "$src/traces/handwritten-measured.csv")
results=$(locked locked_results.csv "$dir/results.csv")
cp "$dir/report.json" "$dir/locked_report.json" && chmod 000 "$dir/locked_report.json"
report=$dir/locked_report.json
chmod 644 "$dir/report.json" "$dir/results.csv"

tiny=$src/models/tinynet.yaml hw1=$src/configs/hw/series4-1core.yaml
fail=0 n=0
check() {  # FILE ARGS...: nnasim ARGS must fail on FILE with one line, exit 2
  local file=$1
  shift
  local err status
  err=$("${as_user[@]}" "$bin" "$@" 2>&1 >/dev/null)
  status=$?
  n=$((n + 1))
  local lines
  lines=$(printf '%s\n' "$err" | wc -l)
  if [ "$status" != 2 ] || [ "$lines" != 1 ] || [[ "$err" != "error: $file: "*"Permission denied"* ]]; then
    echo "FAILED: nnasim $* -> exit $status, $lines line(s): $err"
    fail=1
  else
    echo "ok: nnasim $1 ... $(basename "$file"): $err"
  fi
}
check "$hw" run --model "$tiny" --hw "$hw"
check "$model" run --model "$model" --hw "$hw1"
check "$onnx" info --model "$onnx"
check "$scalesim" info --model "$scalesim"
check "$spec" sweep "$spec" --dry-run
check "$jsonl" replay --trace "$jsonl" --hw "$hw1"
check "$tcsv" replay --trace "$tcsv" --hw "$hw1"
check "$results" pareto "$results" --x seconds --y energy_joules
check "$report" compare "$report" "$dir/report.json"
[ $fail = 0 ] && echo "all $n unreadable inputs: exit 2, one line"
exit $fail
