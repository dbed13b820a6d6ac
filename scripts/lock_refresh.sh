#!/usr/bin/env bash
# Move the lock forward: re-resolve pyproject.toml's ranges against the newest releases into a candidate
# lock, install it into a scratch venv, run the suite there, and only then replace requirements.lock.
# A red run prints which packages changed version, so the one that broke is named.
#   bash scripts/lock_refresh.sh [pytest args, e.g. -m "not slow"]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY" -m venv "$work/tools"
"$work/tools/bin/pip" install -q pip-tools 2>&1 | grep -v "is ignored" || true
"$work/tools/bin/pip-compile" --quiet --upgrade --extra test --strip-extras --no-emit-index-url \
  --no-emit-find-links -o "$work/requirements.lock" pyproject.toml requirements/lock.in 2>&1 | grep -v "is ignored" || true
sed -i "s|--output-file=$work/requirements.lock|--output-file=requirements.lock|" "$work/requirements.lock"
echo "changed versions (old -> new):"
diff <(grep -E '^[A-Za-z0-9_.-]+==' requirements.lock | sort) <(grep -E '^[A-Za-z0-9_.-]+==' "$work/requirements.lock" | sort) \
  | grep -E '^[<>]' | sort -k2 | tee "$work/changes" || echo "  (none)"
mkdir "$work/tree"   # the working tree as it is (uncommitted edits included), without venvs, caches or git
tar --exclude=./.venv --exclude=./.legalret --exclude=./.git --exclude='*.pyc' -cf - . | tar -xf - -C "$work/tree"
cp "$work/requirements.lock" "$work/tree/requirements.lock"
if (cd "$work/tree" && bash scripts/test.sh "$@"); then
  cp "$work/requirements.lock" requirements.lock
  echo "lock refreshed: the suite passed with the new versions; commit requirements.lock"
else
  echo "lock NOT refreshed: the suite failed with these changes:" >&2
  cat "$work/changes" >&2
  exit 1
fi
