"""From what a user asked for to a sweep that runs: a typed request (request.py: what the flags and the recipe
say) becomes a validated plan (build.py: the config, seeds, device, data and options, every refusal said before
anything is written), which execute.py runs, here or on the cluster. `run` and `check` both come through here;
the command line only turns its flags into a request."""
