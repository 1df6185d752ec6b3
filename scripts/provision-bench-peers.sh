#!/usr/bin/env bash
# The peers pnpm bench:scale compares against, from Debian's packages: Pillow 9.4 and
# torchvision 0.14 (with PyTorch 1.13, CPU) for Debian's own /usr/bin/python3. Without them the
# bench prints "skipped: <why>" for that side. Needs root (apt-get); safe to run again.
set -euo pipefail
if /usr/bin/python3 -c 'import PIL, torchvision' 2>/dev/null; then
  echo "provision-bench-peers: Pillow and torchvision already installed"
  exit 0
fi
. "$(dirname "$0")/apt-lib.sh"
require_apt provision-bench-peers "install Pillow and torchvision for /usr/bin/python3"
apt_run install -y --no-install-recommends python3-pil python3-torchvision \
  || { echo "provision-bench-peers: apt-get install python3-pil python3-torchvision failed"; exit 1; }
/usr/bin/python3 -c 'import PIL, torchvision; print("provision-bench-peers: Pillow", PIL.__version__, "torchvision", torchvision.__version__)'
