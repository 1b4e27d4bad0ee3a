#!/usr/bin/env bash
# Set up intake with its test tools and run every check: lint, types, layers, and the test suite
# against a private Dovecot, SQLite, (when reachable, always in CI) PostgreSQL, and the
# console in Debian's headless chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-deps.sh
scripts/venv.sh -e '.[test]'
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports --no-cache --no-logo  # layer contracts: [tool.importlinter] in pyproject.toml
export INTAKE_REQUIRE_DOVECOT=1
export INTAKE_REQUIRE_BROWSER=1
if [ "${CI:-}" = "true" ]; then
  export INTAKE_REQUIRE_POSTGRES=1
fi
exec .venv/bin/pytest "$@"
