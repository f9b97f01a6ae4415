"""A notebook's recipe read from a dry run of its own code (the trace).

runner.py runs the cells in a Jupyter kernel; its first cell loads kernel.py (CUDA on the CPU, stand-ins,
headless plots), loaders.py (the verified MNIST, loaders cut to a few batches; transforms_seen.py describes a
dataset's transform) and watch.py (what torch is handed; graph.py reads penalties from the autograd graph),
which keep state.py's record as JSON. record.py reads it into typed records, runs.py finds the training run
the notebook claims, to_recipe.py and transforms.py turn it into recipe entries, compose.py into the draft,
and network.py names the network as a --model spec."""
