#!/usr/bin/env bash
# Provides a software Vulkan driver (SwiftShader) so the WebGPU tests run on a machine without a
# GPU. Debian ships SwiftShader inside chromium-common; only its two SwiftShader files are
# unpacked, into .cache/swiftshader/ of this repo (libvk_swiftshader.so needs only libc, libm and
# libgcc_s). The Vulkan loader, libvulkan1, is installed when missing. Needs Debian or Ubuntu
# and root (or sudo) for apt-get; prints one line and exits 0 where it cannot, so the WebGPU
# tests then say "skipped: no WebGPU adapter (...)".
set -uo pipefail
cd "$(dirname "$0")/.."
dest=.cache/swiftshader
if [ -f "$dest/vk_swiftshader_icd.json" ] && ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
  echo "swiftshader: already in $dest"
  exit 0
fi
. scripts/apt-lib.sh # (the repo root is the current folder)
require_apt swiftshader "install a Vulkan driver; see the README's GPU section"
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
  apt_run install -y libvulkan1 || { echo "swiftshader: not provisioned: could not install libvulkan1 with apt-get"; exit 0; }
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# `apt-get download` writes into the current folder and needs no root
(cd "$tmp" && APT_SUDO="" apt_run download chromium-common) \
  || { echo "swiftshader: not provisioned: apt-get download chromium-common failed"; exit 0; }
dpkg-deb -x "$tmp"/chromium-common_*.deb "$tmp/x"
mkdir -p "$dest"
cp "$tmp/x/usr/lib/chromium/libvk_swiftshader.so" "$tmp/x/usr/lib/chromium/vk_swiftshader_icd.json" "$dest/"
echo "swiftshader: $(cd "$dest" && pwd)/vk_swiftshader_icd.json"
