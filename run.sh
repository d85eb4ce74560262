#!/usr/bin/env bash
# Sets Seula up on this machine (a virtual environment in .venv with requirements.txt) and runs it.
# With no arguments it serves the bot on the embedded default: SQLite and the generated demo tenant.
# Any arguments are passed to app.py: ./run.sh ask "who knows kubernetes"
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv requirements.txt
exec .venv/bin/python app.py "$@"
