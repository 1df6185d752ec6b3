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
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: not provisioned: no apt-get here (install chromium at /usr/bin/chromium, or set PAWPIPE_CHROMIUM)"
  exit 0
fi
sudo=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo -n"
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y -qq chromium >/dev/null 2>&1; then
  { $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium; } >/dev/null 2>&1 \
    || { echo "chromium: not provisioned: apt-get install chromium failed"; exit 0; }
fi
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
