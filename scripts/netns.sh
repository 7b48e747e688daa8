#!/bin/sh
# Simulated hosts on this machine: network namespaces on a bridge, each with its own address
# and, for what runs in it, its own host name (a UTS namespace). Root only; every address is
# this machine's, and the namespaces get no default route, so nothing leaves it.
#
#   scripts/netns.sh bridge BRIDGE GATEWAY   make the bridge, GATEWAY/24 on it (a server can
#                                            then listen on GATEWAY, reachable from the hosts)
#   scripts/netns.sh up NAME ADDRESS BRIDGE  host NAME: a namespace, its veth vx-NAME on the
#                                            bridge, eth0 ADDRESS/24 inside (NAME: 12 chars)
#   scripts/netns.sh exec NAME CMD...        run CMD in NAME, with host name NAME
#   scripts/netns.sh down NAME               kill what runs in NAME, remove it and its veth
#   scripts/netns.sh unbridge BRIDGE         remove the bridge (and /run/netns once unused)
set -eu

die() { echo "netns.sh: $*" >&2; exit 1; }

bridge() {
    [ $# -eq 2 ] || die "usage: netns.sh bridge BRIDGE GATEWAY"
    if ! ip link show "$1" >/dev/null 2>&1; then ip link add "$1" type bridge; fi
    ip addr replace "$2/24" dev "$1"
    ip link set "$1" up
}

up() {
    [ $# -eq 3 ] || die "usage: netns.sh up NAME ADDRESS BRIDGE"
    name=$1 address=$2 bridge=$3 veth=vx-$1
    case $name in '' | *[!A-Za-z0-9_-]*) die "bad host name: $name" ;; esac
    [ ${#veth} -le 15 ] || die "host name $name is longer than 12 characters"
    ip netns add "$name"
    if ! {
        ip link add "$veth" type veth peer name eth0 netns "$name" &&
            ip link set "$veth" master "$bridge" &&
            ip link set "$veth" up &&
            ip -n "$name" link set lo up &&
            ip -n "$name" addr add "$address/24" dev eth0 &&
            ip -n "$name" link set eth0 up
    }; then
        down "$name"
        die "could not set up host $name"
    fi
    tries=0  # the bridge port forwards at once (no STP); wait for it all the same, bounded
    until [ "$(cat "/sys/class/net/$veth/brport/state" 2>/dev/null)" = 3 ]; do
        tries=$((tries + 1))
        [ $tries -le 100 ] || die "$veth never started forwarding"
        sleep 0.05
    done
}

run() {
    [ $# -ge 2 ] || die "usage: netns.sh exec NAME CMD..."
    name=$1
    shift
    exec ip netns exec "$name" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$name" "$@"
}

down() {
    [ $# -eq 1 ] || die "usage: netns.sh down NAME"
    if ip netns list | awk '{ print $1 }' | grep -qx "$1"; then
        pids=$(ip netns pids "$1" 2>/dev/null || true)
        if [ -n "$pids" ]; then kill -KILL $pids 2>/dev/null || true; fi
        ip netns del "$1"
    fi
    ip link del "vx-$1" 2>/dev/null || true  # gone with its peer, normally
}

unbridge() {
    [ $# -eq 1 ] || die "usage: netns.sh unbridge BRIDGE"
    ip link del "$1" 2>/dev/null || true
    # iproute2 mounts /run/netns on itself at the first 'ip netns add' and leaves it
    if [ -z "$(ip netns list)" ] && mountpoint -q /run/netns; then
        umount /run/netns 2>/dev/null && rmdir /run/netns 2>/dev/null || true
    fi
}

[ $# -ge 1 ] || die "usage: netns.sh bridge|up|exec|down|unbridge ..."
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
command=$1
shift
case $command in
    bridge) bridge "$@" ;;
    up) up "$@" ;;
    exec) run "$@" ;;
    down) down "$@" ;;
    unbridge) unbridge "$@" ;;
    *) die "unknown command: $command" ;;
esac
