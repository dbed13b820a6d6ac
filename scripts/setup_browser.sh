#!/usr/bin/env bash
# The real browser the web page's tests drive: Debian's chromium + chromedriver (playwright's own browser
# download does not work offline) and a Korean font (fonts-nanum) so the page renders Hangul.
# Installed once, as root, with apt; elsewhere the browser test is skipped with a message saying so.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null && fc-list :lang=ko | grep -q .; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "legalret set-up: installing chromium + chromium-driver (apt) for the web page's browser test"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-nanum >/dev/null
else
  echo "legalret set-up: chromium/chromedriver missing and apt-get unavailable: the browser test will be skipped" >&2
fi
