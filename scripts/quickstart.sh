#!/usr/bin/env bash
# The main job, from a fresh clone: set up ./.venv, build a 민법+상법 index from the local legalize-kr mirror
# with the offline default encoder (bundled:me5-small + the shipped query adapter, legalret/adapters/me5-small-legal-qmap)
# and, when the precedent archives are there, the precedent memory (holdings) and its facts memory; then search.
#   bash scripts/quickstart.sh ["your question"]
# Mirror: $LEGALRET_MIRROR, else ../shared/data/statutes/legalize-kr.zip. The index is the default one
# ($LEGALRET_INDEX, else $LEGALRET_HOME/index), so a plain `legalret search "…"` uses it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1
LR=.venv/bin/legalret
INDEX=$(.venv/bin/python -c "from legalret.config import default_index_dir; print(default_index_dir())")
DATA_DIR=$(.venv/bin/python -c "from legalret.config import shared_data_dir; print(shared_data_dir() or '')")
if [ ! -f "$INDEX/CURRENT" ]; then   # built once; later runs only search
  MEMORY=()
  if [ -n "$DATA_DIR" ] && [ -f "$DATA_DIR/precedents/precedent-kr.zip" ]; then
    MEMORY=(--precedents "$DATA_DIR/precedents/precedent-kr.zip")
    if [ -f "$DATA_DIR/precedents/precedent-facts.zip" ]; then
      MEMORY+=(--facts "$DATA_DIR/precedents/precedent-facts.zip")
    fi
  fi
  # exit 3: built, but a source file was skipped whole (named above): search it anyway, and exit 3 at the end
  $LR index build civil-commercial --index "$INDEX" --adapter legalret/adapters/me5-small-legal-qmap "${MEMORY[@]}" \
    || BUILT=$?
  [ "${BUILT:-0}" -eq 0 ] || [ "$BUILT" -eq 3 ] || exit "$BUILT"
fi
$LR search "${1:-유치권 간접점유}" --index "$INDEX" -k 10
exit "${BUILT:-0}"
