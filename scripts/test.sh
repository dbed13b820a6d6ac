#!/usr/bin/env bash
# The test command: set up ./.venv from requirements.lock if needed, the browser for the web page's test,
# then the whole suite (real-data tests included when ../shared/data is present).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not slow"`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup_browser.sh
export TOKENIZERS_PARALLELISM=false
exec .venv/bin/python -m pytest "$@"
