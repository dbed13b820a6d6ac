#!/usr/bin/env bash
# Rebuild the shipped adapter legalret/adapters/me5-small-legal from the pairs of the shared data.
#
#   bash scripts/train_default_adapter.sh            # needs out/pairs (see below); ~25 min on one shared CPU core
#
# 1. pairs (train < 2020-01-01, dev 2020–2022; only train pairs are learned from):
#      legalret pairs --out out/pairs --negatives 3
# 2. this script: LoRA r16 on bundled:me5-small, 1,280 seeded pairs (--limit), 64 tokens, bf16, one thread —
#    sized for a 2-core machine shared by several jobs. On a GPU or a free machine raise --limit (all ~60k pairs),
#    --max-seq-length 128/256 and --batch-size; the recipe is otherwise the same.
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${PAIRS:-out/pairs}
OMP_NUM_THREADS=1 exec .venv/bin/legalret train \
  --pairs "$PAIRS" --out legalret/adapters/me5-small-legal --name me5-small-legal \
  --base bundled:me5-small --limit 1280 --batch-size 16 --max-seq-length 64 --lr 8e-4 --epochs 1 \
  --bf16 --threads 1 --eval-queries 150 --eval-corpus 400 --eval-steps 80 --seed 42 --force "$@"
