#!/bin/sh
# ONNX import time against the node count: chains of 10k, 20k and 40k Relu nodes after one Conv
# (bench/onnx_chain.py), each imported by `nnasim info` (whole process). Linear import means the
# 40k chain takes about twice the 20k one, well under a second.
# Usage: bench/bench_onnx_import.sh [BUILD_DIR]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for n in 10000 20000 40000; do
  /usr/bin/python3 "$root/bench/onnx_chain.py" "$n" "$tmp/chain$n.onnx"
  best=
  for i in 1 2 3; do
    s=$( { /usr/bin/time -f "%e" "$build/nnasim" info --model "$tmp/chain$n.onnx" >/dev/null; } 2>&1 )
    if [ -z "$best" ] || [ "$(echo "$s < $best" | bc)" = 1 ]; then best=$s; fi
  done
  echo "onnx import, $n-node chain: ${best} s (best of 3, whole process)"
done
