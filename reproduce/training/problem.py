"""A Problem: something out of range in a config, below both the config and the recipe's torch objects (optim.py)
so that each can name one without importing the other."""
from typing import NamedTuple


class Problem(NamedTuple):
    """Something out of range in a config: the field it concerns and what is wrong, without the field's name
    ("must be at least 1, got 0"). The command line names the field as its flag, a recipe as its key
    (reproduce/cli.py, recipe.py), so each says it in the user's own terms."""
    field: str
    says: str
