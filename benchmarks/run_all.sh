#!/usr/bin/env bash
# Reproduce every number of the README's "Results" section from the shared data (../shared/data),
# then regenerate docs/results.md. Results go to benchmarks/results/ (small JSON / Markdown / PNG files).
#
#   bash benchmarks/run_all.sh            # 민법+상법 (all modes) and every 법률+시행령 (BM25 only)
#   FULL_DENSE=1 bash benchmarks/run_all.sh   # also encode every 법률+시행령 (~140k articles: about an hour on 2 cores)
#
# Threads are capped at 2 unless OMP_NUM_THREADS is set. Indexes are kept in $LEGALRET_HOME/bench and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
QUERIES=${QUERIES:-out/pairs/dev_queries.jsonl}
HOME_DIR=$($PY -c 'from legalret.config import legalret_home; print(legalret_home())')

if [ ! -f "$QUERIES" ]; then
  echo "dev queries not found at $QUERIES: run 'legalret pairs --out out/pairs' first" >&2
  exit 1
fi

# 1. quality, 민법+상법: bm25 / dense / hybrid with the default encoder (bundled:me5-small)
$PY benchmarks/run_quality.py --corpus civil-commercial --queries "$QUERIES"
# 2. speed, 민법+상법, reusing that index (its build timings come from the index manifest)
$PY benchmarks/run_speed.py --corpus civil-commercial --queries "$QUERIES" \
    --index "$HOME_DIR/bench/index-civil-commercial-default-base"
# 3. every 법률+시행령, BM25 only: quality (gold outside the corpus is counted and listed) and speed
$PY benchmarks/run_quality.py --corpus all-acts-decrees --mode bm25 --model none --queries "$QUERIES"
$PY benchmarks/run_speed.py --corpus all-acts-decrees --mode bm25 --queries "$QUERIES" \
    --index "$HOME_DIR/bench/index-all-acts-decrees-none-base"
# 4. optional: dense on every 법률+시행령
if [ "${FULL_DENSE:-0}" = "1" ]; then
  $PY benchmarks/run_quality.py --corpus all-acts-decrees --queries "$QUERIES"
  $PY benchmarks/run_speed.py --corpus all-acts-decrees --queries "$QUERIES" \
      --index "$HOME_DIR/bench/index-all-acts-decrees-default-base"
  $PY experiments/dense_partitions.py --index "$HOME_DIR/bench/index-all-acts-decrees-default-base"
  $PY benchmarks/search_index_add.py --index "$HOME_DIR/bench/index-all-acts-decrees-default-base" --law 민법
  $PY benchmarks/search_latency.py --index "$HOME_DIR/bench/index-all-acts-decrees-default-base" \
      --json benchmarks/results/latency-all-acts-decrees.json
fi
# 5. how much of each article the dense vectors need (re-encodes the 민법+상법 articles at several cuts)
$PY experiments/passage_length.py --index "$HOME_DIR/bench/index-civil-commercial-default-base" --corpus-stats
# 6. the main job's default per question style, on the index `scripts/quickstart.sh` builds (skipped without it):
#    the first question file's report halves + 600 dev holdings, and the second file (both halves: the outside check)
MAIN_INDEX=$($PY -c 'from legalret.config import default_index_dir; print(default_index_dir())')
if [ -f "$MAIN_INDEX/CURRENT" ]; then
  $PY benchmarks/style_eval.py --index "$MAIN_INDEX" --split report --holdings "$QUERIES" --retrievers default \
      --name style_report_prior
  $PY benchmarks/style_eval.py --index "$MAIN_INDEX" --split all --questions benchmarks/queries/user_questions_2.jsonl \
      --retrievers bm25,dense,memory,convex,default --name user_questions_2_main_index
else
  echo "no main-job index at $MAIN_INDEX (bash scripts/quickstart.sh builds it): the per-style results are not re-measured" >&2
fi
$PY benchmarks/write_results_doc.py
