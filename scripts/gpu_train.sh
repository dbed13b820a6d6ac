#!/usr/bin/env bash
# The prepared GPU run of issue 25 (legalret.train.gpu_run): a LoRA encoder over every train pair and a
# cross-encoder re-ranker, exported to ONNX, in ≤ 8 minutes on one lent accelerator. Outputs under $OUT.
#
# Before (on any CPU, see README "A stronger model the day a GPU is lent"):
#   python -m legalret.train.gpu_prepare --index IDX --pairs PAIRS --out /work/lrhome/gpu/inputs.zip …
#   mkdir -p .gpu && cp /work/lrhome/gpu/inputs.zip .gpu/          # .gpu/ and .whl/ are git-ignored
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux2014_x86_64 -d .whl datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19
# On the device (the device tool's `run`, carry [".gpu", ".whl"], timeout_s 600):
#   bash scripts/gpu_train.sh [extra gpu_run options]
# After: python -m legalret.train.gpu_run --inputs .gpu/inputs.zip --export-only --from RETURNED_DIR --work DIR
set -euo pipefail
cd "$(dirname "$0")/.."
: "${OUT:?set OUT to the folder whose files come back}"
INPUTS=${INPUTS:-.gpu/inputs.zip}
[ -f "$INPUTS" ] || { echo "error: $INPUTS: no prepared input file (run legalret.train.gpu_prepare, copy it there)" >&2; exit 2; }
PY=${PYTHON:-python3}
export PYTHONPATH=$PWD
# The device image has torch, transformers, sentence-transformers, peft, onnx and onnxruntime, not `datasets`
# (the sentence-transformers trainers need it): carried as wheels, installed outside the image.
if compgen -G ".whl/*.whl" > /dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=$PWD:/tmp/site
fi
export LEGALRET_HOME=${LEGALRET_HOME:-/tmp/legalret-home} HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
"$PY" -c "import torch, datasets, peft, sentence_transformers, onnxruntime; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'st', sentence_transformers.__version__)"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
mkdir -p "$OUT"
# 9 minutes at most for the whole run (the device allows 10 per command); the stages' own budgets keep it ≤ 8.
timeout "${RUN_LIMIT_S:-540}" "$PY" -m legalret.train.gpu_run --inputs "$INPUTS" --out "$OUT" --work /tmp/gpu-work "$@" 2>&1 \
  | tee "$OUT/run.log"
