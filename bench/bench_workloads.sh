#!/bin/sh
# Import + simulate time of the transformer workloads (issue 10), whole `nnasim run` process, best of
# 5: vit_b_16 (1451 ONNX nodes), one GPT-2-small decode step with a 1024-token KV cache (1514
# nodes, 25 inputs), BERT-base (seq 128), and ResNet-50 for reference; on series4-1core and
# series4-8core, at batch 1 and 8.
# Usage: bench/bench_workloads.sh [BUILD_DIR]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
for model in vit_b_16 gpt2_decode_step bert_base_encoder resnet50; do
  for hw in series4-1core series4-8core; do
    for batch in 1 8; do
      best=
      for i in 1 2 3 4 5; do
        s=$( { /usr/bin/time -f "%e" "$build/nnasim" run --model "$model" --hw "$root/configs/hw/$hw.yaml" \
              --batch "$batch" -o /dev/null; } 2>&1 )
        if [ -z "$best" ] || [ "$(echo "$s < $best" | bc)" = 1 ]; then best=$s; fi
      done
      echo "$model on $hw, batch $batch: import + simulate ${best} s (best of 5, whole process)"
    done
  done
done
