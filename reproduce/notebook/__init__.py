"""Notebooks read statically: the recipe drafted from their code (draft.py) and the claim read from their printed
outputs (claim.py). The network from their code cells is reproduce/model/nbnet.py."""
