#!/usr/bin/env bash
# Create .venv (if needed) and install intake into it. Usage: scripts/venv.sh [pip args...]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check "$@"
