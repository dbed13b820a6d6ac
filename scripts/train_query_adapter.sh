#!/usr/bin/env bash
# Rebuild the query adapter legalret/adapters/me5-small-legal-qmap from the shared data (issue #14).
#
#   bash scripts/train_query_adapter.sh        # CPU: ~20–40 min to encode 30k holdings once (cached), seconds to fit
#
# 1. pairs (train < 2020-01-01, dev 2020–2022): out/pairs/train_queries.jsonl (30,113 holdings → gold articles)
# 2. a base index of 민법+상법 (bundled:me5-small, no adapter): its 2,263 article vectors are the candidates —
#    every one a negative for every query — and exactly the vectors searches compare against
# 3. `legalret train query-adapter`: each training query is encoded once by the frozen base at 128 tokens (cached
#    in $LEGALRET_HOME/qcache, resumable), then W = I + ΔW is fitted with a softmax over all articles
#    (l2 / alpha / epochs chosen on the tune half of the user questions and the dev holdings outside
#    benchmarks/style_eval.py's report sample; see experiments/query_adapter.py).
# Then: legalret index build civil-commercial --index <dir> --adapter legalret/adapters/me5-small-legal-qmap
# (passages with the base encoder — an existing base index's vectors are reused — and the map recorded).
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${PAIRS:-out/pairs}
INDEX=${INDEX:-out/base_index}
LEGALRET=.venv/bin/legalret
if [ ! -f "$PAIRS/train_queries.jsonl" ]; then
  nice -n 10 $LEGALRET pairs --out "$PAIRS"
fi
if [ ! -f "$INDEX/CURRENT" ]; then
  nice -n 10 $LEGALRET index build civil-commercial --index "$INDEX"
fi
OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} exec nice -n 10 $LEGALRET train query-adapter \
  --queries "$PAIRS/train_queries.jsonl" --index "$INDEX" --dev "$PAIRS/dev_queries.jsonl" \
  --out legalret/adapters/me5-small-legal-qmap --name me5-small-legal-qmap \
  --max-tokens 128 --scale 20 --l2 1e-3 --lr 2e-3 --epochs 2 --batch-size 256 --alpha 0.5 --seed 0 "$@"
