#!/usr/bin/env bash
# Create .venv with Python >= 3.12 and install the project with its pinned dependencies.
# Idempotent: does nothing when .venv is up to date with pyproject.toml and requirements.lock.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.installed
if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ] && [ "$stamp" -nt requirements.lock ] && [ "$stamp" -nt tools/bootstrap.sh ]; then
  exit 0
fi
find_python() {
  for c in python3.12 python3.13 python3; do
    # the interpreter a venv was made from, never .venv's own (run from an activated .venv, `python3.12` is
    # .venv/bin/python3.12, which the rm -rf below would delete)
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      "$c" -c 'import os, sys; print(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))'; return 0
    fi
  done
  for c in "$HOME"/.pyenv/versions/3.12*/bin/python3 "$HOME"/.pyenv/versions/3.13*/bin/python3; do
    if [ -x "$c" ]; then echo "$c"; return 0; fi
  done
  return 1
}
py=$(find_python) || { echo "bootstrap: Python >= 3.12 is required (Mesa 3.5); none found" >&2; exit 1; }
echo "bootstrap: creating .venv with $("$py" --version)" >&2
rm -rf .venv
"$py" -m venv .venv
# pip's and the build backend's chatter goes to .venv/install.log; it is shown only if a step fails.
quiet() { "$@" >> .venv/install.log 2>&1 || { cat .venv/install.log >&2; echo "bootstrap: failed: $*" >&2; return 1; }; }
quiet .venv/bin/python -m pip install --quiet --upgrade pip
quiet .venv/bin/python -m pip install --quiet -c requirements.lock -e '.[test,ema,bench]'
echo "bootstrap: .venv ready" >&2
touch "$stamp"
