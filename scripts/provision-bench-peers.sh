#!/usr/bin/env bash
# The peers pnpm bench:scale compares against, from Debian's packages: Pillow 9.4 and
# torchvision 0.14 (with PyTorch 1.13, CPU) for Debian's own /usr/bin/python3. Without them the
# bench prints "skipped: <why>" for that side. Needs root (apt-get); safe to run again.
set -euo pipefail
if /usr/bin/python3 -c 'import PIL, torchvision' 2>/dev/null; then
  echo "provision-bench-peers: Pillow and torchvision already installed"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends python3-pil python3-torchvision
/usr/bin/python3 -c 'import PIL, torchvision; print("provision-bench-peers: Pillow", PIL.__version__, "torchvision", torchvision.__version__)'
