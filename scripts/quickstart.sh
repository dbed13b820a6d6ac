#!/usr/bin/env bash
# The main job, from a fresh clone: set up ./.venv, pull 민법+상법 from the local legalize-kr mirror,
# build a hybrid index with the offline default encoder (bundled:me5-small), and search.
#   bash scripts/quickstart.sh ["your question"]
# Mirror: $LEGALRET_MIRROR, else ../shared/data/statutes/legalize-kr.zip. Cache/index: $LEGALRET_HOME.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TOKENIZERS_PARALLELISM=false HF_HUB_OFFLINE=1
LR=.venv/bin/legalret
HOME_DIR=$(.venv/bin/python -c "from legalret.config import legalret_home; print(legalret_home())")
INDEX="$HOME_DIR/index-civil-commercial"
if [ ! -f "$INDEX/manifest.json" ]; then
  $LR corpus pull civil-commercial --out "$HOME_DIR/corpus/civil-commercial.jsonl"
  $LR index build "$HOME_DIR/corpus/civil-commercial.jsonl" --index "$INDEX"
fi
$LR search "${1:-유치권 간접점유}" --index "$INDEX" -k 10
