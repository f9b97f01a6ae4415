#!/usr/bin/env bash
# Installs what tests/slurm/up.sh needs from Debian's packages: munge, the SLURM daemons and client,
# slurmdbd and MariaDB. Does nothing (and touches no network) when every binary is already there.
# Runs `apt-get update` once, only when it has something to install. Needs root.
set -euo pipefail

PACKAGES=(munge slurmctld slurmd slurm-client slurmdbd mariadb-server)
BINARIES=(munged munge unmunge slurmctld slurmd slurmdbd sbatch squeue sinfo sacct sacctmgr scontrol
          mariadbd mariadb mariadb-install-db)

missing=()
for b in "${BINARIES[@]}"; do
    command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || missing+=("$b")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
echo "tests/slurm/install.sh: missing ${missing[*]}; installing ${PACKAGES[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# The packages' maintainer scripts would start munged and a system MariaDB on port 3306, which up.sh
# then finds in its way: a policy-rc.d that answers 101 forbids that (Docker images ship one; this
# machine's does). One is put in place for the install only where none exists.
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\n# tests/slurm/install.sh: no service starts during the install\nexit 101\n' >"$POLICY"
    chmod 755 "$POLICY"
    trap 'rm -f "$POLICY"' EXIT
fi
apt-get update -q
apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
