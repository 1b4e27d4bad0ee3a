#!/usr/bin/env bash
# System packages intake needs on a Debian/Ubuntu machine: Dovecot (for the demo and the test
# suite's private IMAP server; the system's own Dovecot service is never started or used),
# Python's venv module, and for the console's browser tests Debian's chromium with Japanese
# fonts (Playwright drives it; browser builds downloaded by Python packages cannot be fetched
# here). Safe to run again: it installs only what is missing.
set -euo pipefail

missing=()
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# Without a Japanese font the screenshots of the console show empty boxes.
fc-list 2>/dev/null | grep -q "Noto Sans CJK" || missing+=(fonts-noto-cjk)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "システムパッケージを導入します: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# policy-rc.d may refuse to start the service; that is fine, intake starts its own instance.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
