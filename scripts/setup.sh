#!/usr/bin/env bash
# Create ./.venv (if missing) and install exactly the versions in requirements.lock (the set CI passes
# with, torch 2.13.0 CPU build included), then legalret itself (editable, no dependency resolution).
# Idempotent and quiet: when the venv already matches the lock (a stamp of the lock's hash), pip is not run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.legalret-lock
want=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  # The install unpacks ~2.3 GiB (torch's CPU wheel is most of it) into .venv and pip's temporary folder: on a full
  # disk pip stops half-way with "[Errno 28] No space left on device" and a venv missing packages. Say so first.
  need_mib=${LEGALRET_SETUP_NEED_MIB:-3072}
  for where in . "${TMPDIR:-/tmp}"; do
    free_mib=$(df -Pk "$where" 2>/dev/null | awk 'NR == 2 {print int($4 / 1024)}')
    if [ -n "$free_mib" ] && [ "$free_mib" -lt "$need_mib" ]; then
      echo "legalret set-up: $(cd "$where" && pwd) has $free_mib MiB free; installing requirements.lock needs about $need_mib MiB (free some space there, or set TMPDIR to a roomier folder); no package was installed" >&2
      exit 1
    fi
  done
  echo "legalret set-up: installing requirements.lock into .venv (a few minutes on a fresh machine)"
  export PIP_DISABLE_PIP_VERSION_CHECK=1
  # pip prints a warning for every configured index folder that lacks a package: noise, not a problem.
  quiet() { grep -vE "^WARNING: Location|is ignored: it is neither" || true; }
  .venv/bin/python -m pip install -q --upgrade "pip>=24" 2>&1 | quiet
  .venv/bin/python -m pip install -q -r requirements.lock 2>&1 | quiet
  PYTHONWARNINGS=ignore .venv/bin/python -m pip install -q --no-deps -e . 2>&1 | quiet
  .venv/bin/python -m pip check >/dev/null || { .venv/bin/python -m pip check; exit 1; }
  echo "$want" > "$stamp"
fi
.venv/bin/python -m legalret doctor --brief
