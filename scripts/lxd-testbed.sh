#!/usr/bin/env bash
# Two independent LXD daemons on loopback, the "clusters" the cluster tests and the demo use:
#   .data/lxd/a  https 127.0.0.1:${LXD_A_PORT:-18443}     .data/lxd/b  https 127.0.0.1:${LXD_B_PORT:-18444}
# each with a `dir` storage pool and a busybox image under the alias `busybox` (there is no
# image server here; the image is built from Debian's busybox-static).
#
#   scripts/lxd-testbed.sh start [N]  install what is missing, start a and b (and c, d, … up to N
#                                     daemons, at most 10, for the fan-out benchmark), print a trust token each
#   scripts/lxd-testbed.sh token X    a fresh trust token for daemon X (a to j)
#   scripts/lxd-testbed.sh stop       stop the daemons this script started
# Daemon X listens on LXD_X_PORT; past a and b the default is LXD_A_PORT's default (18443) plus
# its place in the alphabet (c: 18445, …, j: 18452).
# Idempotent: running start twice reuses the running daemons. Needs root (LXD does).
. "$(dirname "$0")/common.sh"

LXD_ROOT="$DATA/lxd"
# Unprivileged containers (uid 1000000 and up) must be able to pass through every folder above
# their root file system. When the checkout lives where others cannot (under /root, say), the
# daemons' folders go to /var/lib/orcastra/<checkout hash>/lxd and .data/lxd points there.
if [ "$(id -u)" = 0 ] && [ ! -L "$LXD_ROOT" ] && [ ! -d "$LXD_ROOT" ] && ! runuser -u nobody -- test -x "$DATA"; then
  outside="/var/lib/orcastra/$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)/lxd"
  mkdir -p "$outside"
  ln -s "$outside" "$LXD_ROOT"
fi
[ -L "$LXD_ROOT" ] && LXD_ROOT=$(readlink -f "$LXD_ROOT")
NAMES=(a b c d e f g h i j)
declare -A PORTS=()
for i in "${!NAMES[@]}"; do
  n=${NAMES[$i]} var="LXD_${NAMES[$i]^^}_PORT"
  PORTS[$n]="${!var:-$((18443 + i))}"
done

install() {
  local missing=()
  for p in lxd busybox-static; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]}; run as root"
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# The busybox image: a static busybox with its applets, an init that sleeps and exits on
# SIGPWR (what LXD sends for a clean stop), metadata.yaml. Bump IMAGE_VERSION when it changes.
IMAGE_VERSION=2
image() {
  local dir="$LXD_ROOT/image" tarball="$LXD_ROOT/busybox-$IMAGE_VERSION.tar.gz"
  [ -f "$tarball" ] && { echo "$tarball"; return; }
  rm -rf "$dir" && mkdir -p "$dir/rootfs/bin" "$dir/rootfs/sbin" "$dir/rootfs/etc" "$dir/rootfs/tmp" "$dir/rootfs/proc" "$dir/rootfs/sys" "$dir/rootfs/dev"
  cp /bin/busybox "$dir/rootfs/bin/busybox"
  for applet in $("$dir/rootfs/bin/busybox" --list); do [ "$applet" = busybox ] || ln -sf busybox "$dir/rootfs/bin/$applet"; done
  printf '#!/bin/sh\ntrap "exit 0" PWR TERM\nwhile true; do sleep 5 & wait $!; done\n' > "$dir/rootfs/sbin/init"
  chmod 755 "$dir/rootfs/sbin/init"
  cat > "$dir/metadata.yaml" <<YAML
architecture: $(uname -m)
creation_date: $(date +%s)
properties:
  description: busybox (Orcastra test bed)
  os: busybox
  release: static
YAML
  tar -czf "$tarball" -C "$dir" metadata.yaml rootfs
  echo "$tarball"
}

lxc_on() { LXD_DIR="$LXD_ROOT/$1" lxc "${@:2}"; }

start_one() { # name
  local name=$1 dir="$LXD_ROOT/$1" port=${PORTS[$1]} pidfile="$RUN/lxd-$1.pid"
  mkdir -p "$dir"
  if ! pid_alive "$pidfile"; then
    port_in_use "$port" && die "port $port is taken; set LXD_${name^^}_PORT"
    say "starting LXD $name (https 127.0.0.1:$port)"
    LXD_DIR="$dir" setsid lxd --group root --logfile "$dir/lxd.log" </dev/null >>"$dir/daemon.out" 2>&1 &
    echo $! >"$pidfile"
  fi
  LXD_DIR="$dir" lxd waitready --timeout 60 || die "LXD $name did not start; see $dir/lxd.log"
  if [ ! -f "$dir/.initialised" ]; then
    LXD_DIR="$dir" lxd init --preseed >/dev/null <<YAML
config:
  core.https_address: 127.0.0.1:$port
storage_pools:
- name: default
  driver: dir
profiles:
- name: default
  devices:
    root: {path: /, pool: default, type: disk}
YAML
    touch "$dir/.initialised"
  fi
  if [ ! -f "$dir/.image-$IMAGE_VERSION" ]; then
    lxc_on "$name" image alias delete busybox 2>/dev/null || true
    lxc_on "$name" image import "$(image)" --alias busybox >/dev/null
    touch "$dir/.image-$IMAGE_VERSION"
  fi
}

token() { # name
  lxc_on "$1" config trust add --name "orcastra-$(date +%s%N)" 2>/dev/null | tail -1
}

stop_one() {
  local name=$1 pidfile="$RUN/lxd-$1.pid"
  pid_alive "$pidfile" || { rm -f "$pidfile"; return; }
  say "stopping LXD $name"
  LXD_DIR="$LXD_ROOT/$name" lxd shutdown --timeout 30 2>/dev/null || kill -TERM "$(cat "$pidfile")"
  for _ in $(seq 1 100); do pid_alive "$pidfile" || break; sleep 0.1; done
  rm -f "$pidfile"
}

case "${1:-start}" in
start)
  count=${2:-2}
  [[ "$count" =~ ^([2-9]|10)$ ]] || die "start takes 2 to 10 daemons, not $count"
  install
  started=("${NAMES[@]:0:$count}")
  for n in "${started[@]}"; do start_one "$n"; done
  for n in "${started[@]}"; do echo "LXD_${n^^}_TOKEN=$(token "$n")"; done
  ;;
token) [ -n "${PORTS[${2:-}]:-}" ] || die "which daemon: a to j"; token "$2" ;;
stop) for ((i = ${#NAMES[@]} - 1; i >= 0; i--)); do stop_one "${NAMES[$i]}"; done ;;
restart) [ -n "${PORTS[${2:-}]:-}" ] || die "which daemon: a to j"; stop_one "$2"; start_one "$2" ;;
*) die "usage: $0 start [2-10]|token a-j|restart a-j|stop" ;;
esac
