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
apt-get update -q
# The packages' maintainer scripts try to start their services; without systemd or a runlevel
# invoke-rc.d refuses, which is harmless: up.sh starts every daemon itself.
apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
