"""Verified MNIST, seeded deterministic training, JSON run reports and the checker that reads them."""
import os

# Before CUDA starts (and before torch is imported): cuBLAS reads it once. The rest of the determinism settings
# are applied when reproduce.training.determinism is imported, which every module that trains or checks a model
# does; `python -m reproduce --help` and a bad flag never load torch at all.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
