"""A notebook's recipe read from a dry run of its own code (the trace): runner.py runs the cells in a Jupyter
kernel, whose first cell loads kernel.py (the stand-ins: CUDA on the CPU, the verified MNIST, loaders cut to a
few batches, headless plotting) and watch.py (what torch is handed, written as JSON); record.py reads that JSON
into typed records, runs.py finds the training run the notebook claims, to_recipe.py turns it into recipe
entries and transforms.py maps the real transform objects onto recipe keys."""
