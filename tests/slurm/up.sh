#!/usr/bin/env bash
# tests/slurm/up.sh [STATE]: brings up a real single-node SLURM cluster with accounting on this machine,
# for the test suite and CI (Debian, as root, without systemd or cgroups). Idempotent: what already runs
# is kept, so a second call returns in about a second; tests/slurm/down.sh STATE stops it again.
#
# STATE: a folder for everything it writes (default /tmp/suite-slurm; created if missing):
#   etc/slurm.conf, etc/slurmdbd.conf (mode 600, owned by SlurmUser), etc/cgroup.conf
#   mysql/ (MariaDB's data), spool/ctld (StateSaveLocation), spool/slurmd (SlurmdSpoolDir),
#   run/*.pid, run/mysqld.sock, log/*.log (each daemon's log: read them when something fails);
#   for a STATE path over 40 characters also a link /tmp/suite-slurm.HASH -> STATE (see SHORT below).
#   STATE outlives down.sh: job ids go on from where they were, matching the accounting database kept
#   beside them (a new controller state with an old database would repeat job ids in sacct). Delete
#   the whole folder, never part of it, for a fresh cluster.
# It also copies slurm.conf to /etc/slurm/slurm.conf, where sbatch, squeue, sacct, scontrol and submitit
# look by default, so any process on the machine (pytest's subprocesses too) reaches the cluster with no
# environment variable. It refuses to overwrite an /etc/slurm/slurm.conf that it did not write
# (SUITE_SLURM_FORCE=1 overrides). Its one line on stdout is `SLURM_CONF=STATE/etc/slurm.conf`, the same
# config, for a caller that prefers to name it; progress and errors go to stderr.
#
# The cluster: ClusterName=suite, one node named `hostname -s` at 127.0.0.1 with the machine's CPUs
# and memory (DefMemPerCPU = memory / CPUs, so one task per CPU runs at once: 2 on a 2-core machine),
# one partition `debug` (Default=YES, MaxTime=INFINITE), accounting through slurmdbd into a MariaDB of
# its own (127.0.0.1:$SUITE_SLURM_DB_PORT, default 3306), ports 6817 (slurmctld), 6818 (slurmd),
# 6819 (slurmdbd): one cluster per machine at a time. Jobs run as the user who submits them.
# Daemons: munged (an already running one is reused and then left alone by down.sh), mariadbd,
# slurmdbd, slurmctld, slurmd; each started as a plain daemon with its stdio on files, so a caller that
# captures up.sh's output (subprocess.run(capture_output=True)) is not held open by them.
# It waits (at most $SUITE_SLURM_TIMEOUT s, default 60, for each stage) until the node is idle, and
# exits non-zero with the reason and the logs' tails otherwise.
#
# Measured on this project's machine (2 cores, 24 GiB, gVisor): a cold bring-up (new STATE, so
# MariaDB's data folder is created) takes about 10 s; again after down.sh about 2.5 s; when all is up
# already about 0.7 s. down.sh takes about 7 s. Installing the packages (install.sh) is apart: ~17 s.
# With these settings 2 one-CPU tasks run at once, the next starts at once, and a requeued job
# (scontrol requeue) runs again about 11 s later (cred_expire=10 + 1 s).
#
# Environment: SUITE_SLURM_TIMEOUT (60), SUITE_SLURM_DB_PORT (3306), SUITE_SLURM_FORCE (0).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${1:-/tmp/suite-slurm}
TIMEOUT=${SUITE_SLURM_TIMEOUT:-60}
DB_PORT=${SUITE_SLURM_DB_PORT:-3306}
CLUSTER=suite
NODE=$(hostname -s)
MARK="# Written by tests/slurm/up.sh (suite-slurm)"

log() { echo "up.sh: $*" >&2; }
die() { echo "up.sh: error: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it starts munged, mariadbd and the SLURM daemons)"
for b in munged slurmctld slurmd slurmdbd sacctmgr sinfo mariadbd mariadb mariadb-install-db; do
    if ! command -v "$b" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$b" ]; then
        bash "$HERE/install.sh" >&2
        break
    fi
done
export PATH="$PATH:/usr/sbin:/sbin"

mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
ETC=$STATE/etc RUN=$STATE/run LOGS=$STATE/log
mkdir -p "$ETC" "$RUN" "$LOGS" "$STATE/spool/ctld" "$STATE/spool/slurmd" "$STATE/mysql"
export SLURM_CONF=$ETC/slurm.conf
# A Unix socket's path has at most 107 bytes, and slurmd makes one per job step in its spool folder
# (NODE_JOBID.STEPID): under a deep STATE (pytest's tmp_path) both it and MariaDB's socket go through a
# short link /tmp/suite-slurm.HASH -> STATE (down.sh removes it).
SHORT=$STATE
if [ ${#STATE} -gt 40 ]; then
    SHORT=/tmp/suite-slurm.$(printf %s "$STATE" | md5sum | cut -c1-12)
    ln -sfn "$STATE" "$SHORT"
fi
SOCK=$SHORT/run/mysqld.sock

# alive PIDFILE NAME: the pid in PIDFILE runs and is NAME (a stale file's pid may have been reused).
alive() {
    local pid
    [ -s "$1" ] || return 1
    pid=$(cat "$1" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]
}
# port_busy PORT: something listens on 127.0.0.1:PORT.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
tails() {
    local f
    for f in "$LOGS"/*.log; do
        [ -s "$f" ] || continue
        echo "---- last lines of $f" >&2
        tail -n 15 "$f" >&2
    done
    if alive "$RUN/slurmctld.pid" slurmctld; then
        sinfo -N -l >&2 || true
        sinfo -R >&2 || true
    fi
}
# wait_until WHAT CMD...: runs CMD every 0.2 s until it succeeds, for at most $TIMEOUT s.
wait_until() {
    local what=$1 end=$((SECONDS + TIMEOUT))
    shift
    until "$@" >/dev/null 2>&1; do
        if [ $SECONDS -ge $end ]; then
            tails
            die "$what: not ready after ${TIMEOUT} s (logs in $LOGS)"
        fi
        sleep 0.2
    done
}

# ---------------------------------------------------------------- configuration
# CPUs and memory as slurmd itself detects them (a node configured with more is drained as invalid).
HW=$(slurmd -C 2>/dev/null | head -n 1)
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$HW"; }
CPUS=$(field CPUs)
MEM=$(field RealMemory)
TOPOLOGY=""
if [ -n "$(field SocketsPerBoard)" ] && [ -n "$(field CoresPerSocket)" ] && [ -n "$(field ThreadsPerCore)" ]; then
    TOPOLOGY=" Boards=$(field Boards) SocketsPerBoard=$(field SocketsPerBoard) CoresPerSocket=$(field CoresPerSocket) ThreadsPerCore=$(field ThreadsPerCore)"
fi
[ -n "$CPUS" ] || CPUS=$(nproc)
[ -n "$MEM" ] || MEM=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
MEM_PER_CPU=$((MEM / CPUS))

new_conf=$(cat <<EOF
$MARK for STATE=$STATE: a single-node test cluster.
# Regenerated on each bring-up; edit up.sh, not this file.
ClusterName=$CLUSTER
SlurmctldHost=$NODE(127.0.0.1)
# SlurmUser=root: STATE may be a folder only root can enter (pytest's tmp_path is under the mode-700
# /tmp/pytest-of-root), and this throwaway cluster runs in a root-only sandbox; jobs still run as the
# user who submits them.
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# A requeued job's credential would otherwise keep it pending for 120 s before it can run again.
AuthInfo=cred_expire=10
StateSaveLocation=$STATE/spool/ctld
SlurmdSpoolDir=$SHORT/spool/slurmd
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups here: the default process tracking and task plugins need them.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SwitchType=switch/none
# One CPU and its share of memory per task: without DefMemPerCPU a task reserves the whole node's
# memory and array tasks run one at a time.
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=$MEM_PER_CPU
SchedulerType=sched/backfill
# Start the next task at once instead of about 3 s later; try pending jobs every second (a requeued
# job becomes eligible cred_expire + 1 s after its requeue, and then waited for the next periodic pass:
# up to 30 s for the backfill scheduler, 60 s for the main one).
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,sched_interval=1,bf_interval=1
JobRequeue=1
ReturnToService=2
KillWait=5
InactiveLimit=0
MinJobAge=300
# Accounting through slurmdbd: sacct, and submitit's view of finished and cancelled jobs, need it.
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=6819
JobCompType=jobcomp/none
MailProg=/bin/true
NodeName=$NODE NodeHostname=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS$TOPOLOGY RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
)

DB_PASS=suite-slurm
new_dbd=$(cat <<EOF
$MARK for STATE=$STATE.
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=6819
# As in slurm.conf: root, so that STATE may be a folder only root can enter.
SlurmUser=root
DebugLevel=info
LogFile=$LOGS/slurmdbd.log
PidFile=$RUN/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF
)

new_cgroup=$(cat <<EOF
$MARK for STATE=$STATE.
# Unused: no plugin in slurm.conf needs cgroups (proctrack/linuxproc, task/none, jobacct_gather/none).
CgroupPlugin=autodetect
IgnoreSystemd=yes
EOF
)

# Another cluster (up.sh with another STATE, or a system one) holding the ports: stop before anything
# shared (/etc/slurm/slurm.conf) is touched.
for d in "mariadb mariadbd $DB_PORT" "slurmdbd slurmdbd 6819" "slurmctld slurmctld 6817" "slurmd slurmd 6818"; do
    set -- $d
    if ! alive "$RUN/$1.pid" "$2" && port_busy "$3"; then
        die "port $3 is taken, not by this STATE's $2: another cluster runs (tests/slurm/down.sh ITS_STATE)"
    fi
done

if [ -e /etc/slurm/slurm.conf ] && ! grep -qF "$MARK" /etc/slurm/slurm.conf \
        && [ "${SUITE_SLURM_FORCE:-0}" != 1 ]; then
    die "/etc/slurm/slurm.conf exists and was not written by up.sh; move it away or set SUITE_SLURM_FORCE=1"
fi

# A changed configuration (up.sh edited, or the machine's CPUs or memory changed) needs a restart.
if [ -f "$ETC/slurm.conf" ] && [ "$(cat "$ETC/slurm.conf")" != "$new_conf" ]; then
    if alive "$RUN/slurmctld.pid" slurmctld || alive "$RUN/slurmd.pid" slurmd \
            || alive "$RUN/slurmdbd.pid" slurmdbd; then
        log "configuration changed: restarting"
        bash "$HERE/down.sh" "$STATE" >&2
    fi
fi
printf '%s\n' "$new_conf" >"$ETC/slurm.conf"
printf '%s\n' "$new_cgroup" >"$ETC/cgroup.conf"
( umask 077; printf '%s\n' "$new_dbd" >"$ETC/slurmdbd.conf" )
chown root:root "$ETC/slurmdbd.conf"
chmod 600 "$ETC/slurmdbd.conf"
chmod 644 "$ETC/slurm.conf" "$ETC/cgroup.conf"
mkdir -p /etc/slurm
if [ "$(cat /etc/slurm/slurm.conf 2>/dev/null)" != "$new_conf" ]; then
    cp "$ETC/slurm.conf" /etc/slurm/slurm.conf.suite-new
    mv -f /etc/slurm/slurm.conf.suite-new /etc/slurm/slurm.conf
fi

# ---------------------------------------------------------------- munged
munge_ok() { munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; }
if ! munge_ok; then
    if [ ! -s /etc/munge/munge.key ]; then
        log "creating /etc/munge/munge.key"
        mungekey --create --force --keyfile=/etc/munge/munge.key >&2
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
    mkdir -p /run/munge /var/lib/munge /var/log/munge
    chown munge:munge /run/munge /var/lib/munge /var/log/munge
    chmod 755 /run/munge
    log "starting munged"
    # --force: start even when a dead munged left its socket behind.
    runuser -u munge -- /usr/sbin/munged --force </dev/null >>"$LOGS/munged.out" 2>&1
    # Recorded at once, so that down.sh stops it even if this script fails below.
    cp /run/munge/munged.pid "$RUN/munged.pid" 2>/dev/null || true
    wait_until munged munge_ok
    cp /run/munge/munged.pid "$RUN/munged.pid"
fi

# ---------------------------------------------------------------- MariaDB
db() { mariadb --no-defaults --protocol=socket --socket="$SOCK" -u root "$@"; }
if ! alive "$RUN/mariadb.pid" mariadbd; then
    if [ ! -d "$STATE/mysql/mysql" ]; then
        log "creating MariaDB's data folder"
        mariadb-install-db --no-defaults --user=root --datadir="$STATE/mysql" \
            --auth-root-authentication-method=socket --skip-test-db >"$LOGS/mariadb-install.out" 2>&1 \
            || { tail -n 20 "$LOGS/mariadb-install.out" >&2; die "mariadb-install-db failed"; }
    fi
    rm -f "$SOCK"
    log "starting mariadbd"
    # --user=root: the data folder is in STATE (see SlurmUser above). InnoDB settings as slurmdbd asks.
    # Its own session (no terminal's Ctrl-C reaches it); the pid file is written before exec, so that
    # down.sh finds it even if this script fails before mariadbd writes it itself.
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$RUN/mariadb.pid" \
        mariadbd --no-defaults --user=root --datadir="$STATE/mysql" --socket="$SOCK" \
        --port="$DB_PORT" --bind-address=127.0.0.1 --pid-file="$RUN/mariadb.pid" \
        --log-error="$LOGS/mariadb.log" --innodb-buffer-pool-size=512M --innodb-log-file-size=64M \
        --innodb-lock-wait-timeout=900 </dev/null >>"$LOGS/mariadb.out" 2>&1 &
    wait_until mariadbd db -e 'SELECT 1'
fi
db <<EOF
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
EOF

# ---------------------------------------------------------------- slurmdbd, cluster registration
if ! alive "$RUN/slurmdbd.pid" slurmdbd; then
    log "starting slurmdbd"
    # It reads slurmdbd.conf beside $SLURM_CONF.
    slurmdbd </dev/null >>"$LOGS/slurmdbd.out" 2>&1
fi
wait_until slurmdbd sacctmgr -n list cluster
if ! sacctmgr -n -P list cluster format=cluster | grep -qx "$CLUSTER"; then
    log "registering cluster $CLUSTER"
    sacctmgr -i add cluster "$CLUSTER" >&2
fi

# ---------------------------------------------------------------- slurmctld, slurmd
if ! alive "$RUN/slurmctld.pid" slurmctld; then
    log "starting slurmctld"
    slurmctld </dev/null >>"$LOGS/slurmctld.out" 2>&1
fi
if ! alive "$RUN/slurmd.pid" slurmd; then
    log "starting slurmd"
    slurmd </dev/null >>"$LOGS/slurmd.out" 2>&1
fi

node_up() {
    local st
    st=$(sinfo -h -N -n "$NODE" -o %T 2>/dev/null | head -n 1)
    case $st in
        idle|mixed|allocated|completing) return 0 ;;
        down*|drain*|fail*)
            # ReturnToService=2 brings a registered node back by itself; nudge it in case.
            scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true
            return 1 ;;
        *) return 1 ;;
    esac
}
wait_until "node $NODE idle" node_up
log "cluster $CLUSTER up: node $NODE ($CPUS CPUs, ${MEM} MB, ${MEM_PER_CPU} MB per CPU), partition debug"
echo "SLURM_CONF=$SLURM_CONF"
