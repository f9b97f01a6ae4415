#!/usr/bin/env bash
# tests/slurm/down.sh [STATE]: stops the cluster that tests/slurm/up.sh STATE started (default
# /tmp/suite-slurm): cancels any jobs still queued or running (so slurmd ends their steps), then stops
# slurmd, slurmctld, slurmdbd, mariadbd and munged, each by the pid it wrote under STATE/run, with a
# bounded wait (TERM, then KILL after 15 s). munged is stopped only if up.sh started it. STATE itself is
# kept (job ids, the accounting database, the logs): a later up.sh STATE carries on from it; delete the
# folder for a fresh cluster. Never fails: what is already down, or a STATE that never existed, is fine.
set -uo pipefail

STATE=${1:-/tmp/suite-slurm}
RUN=$STATE/run
export SLURM_CONF=$STATE/etc/slurm.conf
export PATH="$PATH:/usr/sbin:/sbin"

log() { echo "down.sh: $*" >&2; }

alive() {
    local pid
    [ -s "$1" ] || return 1
    pid=$(cat "$1" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]
}

# stop PIDFILE NAME: TERM, wait up to 15 s, then KILL; removes PIDFILE.
stop() {
    local pid i
    if alive "$1" "$2"; then
        pid=$(cat "$1")
        log "stopping $2 ($pid)"
        kill -TERM "$pid" 2>/dev/null
        for ((i = 0; i < 75; i++)); do
            [ -d "/proc/$pid" ] || break
            sleep 0.2
        done
        if [ -d "/proc/$pid" ]; then
            log "$2 ($pid) still runs after 15 s: KILL"
            kill -KILL "$pid" 2>/dev/null
            sleep 0.5
        fi
    fi
    rm -f "$1"
}

if [ -f "$SLURM_CONF" ] && alive "$RUN/slurmctld.pid" slurmctld; then
    jobs=$(timeout 10 squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ')
    if [ -n "${jobs// /}" ]; then
        log "cancelling jobs $jobs"
        # shellcheck disable=SC2086
        timeout 10 scancel $jobs 2>/dev/null
        # Wait (at most 15 s) until none runs: slurmd ends their steps only while it is up.
        for ((i = 0; i < 75; i++)); do
            left=$(timeout 5 squeue -h -t running,completing,configuring -o %A 2>/dev/null)
            [ -z "$left" ] && break
            sleep 0.2
        done
    fi
fi

stop "$RUN/slurmd.pid" slurmd
stop "$RUN/slurmctld.pid" slurmctld
stop "$RUN/slurmdbd.pid" slurmdbd
stop "$RUN/mariadb.pid" mariadbd
stop "$RUN/munged.pid" munged
exit 0
