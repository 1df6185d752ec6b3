# Sourced by the provision-*.sh scripts: Debian packages, quietly, as root or through `sudo -n`.
# Each script prints one line and exits 0 where it cannot provision (its tests then say
# "skipped: <why>"), so nothing here aborts the caller.
export DEBIAN_FRONTEND=noninteractive
APT_SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && APT_SUDO="sudo -n"

# require_apt WHAT HINT: with no apt-get here, say so (and what to do instead) and exit 0.
require_apt() {
  command -v apt-get >/dev/null 2>&1 && return 0
  echo "$1: not provisioned: no apt-get here ($2)"
  exit 0
}

# apt_run ARGS...: `apt-get ARGS` quietly; on failure once more after `apt-get update`
# (a fresh machine's package lists may be missing or stale).
apt_run() {
  $APT_SUDO apt-get -qq "$@" >/dev/null 2>&1 && return 0
  $APT_SUDO apt-get update -qq >/dev/null 2>&1 && $APT_SUDO apt-get -qq "$@" >/dev/null 2>&1
}
