#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine needs to build, run and test Orcastra.
. "$(dirname "$0")/common.sh"

command -v swift >/dev/null || die "Swift is not installed. Install the Swift 6 toolchain for Debian 12 from swift.org (tarball under /opt/swift, add /opt/swift/usr/bin to PATH), then run make again."

packages=(postgresql redis-server curl openssl openssh-client python3-venv ca-certificates procps chromium chromium-driver nginx)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]}; run as root or install them"
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# The Debian packages start their own servers under systemd when present; ours run from .data.
