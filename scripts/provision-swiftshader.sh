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
if ! command -v apt-get >/dev/null 2>&1; then
  echo "swiftshader: not provisioned: no apt-get here (install a Vulkan driver; see the README's GPU section)"
  exit 0
fi
sudo=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo -n"
export DEBIAN_FRONTEND=noninteractive
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
  { $sudo apt-get update -qq && $sudo apt-get install -y -qq libvulkan1; } >/dev/null 2>&1 \
    || { echo "swiftshader: not provisioned: could not install libvulkan1 with apt-get"; exit 0; }
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && apt-get download chromium-common >/dev/null 2>&1); then
  $sudo apt-get update -qq >/dev/null 2>&1
  (cd "$tmp" && apt-get download chromium-common >/dev/null 2>&1) \
    || { echo "swiftshader: not provisioned: apt-get download chromium-common failed"; exit 0; }
fi
dpkg-deb -x "$tmp"/chromium-common_*.deb "$tmp/x"
mkdir -p "$dest"
cp "$tmp/x/usr/lib/chromium/libvk_swiftshader.so" "$tmp/x/usr/lib/chromium/vk_swiftshader_icd.json" "$dest/"
echo "swiftshader: $(cd "$dest" && pwd)/vk_swiftshader_icd.json"
