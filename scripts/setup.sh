#!/usr/bin/env bash
# Create ./.venv (if missing) with the CPU build of torch first, then legalret with its test extras.
# Idempotent: a second run only re-installs legalret itself (editable).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
# torch first, pinned to the CPU build available offline: otherwise pip resolves torch to the newest
# release and downloads several GB of CUDA wheels.
if ! .venv/bin/python -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" 2>/dev/null; then
  .venv/bin/python -m pip install -q torch==2.13.0 2>&1 | grep -v "^WARNING: Location" || true
fi
.venv/bin/python -m pip install -q -e ".[test]" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import legalret, torch, sentence_transformers, peft, kiwipiepy, bm25s, faiss; print('legalret set up: torch', torch.__version__)"
