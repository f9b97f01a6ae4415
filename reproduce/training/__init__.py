"""Stage 2, training: the recipe and config, determinism, how a run is executed, augmentation, the trainer.
Imports the data stage and model/, nothing above.
"""
