#!/usr/bin/env bash
# Sets up the test tools and runs every check: ruff, mypy and the whole pytest suite
# (SQLite and PostgreSQL; the end-to-end test through the Agents Playground when Node.js and Chromium exist).
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv requirements-dev.txt
if command -v npm >/dev/null 2>&1; then
  if [ ! -d tests/e2e/node_modules ] || [ tests/e2e/package-lock.json -nt tests/e2e/node_modules ]; then
    echo "Installing the end-to-end test's Node.js packages..."
    (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
echo "ruff..."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "mypy..."
.venv/bin/mypy
echo "pytest..."
exec .venv/bin/python -m pytest "$@"
