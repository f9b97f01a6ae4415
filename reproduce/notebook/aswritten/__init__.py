"""A notebook checked as written: its own code, in full, in a Jupyter kernel, over seeds.

runner.py runs the cells (the dry run's scratch folder, magics and kernel spec: reproduce/notebook/trace/); its
first cell loads kernel.py, which keeps the dry run's stand-ins and CUDA-on-the-CPU but leaves the loaders
whole (or cut to --train-limit images), injects the seed (seeding.py) and, after each pass over a loader
during which an optimizer stepped, measures the test accuracy itself (measure.py)."""
