#!/usr/bin/env bash
# tests/slurm/down.sh [STATE]: stops the cluster that tests/slurm/up.sh STATE started (default
# /tmp/suite-slurm): cancels any jobs still queued or running (so slurmd ends their steps), then stops
# slurmd, slurmctld, slurmdbd, mariadbd and munged, each by the pid it wrote under STATE/run, with a
# bounded wait (TERM, then KILL after 15 s). munged is stopped only if up.sh started it. STATE itself is
# kept (job ids, the accounting database, the logs): a later up.sh STATE carries on from it; delete the
# folder for a fresh cluster. Never fails: what is already down, or a STATE that never existed, is fine.
set -uo pipefail

STATE=${1:-/tmp/suite-slurm}
[ -d "$STATE" ] && STATE=$(cd "$STATE" && pwd)
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

# stop PIDFILE NAME [PIDFILE NAME]...: TERM to each that runs, waits up to 15 s for all to end, then
# KILL to what is left; removes the PIDFILEs.
stop() {
    local pids=() files=() pid i left=()
    while [ $# -ge 2 ]; do
        if alive "$1" "$2"; then
            pid=$(cat "$1")
            log "stopping $2 ($pid)"
            kill -TERM "$pid" 2>/dev/null
            pids+=("$pid")
        fi
        files+=("$1")
        shift 2
    done
    for ((i = 0; i < 75; i++)); do
        left=()
        for pid in ${pids[@]+"${pids[@]}"}; do
            [ -d "/proc/$pid" ] && left+=("$pid")
        done
        [ ${#left[@]} -eq 0 ] && break
        sleep 0.2
    done
    if [ ${#left[@]} -gt 0 ]; then
        log "still running after 15 s: ${left[*]}; KILL"
        kill -KILL "${left[@]}" 2>/dev/null
        sleep 0.5
    fi
    # Removed after the daemons ended (each removes its own; a stale one goes here).
    rm -f "${files[@]}"
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

# slurmctld sends its last job records to slurmdbd as it stops, so slurmdbd goes after it.
stop "$RUN/slurmd.pid" slurmd "$RUN/slurmctld.pid" slurmctld
stop "$RUN/slurmdbd.pid" slurmdbd
stop "$RUN/mariadb.pid" mariadbd "$RUN/munged.pid" munged
# The short link up.sh makes for a deep STATE.
if [ ${#STATE} -gt 40 ]; then
    rm -f "/tmp/suite-slurm.$(printf %s "$STATE" | md5sum | cut -c1-12)"
fi
exit 0
