#!/usr/bin/env bash
# What the dashboard's browser test needs besides .venv (run after tools/bootstrap.sh):
#  1. Debian's Chromium at /usr/bin/chromium (Playwright drives it; Playwright's own browser downloads
#     are not used), installed with apt-get when missing and we are root;
#  2. solara's front-end files in .venv/share/solara/cdn, unpacked from the npm registry with `npm pack`
#     (python -m propeller.app.dashboard.assets), so that the dashboard's server never fetches from a CDN.
# Idempotent and quick once done. With CI=true a step that cannot be done fails the script; otherwise
# it prints a warning and the browser test skips.
set -euo pipefail
cd "$(dirname "$0")/.."
strict=${CI:-}
fail() {
  echo "browser: $*" >&2
  if [ -n "$strict" ] && [ "$strict" != "false" ]; then exit 1; fi
  echo "browser: the dashboard's browser test will be skipped" >&2
}
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "browser: installing Debian's chromium (apt-get)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } \
      > /tmp/propeller-apt-chromium.log 2>&1 || { cat /tmp/propeller-apt-chromium.log >&2; fail "apt-get install chromium failed"; }
  else
    fail "/usr/bin/chromium is missing; install it with: apt-get install --no-install-recommends chromium"
  fi
fi
if ! .venv/bin/python -m propeller.app.dashboard.assets --check >/dev/null 2>&1; then
  if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "browser: installing Debian's npm (apt-get)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm; } \
      > /tmp/propeller-apt-npm.log 2>&1 || cat /tmp/propeller-apt-npm.log >&2
  fi
  .venv/bin/python -m propeller.app.dashboard.assets || fail "could not fetch solara's front-end files from the npm registry"
fi
exit 0
