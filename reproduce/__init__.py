"""Verified MNIST, seeded deterministic training, JSON run reports and the checker that reads them."""
from reproduce.training.determinism import prepare_process

prepare_process()
