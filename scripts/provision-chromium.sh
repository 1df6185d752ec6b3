#!/usr/bin/env bash
# Installs Debian's chromium for the dashboard's browser tests (apps/dashboard/test/browser.test.ts
# drive it headless through playwright-core, which downloads no browser). Quiet and idempotent:
# one line, exit 0 even where it cannot install (those tests then print "skipped: no browser (...)").
# Needs Debian or Ubuntu and root (or sudo) for apt-get.
set -uo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium: already installed ($(/usr/bin/chromium --version 2>/dev/null | head -n 1))"
  exit 0
fi
. "$(dirname "$0")/apt-lib.sh"
require_apt chromium "install chromium at /usr/bin/chromium, or set PAWPIPE_CHROMIUM"
apt_run install -y chromium || { echo "chromium: not provisioned: apt-get install chromium failed"; exit 0; }
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
