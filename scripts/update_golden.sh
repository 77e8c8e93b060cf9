#!/usr/bin/env bash
# Regenerates the golden end-to-end reports under tests/golden/ (the JSON report of tinynet and
# of ResNet-50 on series4-1core, compared byte for byte by tests/test_golden.cpp) and says what
# changed, figure by figure. Run it only when a change of the reports is intended, and commit
# the files with a message that says why.
#   scripts/update_golden.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
cd "$root"
for model in tinynet resnet50; do
  out=tests/golden/$model-series4-1core.json
  new=$(mktemp)
  "$build/nnasim" run --model "$model" --hw configs/hw/series4-1core.yaml --format json -o "$new"
  if [ -f "$out" ] && cmp -s "$out" "$new"; then
    echo "$out: unchanged"
    rm -f "$new"
    continue
  fi
  if [ -f "$out" ]; then
    echo "$out: changed"
    /usr/bin/python3 - "$out" "$new" <<'PY'
import json, sys
old, new = (json.load(open(p)) for p in sys.argv[1:3])
def walk(a, b, path):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            walk(a.get(k), b.get(k), f"{path}.{k}" if path else k)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            walk(x, y, f"{path}[{i}]")
    elif a != b:
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a:
            print(f"  {path}: {a} -> {b} ({(b - a) / abs(a):+.2%})")
        else:
            print(f"  {path}: {json.dumps(a)[:80]} -> {json.dumps(b)[:80]}")
walk(old, new, "")
PY
  else
    echo "$out: new"
  fi
  mv "$new" "$out"
done
