#!/usr/bin/env bash
# Installs libjpeg-turbo's TurboJPEG library (Debian: libturbojpeg0), which the data pipeline
# uses for plain JPEGs in both decode modes (packages/data-pipeline/src/turbojpeg.ts). Without it
# JPEGs go through sharp or libvips at 2-4x the CPU, and the TurboJPEG tests print "skipped:
# TurboJPEG decoder tests (...)". Quiet and idempotent: one line, exit 0 even where it cannot install.
set -uo pipefail
found() { ldconfig -p 2>/dev/null | grep -q 'libturbojpeg\.so\.0 '; }
if found; then
  echo "turbojpeg: already installed"
  exit 0
fi
. "$(dirname "$0")/apt-lib.sh"
require_apt turbojpeg "install libjpeg-turbo's libturbojpeg, or set PAWPIPE_TURBOJPEG to its path"
apt_run install -y --no-install-recommends libturbojpeg0 || { echo "turbojpeg: not provisioned: apt-get install libturbojpeg0 failed"; exit 0; }
found && echo "turbojpeg: installed libturbojpeg0" || echo "turbojpeg: not provisioned: libturbojpeg.so.0 still not found"
