#!/usr/bin/env bash
# Set up intake and run its main job, the mailbox poll, on the embedded default (SQLite):
# a private Dovecot with sample application mails stands in for the real mailbox.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-deps.sh
scripts/venv.sh .
exec .venv/bin/intake demo "$@"
