#!/bin/sh
# A private single-node Slurm (munged, MariaDB, slurmdbd, slurmctld, slurmd), started by hand.
#
#   sh scripts/slurm.sh up STATE_DIR     start it; exit 0 once the node is idle in sinfo
#   sh scripts/slurm.sh down STATE_DIR   stop exactly the daemons `up` started, by PID
#
# For the Slurm tests (tests/test_slurm_*.py) and for trying exitwrap inside a real
# cluster. No systemd and no file under /etc: configs, the MariaDB datadir, the munge
# key and socket, state, logs and PID records all live under STATE_DIR. Needs root and
# Debian's slurm-wlm slurmdbd munge mariadb-server slurm-client (scripts/bootstrap.sh
# installs them). Clients need only SLURM_CONF: `. STATE_DIR/env.sh`.
#
# Each daemon runs in the foreground, started with `&`, so `$!` is the daemon itself
# (setpriv execs without forking; mariadbd, slurmdbd and slurmctld drop privileges in
# the same process). A daemon is recorded as "PID STARTTIME" (field 22 of
# /proc/PID/stat), so `down` never signals a recycled PID. A zombie counts as dead
# (some container inits never reap). slurmctld always starts clean (-c), with
# FirstJobId past the highest job id in the kept database, so no ghost job of an
# earlier run keeps the node busy and no job id repeats.
#
# Tunables (environment): SLURM_UP_TIMEOUT (per daemon, default 60 s),
# SLURM_DOWN_TIMEOUT (TERM to KILL, default 30 s), SLURM_CLUSTER and SLURM_ACCOUNT
# (default exitwrap), SLURM_CPUS (the node's CPUs, default 8 whatever the machine
# has, so that small jobs run side by side), SLURM_KILLWAIT (default 5; Slurm's is
# 30), SLURMCTLD_PORT SLURMD_PORT SLURMDBD_PORT MARIADB_PORT (all four, or none: then
# four free ports in a row between 17000 and 20999, where the first tried follows from
# STATE_DIR's path, so that clusters of different STATE_DIRs run side by side; below
# Linux's ephemeral range, so no outgoing connection takes one meanwhile). STATE_DIR:
# no blanks, at most 80 characters (unix sockets), and every directory above it
# searchable by unprivileged users (use /tmp on CI runners).
set -eu

usage() {
    echo "usage: $0 up|down STATE_DIR" >&2
    exit 2
}
[ $# -eq 2 ] || usage
action=$1
case $action in up | down) ;; *) usage ;; esac

PATH=$PATH:/usr/sbin:/sbin
CLUSTER=${SLURM_CLUSTER:-exitwrap}
ACCOUNT=${SLURM_ACCOUNT:-exitwrap}
CPUS=${SLURM_CPUS:-8}
KILLWAIT=${SLURM_KILLWAIT:-5}
DB_PASS=slurmdbpass # reachable on 127.0.0.1:$DB_PORT only; throwaway
DAEMONS="munged mariadbd slurmdbd slurmctld slurmd" # in start order

T0=$(date +%s.%N)
log() { echo "[slurm $action +$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')s] $*"; }

# ---------------------------------------------------------------- process records
# start time in clock ticks since boot; nothing for a zombie or a missing process
starttime() { awk '{ sub(/^.*\) /, ""); if ($1 != "Z") print $20 }' "/proc/$1/stat" 2>/dev/null; }
same() { [ -n "$1" ] && [ "$(starttime "$1")" = "$2" ]; }
alive() { # alive NAME: the recorded daemon NAME is still that process
    [ -f "$PIDS/$1" ] || return 1
    read -r _pid _start <"$PIDS/$1" || return 1
    same "$_pid" "$_start"
}
record() { # record NAME PID
    _start=$(starttime "$2") || true
    [ -n "$_start" ] || return 1
    echo "$2 $_start" >"$PIDS/$1"
}

# ---------------------------------------------------------------- up
die_with_logs() { # die_with_logs WHAT LOGFILE...
    echo "slurm up: ERROR: $1" >&2
    shift
    for f in "$@"; do
        [ -f "$f" ] || continue
        echo "----- tail -n 40 $f -----" >&2
        tail -n 40 "$f" >&2 || true
    done
    echo "slurm up: the daemons already started still run: sh $0 down $S" >&2
    exit 1
}

wait_for() { # wait_for WHAT NAME "LOGFILE..." COMMAND...
    _what=$1 _name=$2 _logs=$3
    shift 3
    _end=$(($(date +%s) + ${SLURM_UP_TIMEOUT:-60}))
    until "$@" >/dev/null 2>&1; do
        # shellcheck disable=SC2086 # _logs is a list of paths without blanks
        alive "$_name" || die_with_logs "$_name exited while waiting for: $_what" $_logs
        # shellcheck disable=SC2086
        [ "$(date +%s)" -lt "$_end" ] || die_with_logs "timed out waiting for: $_what" $_logs
        sleep 0.2
    done
}

port_free() { # no listening socket on the port, from /proc/net/tcp{,6} (state 0A)
    ! awk -v port="$(printf ':%04X' "$1")" \
        '$4 == "0A" && substr($2, length($2) - 4) == port { found = 1 } END { exit !found }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

choose_ports() { # the given ports, or four free ones in a row (17000-20999) for this STATE_DIR
    if [ -n "${SLURMCTLD_PORT:-}${SLURMD_PORT:-}${SLURMDBD_PORT:-}${MARIADB_PORT:-}" ]; then
        CTLD_PORT=${SLURMCTLD_PORT:?all four ports or none} SLURMD_PORT=${SLURMD_PORT:?all four ports or none}
        DBD_PORT=${SLURMDBD_PORT:?all four ports or none} DB_PORT=${MARIADB_PORT:?all four ports or none}
        for port in "$CTLD_PORT" "$SLURMD_PORT" "$DBD_PORT" "$DB_PORT"; do
            port_free "$port" || {
                echo "slurm up: TCP port $port is in use (another Slurm or MariaDB?)" >&2
                exit 1
            }
        done
        return 0
    fi
    slot=$(($(printf '%s' "$S" | cksum | cut -d' ' -f1) % 1000))
    tries=0
    while [ $tries -lt 1000 ]; do
        CTLD_PORT=$((17000 + ((slot + tries) % 1000) * 4))
        SLURMD_PORT=$((CTLD_PORT + 1)) DBD_PORT=$((CTLD_PORT + 2)) DB_PORT=$((CTLD_PORT + 3))
        if port_free "$CTLD_PORT" && port_free "$SLURMD_PORT" && port_free "$DBD_PORT" &&
            port_free "$DB_PORT"; then
            return 0
        fi
        tries=$((tries + 1))
    done
    echo "slurm up: no four free TCP ports in a row between 17000 and 20999" >&2
    exit 1
}

check() {
    [ "$(id -u)" = 0 ] || {
        echo "slurm up: must run as root" >&2
        exit 1
    }
    for name in $DAEMONS; do
        if alive "$name"; then
            echo "slurm up: $name of an earlier run still runs; run: sh $0 down $S" >&2
            exit 1
        fi
    done
    choose_ports
    for command in munged mungekey munge unmunge mariadbd mariadb-install-db mariadb \
        mariadb-admin slurmdbd slurmctld slurmd sinfo sacctmgr scontrol setpriv; do
        command -v "$command" >/dev/null 2>&1 || {
            echo "slurm up: missing command $command" >&2
            exit 1
        }
    done
    for user in slurm munge mysql; do
        id "$user" >/dev/null 2>&1 || {
            echo "slurm up: no user $user (are the packages installed?)" >&2
            exit 1
        }
    done
    [ ${#S} -le 80 ] || {
        echo "slurm up: STATE_DIR too long for unix sockets: $S" >&2
        exit 1
    }
    # munged, mariadbd and slurmctld run unprivileged: every directory above must be searchable
    chmod 755 "$S"
    dir=$S
    while [ "$dir" != / ]; do
        dir=$(dirname "$dir")
        setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$dir" 2>/dev/null || {
            echo "slurm up: $dir is not searchable by unprivileged users" >&2
            exit 1
        }
    done
}

layout() {
    mkdir -p "$PIDS" "$ETC" "$S/munge" "$S/mysql" "$S/slurmdbd" "$S/slurmctld" "$S/slurmd"
    chmod 700 "$PIDS"
    chmod 755 "$ETC" "$S/munge" "$S/slurmdbd" "$S/slurmctld" "$S/slurmd"
    chown munge:munge "$S/munge"
    chown mysql:mysql "$S/mysql"
    chmod 750 "$S/mysql"
    chown slurm:slurm "$S/slurmdbd" "$S/slurmctld"
    rm -f "$PIDS"/*
}

configs() {
    cat >"$ETC/slurm.conf" <<EOF
# written by scripts/slurm.sh: a private single-node cluster on 127.0.0.1
ClusterName=$CLUSTER
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=slurm
SlurmdUser=root
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$S/slurmctld/state
SlurmdSpoolDir=$S/slurmd/spool
SlurmctldPidFile=$S/slurmctld/slurmctld.pid
SlurmdPidFile=$S/slurmd/slurmd.pid
SlurmctldLogFile=$S/slurmctld/slurmctld.log
SlurmdLogFile=$S/slurmd/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$ETC/plugstack.conf
MpiDefault=none
SwitchType=switch/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# a main scheduling pass every second (Slurm's default: 60 s), so that a burst of jobs starts at once
SchedulerParameters=sched_interval=1,bf_interval=1
SlurmdParameters=config_overrides
ReturnToService=2
KillWait=$KILLWAIT
OverTimeLimit=0
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
Waittime=0
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$DBD_PORT
# the munge socket for connections to slurmdbd (AuthInfo covers only slurmctld, slurmd, clients)
AccountingStoragePass=$MUNGE_SOCKET
AccountingStoreFlags=job_comment
JobCompType=jobcomp/none
MailProg=/bin/true
NodeName=$HOST NodeAddr=127.0.0.1 NodeHostname=$HOST CPUs=$CPUS State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    : >"$ETC/plugstack.conf"
    chmod 644 "$ETC/slurm.conf" "$ETC/plugstack.conf"
    (
        umask 077
        cat >"$ETC/slurmdbd.conf" <<EOF
# written by scripts/slurm.sh
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
DbdHost=$HOST
DbdAddr=127.0.0.1
DbdPort=$DBD_PORT
SlurmUser=slurm
DebugLevel=info
LogFile=$S/slurmdbd/slurmdbd.log
PidFile=$S/slurmdbd/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF
    )
    chown slurm:slurm "$ETC/slurmdbd.conf" # slurmdbd wants it 0600 and its SlurmUser's
    echo "export SLURM_CONF=$ETC/slurm.conf" >"$S/env.sh"
}

start_munged() {
    if [ ! -s "$S/munge/munge.key" ]; then
        setpriv --reuid=munge --regid=munge --init-groups mungekey --create --keyfile="$S/munge/munge.key"
    fi
    chown munge:munge "$S/munge/munge.key"
    chmod 600 "$S/munge/munge.key"
    rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
    setpriv --reuid=munge --regid=munge --init-groups \
        munged -F --socket="$MUNGE_SOCKET" --key-file="$S/munge/munge.key" \
        --pid-file="$S/munge/munged.pid" --log-file="$S/munge/munged.log" \
        --seed-file="$S/munge/munged.seed" </dev/null >>"$S/munge/munged.out" 2>&1 &
    record munged $! || die_with_logs "munged died at once" "$S/munge/munged.out" "$S/munge/munged.log"
    wait_for "a munge round trip" munged "$S/munge/munged.out $S/munge/munged.log" \
        sh -c "munge -n --socket='$MUNGE_SOCKET' | unmunge --socket='$MUNGE_SOCKET'"
    log "munged up (pid $(cut -d' ' -f1 "$PIDS/munged"))"
}

start_mariadbd() {
    data=$S/mysql/data
    if [ ! -d "$data/mysql" ]; then
        rm -rf "$data"
        # --no-defaults first: nothing of /etc/mysql leaks in
        mariadb-install-db --no-defaults --user=mysql --datadir="$data" \
            --auth-root-authentication-method=socket --skip-test-db >"$S/mysql/install.log" 2>&1 ||
            die_with_logs "mariadb-install-db failed" "$S/mysql/install.log"
    fi
    mariadbd --no-defaults --user=mysql --datadir="$data" --socket="$MYSQL_SOCKET" \
        --port="$DB_PORT" --bind-address=127.0.0.1 --pid-file="$S/mysql/mariadbd.pid" \
        --log-error="$S/mysql/mariadbd.err" --skip-name-resolve --skip-log-bin \
        --innodb-buffer-pool-size=128M --innodb-log-file-size=64M \
        --innodb-lock-wait-timeout=900 --max-connections=100 \
        </dev/null >>"$S/mysql/mariadbd.out" 2>&1 &
    record mariadbd $! || die_with_logs "mariadbd died at once" "$S/mysql/mariadbd.err"
    wait_for "mariadb-admin ping" mariadbd "$S/mysql/mariadbd.out $S/mysql/mariadbd.err" \
        mariadb-admin --no-defaults --socket="$MYSQL_SOCKET" -uroot ping
    mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot <<EOF
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
FLUSH PRIVILEGES;
EOF
    log "mariadbd up (pid $(cut -d' ' -f1 "$PIDS/mariadbd"), port $DB_PORT)"
}

start_slurmdbd() {
    slurmdbd -D </dev/null >>"$S/slurmdbd/slurmdbd.out" 2>&1 &
    record slurmdbd $! || die_with_logs "slurmdbd died at once" "$S/slurmdbd/slurmdbd.out" "$S/slurmdbd/slurmdbd.log"
    wait_for "sacctmgr show cluster" slurmdbd \
        "$S/slurmdbd/slurmdbd.out $S/slurmdbd/slurmdbd.log $S/mysql/mariadbd.err" sacctmgr -n show cluster
    if [ -z "$(sacctmgr -n -P show cluster "$CLUSTER" format=cluster)" ]; then
        sacctmgr -i add cluster "$CLUSTER" >/dev/null
    fi
    if [ -z "$(sacctmgr -n -P show account "$ACCOUNT" format=account)" ]; then
        sacctmgr -i add account "$ACCOUNT" Cluster="$CLUSTER" Description="exitwrap tests" \
            Organization=exitwrap >/dev/null
    fi
    if [ -z "$(sacctmgr -n -P show assoc where cluster="$CLUSTER" account="$ACCOUNT" user=root format=user)" ]; then
        sacctmgr -i add user root Account="$ACCOUNT" Cluster="$CLUSTER" DefaultAccount="$ACCOUNT" >/dev/null
    fi
    log "slurmdbd up (pid $(cut -d' ' -f1 "$PIDS/slurmdbd"), port $DBD_PORT): cluster $CLUSTER, account $ACCOUNT"
}

start_slurmctld() {
    highest=$(mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot -N -B -e \
        "SELECT COALESCE(MAX(id_job), 0) FROM slurm_acct_db.\`${CLUSTER}_job_table\`" 2>/dev/null) || highest=0
    case $highest in '' | *[!0-9]*) highest=0 ;; esac
    echo "FirstJobId=$((highest + 1))" >>"$ETC/slurm.conf"
    rm -rf "$S/slurmctld/state" "$S/slurmd/spool"
    mkdir -p "$S/slurmctld/state" "$S/slurmd/spool"
    chown slurm:slurm "$S/slurmctld/state"
    slurmctld -D -c </dev/null >>"$S/slurmctld/slurmctld.out" 2>&1 &
    record slurmctld $! || die_with_logs "slurmctld died at once" "$S/slurmctld/slurmctld.out" "$S/slurmctld/slurmctld.log"
    wait_for "scontrol ping" slurmctld "$S/slurmctld/slurmctld.out $S/slurmctld/slurmctld.log" \
        sh -c 'scontrol ping | grep -q UP'
    log "slurmctld up (pid $(cut -d' ' -f1 "$PIDS/slurmctld"), port $CTLD_PORT)"
}

node_idle() {
    case $(sinfo -h -n "$HOST" -o %T) in
    idle) return 0 ;;
    down* | drain* | fail*) scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    return 1
}

start_slurmd() {
    slurmd -D -N "$HOST" </dev/null >>"$S/slurmd/slurmd.out" 2>&1 &
    record slurmd $! || die_with_logs "slurmd died at once" "$S/slurmd/slurmd.out" "$S/slurmd/slurmd.log"
    wait_for "node $HOST idle in sinfo" slurmd \
        "$S/slurmd/slurmd.out $S/slurmd/slurmd.log $S/slurmctld/slurmctld.log" node_idle
    log "slurmd up (pid $(cut -d' ' -f1 "$PIDS/slurmd"), port $SLURMD_PORT)"
}

up() {
    check
    layout
    configs
    export SLURM_CONF="$ETC/slurm.conf"
    start_munged
    start_mariadbd
    start_slurmdbd
    start_slurmctld
    start_slurmd
    log "Slurm is up: . $S/env.sh"
}

# ---------------------------------------------------------------- down
stop() { # stop NAME: TERM, then KILL after SLURM_DOWN_TIMEOUT
    [ -f "$PIDS/$1" ] || return 0
    read -r pid start <"$PIDS/$1"
    if same "$pid" "$start"; then
        kill -TERM "$pid" 2>/dev/null || true
        end=$(($(date +%s) + ${SLURM_DOWN_TIMEOUT:-30}))
        while same "$pid" "$start"; do
            if [ "$(date +%s)" -ge "$end" ]; then
                log "$1 (pid $pid) ignored TERM: KILL"
                kill -KILL "$pid" 2>/dev/null || true
                sleep 0.5
                break
            fi
            sleep 0.1
        done
        log "$1 (pid $pid) stopped"
    fi
    same "$pid" "$start" || rm -f "$PIDS/$1"
}

cancel_jobs() { # while the controller runs, so that steps end cleanly
    alive slurmctld && alive slurmd || return 0
    jobs=$(squeue -h -o %i 2>/dev/null) || return 0
    [ -n "$jobs" ] || return 0
    log "cancelling jobs:" $jobs
    # shellcheck disable=SC2086 # one job id a word
    scancel $jobs 2>/dev/null || true
    end=$(($(date +%s) + ${SLURM_DOWN_TIMEOUT:-30}))
    while [ -n "$(squeue -h -o %i 2>/dev/null)" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.5; done
}

drain_accounting() { # the controller's queue of records for slurmdbd, so no job record is lost
    alive slurmctld && alive slurmdbd || return 0
    end=$(($(date +%s) + 10))
    while :; do
        queued=$(sdiag 2>/dev/null | sed -n 's/^DBD Agent queue size: *\([0-9]*\).*/\1/p')
        [ "${queued:-0}" = 0 ] && return 0
        if [ "$(date +%s)" -ge "$end" ]; then
            log "warning: $queued accounting records still queued for slurmdbd"
            return 0
        fi
        sleep 0.2
    done
}

our_stepds() { # slurmstepd of this cluster (their environment has our SLURM_CONF)
    for dir in /proc/[0-9]*; do
        [ "$(cat "$dir/comm" 2>/dev/null)" = slurmstepd ] || continue
        tr '\0' '\n' <"$dir/environ" 2>/dev/null | grep -qxF "SLURM_CONF=$SLURM_CONF" || continue
        echo "${dir#/proc/}"
    done
}

descendants() { # descendants PID...: every process below them
    for stat in /proc/[0-9]*/stat; do
        awk '{ pid = $1; sub(/^.*\) /, ""); print pid, $2 }' "$stat" 2>/dev/null
    done | awk -v roots="$*" '
        { parent[$1] = $2 }
        END {
            n = split(roots, list, " "); for (i = 1; i <= n; i++) wanted[list[i]] = 1
            do {
                changed = 0
                for (child in parent)
                    if (!(child in wanted) && (parent[child] in wanted)) { wanted[child] = 1; changed = 1; print child }
            } while (changed)
        }'
}

down() {
    export SLURM_CONF="$ETC/slurm.conf"
    cancel_jobs
    drain_accounting
    for name in slurmd slurmctld slurmdbd mariadbd munged; do stop "$name"; done
    # a slurmstepd outlives a slurmd that died before its jobs were cancelled
    stray=$(our_stepds)
    if [ -n "$stray" ]; then
        # shellcheck disable=SC2086 # one pid a word
        victims="$stray $(descendants $stray)"
        log "killing leftover slurmstepd and their tasks:" $victims
        for pid in $victims; do kill -KILL "$pid" 2>/dev/null || true; done
        sleep 0.5
    fi
    left=
    for name in $DAEMONS; do
        if alive "$name"; then left="$left $name"; fi
    done
    [ -z "$(our_stepds)" ] || left="$left slurmstepd"
    if [ -n "$left" ]; then
        log "ERROR: still running:$left"
        exit 1
    fi
    log "all stopped"
}

# ---------------------------------------------------------------- main
if [ "$action" = up ]; then
    mkdir -p "$2"
elif [ ! -d "$2" ]; then
    echo "slurm down: no directory $2" >&2
    exit 1
fi
S=$(cd "$2" && pwd -P) # absolute, without symbolic links
case $S in *[[:space:]]*)
    echo "slurm $action: STATE_DIR must not hold blanks: $S" >&2
    exit 1
    ;;
esac
PIDS=$S/pids
ETC=$S/etc
HOST=$(hostname -s)
MUNGE_SOCKET=$S/munge/munge.socket.2
MYSQL_SOCKET=$S/mysql/mysqld.sock
$action
