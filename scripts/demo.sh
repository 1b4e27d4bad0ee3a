#!/usr/bin/env bash
# Set up intake and run its main job, the mailbox poll, on the embedded default (SQLite):
# a private Dovecot with sample application mails stands in for the real mailbox. The demo
# harness (a private SMTP server among others) is the optional `demo` extra.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-system-deps.sh
scripts/venv.sh '.[demo]'
exec .venv/bin/intake demo "$@"
