"""The stages of the recipe's augmentation beyond rotation, translation and scale (geometry.py, pixels.py) and
the [augment] table's checks (recipe.py); ../augment.py runs them."""
