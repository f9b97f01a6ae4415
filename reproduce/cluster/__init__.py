"""Sweeps on a cluster: every seed a SLURM array task (through submitit), preemption-safe (reproduce/cluster/task.py),
watched until done (watch.py), orchestrated by sweep.py. options.py reads the command line; submitit is imported
by slurm.py (submitting, states) and task.py (its Checkpointable) only, never on the way of a local run."""
