#!/usr/bin/env bash
# Installs what `make bench` measures with: Debian's wrk (the load) and nginx (the reference
# proxy). nginx's package would start a system server on port 80; the bench runs its own
# instance on a free port instead, so service starts are refused while installing.
. "$(dirname "$0")/common.sh"

missing=()
for p in wrk nginx; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
[ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]}; run as root or install them"
say "installing ${missing[*]}"
policy=/usr/sbin/policy-rc.d
created=false
if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created=true; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
[ "$created" = true ] && rm -f "$policy"
exit 0
