#!/bin/sh
# A throwaway PostgreSQL cluster, started by hand (no systemd, no pg_ctlcluster), for trying
# the accounting on a server and for its tests.
#
#   scripts/postgres.sh start DIR PORT [ADDRESS]   initdb and configure (unless DIR holds a
#                                                  cluster already), start, wait until ready
#   scripts/postgres.sh stop DIR                   stop exactly that server, by its PID (its
#                                                  data stays, for start again or rm -rf)
#
# Everything lives under DIR: data/ (the cluster), run/ (its Unix socket), log, pid, and env
# (PGHOST, PGPORT and PGUSER for its superuser, to source). It listens on 127.0.0.1 and, when
# given, ADDRESS (never '*'; it must exist first, see netns.sh bridge), with peer
# authentication on the socket (each OS user is the role of that name; root may also be the
# superuser postgres) and scram-sha-256 over TCP from 127.0.0.1 and ADDRESS's /24.
#
# initdb refuses to run as root: as root the cluster belongs to the postgres OS user, which
# must be able to reach DIR (so not under /root: use /tmp). Data is throwaway: fsync is off.
# Binaries: $PG_BIN, else the newest /usr/lib/postgresql/*/bin, else initdb on PATH.
set -eu

die() { echo "postgres.sh: $*" >&2; exit 1; }

bindir() {
    if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
    newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$newest" ]; then echo "$newest"; return; fi
    found=$(command -v initdb) || die "no PostgreSQL server binaries (apt-get install postgresql)"
    dirname "$found"
}

# as_owner CMD...: run as the cluster's owner (postgres when we are root, else ourselves)
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
    [ $# -ge 2 ] || die "usage: postgres.sh start DIR PORT [ADDRESS]"
    dir=$1 port=$2 address=${3:-}
    case $port in '' | *[!0-9]*) die "bad port: $port" ;; esac
    bin=$(bindir)
    [ -x "$bin/initdb" ] || die "no $bin/initdb (apt-get install postgresql)"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    if [ ! -e "$dir/data/PG_VERSION" ]; then initialise "$dir" "$port" "$address"; fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 start >/dev/null \
        || { tail -n 20 "$dir/log" >&2; die "the server did not start"; }
    if tail -n 20 "$dir/log" | grep -Eq 'could not (bind|create listen socket)'; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
        die "port $port is taken on one of its addresses: stopped the server"
    fi
    head -n 1 "$dir/data/postmaster.pid" >"$dir/pid"
    echo "postgres.sh: pid $(cat "$dir/pid"), port $port, socket in $dir/run"
}

# initialise DIR PORT ADDRESS: a new cluster in DIR/data, configured
initialise() {
    dir=$1 port=$2 address=$3
    socket="$dir/run/.s.PGSQL.$port"
    [ ${#socket} -le 103 ] || die "$dir is too long for a Unix socket path: pick a shorter one"
    if [ "$(id -u)" = 0 ]; then
        owner=postgres superuser=postgres
        id postgres >/dev/null 2>&1 || die "no postgres OS user (apt-get install postgresql)"
        chown postgres "$dir"
        as_owner test -x "$dir" || die "the postgres OS user cannot reach $dir (use /tmp)"
    else
        owner=$(id -un) superuser=$(id -un)
    fi
    chmod 0755 "$dir"
    mkdir -p "$dir/data" "$dir/run"
    chmod 0700 "$dir/data"
    chmod 0755 "$dir/run"
    chown "$owner" "$dir/data" "$dir/run"
    listen=127.0.0.1${address:+,$address}
    cd "$dir"  # initdb complains when it cannot stay in the current directory
    as_owner "$bin/initdb" -D "$dir/data" -U "$superuser" -E UTF8 --locale=C.UTF-8 \
        --auth-local=peer --auth-host=scram-sha-256 --no-sync --no-instructions \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '$listen'
port = $port
unix_socket_directories = '$dir/run'
unix_socket_permissions = 0777
password_encryption = 'scram-sha-256'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
    {
        echo "local all all peer map=exitwrap"
        echo "host all all 127.0.0.1/32 scram-sha-256"
        if [ -n "$address" ]; then echo "host all all ${address%.*}.0/24 scram-sha-256"; fi
    } >"$dir/data/pg_hba.conf"
    printf 'exitwrap root postgres\nexitwrap /^(.*)$ \\1\n' >"$dir/data/pg_ident.conf"
    printf 'export PGHOST=%s PGPORT=%s PGUSER=%s\n' "$dir/run" "$port" "$superuser" >"$dir/env"
}

# ours PID DIR: PID is the postmaster of DIR's cluster (a zombie's command line is empty)
ours() {
    [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q -- "-D $2/data"
}

stop() {
    [ $# -eq 1 ] || die "usage: postgres.sh stop DIR"
    dir=$(cd "$1" && pwd -P) || die "no such directory: $1"
    pid=$(cat "$dir/pid" 2>/dev/null || true)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
    fi
    if ours "$pid" "$dir"; then
        kill -QUIT "$pid" 2>/dev/null || true
        sleep 1
        if ours "$pid" "$dir"; then kill -KILL "$pid" 2>/dev/null || true; fi
    fi
    ! ours "$pid" "$dir" || die "postmaster $pid is still running"
    rm -f "$dir/pid"
}

[ $# -ge 1 ] || die "usage: postgres.sh start DIR PORT [ADDRESS] | stop DIR"
command=$1
shift
case $command in
    start) start "$@" ;;
    stop) stop "$@" ;;
    *) die "unknown command: $command (start or stop)" ;;
esac
