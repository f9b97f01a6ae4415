"""The report commands' defaults and choices, as plain values: the command line builds its flags from these
without loading the checker, the view or torch (so `--help` and a bad flag answer at once)."""
from reproduce.record.identity import KIND_CHOICES  # noqa: F401  (the kinds of run, for the command line)

TARGET = 99.4
MAX_EPOCHS = 19  # "fewer than 20 epochs"
METRICS = ("final", "peak", "val-pick")
FORMATS = ("table", "markdown", "csv", "json")
ON_CHOICES = ("test", "validation")   # which split's accuracies `report --on` reads (report/splits.py)
