"""The report commands' defaults and choices, as plain values: the command line builds its flags from these
without loading the checker, the view or torch (so `--help` and a bad flag answer at once)."""

TARGET = 99.4
MAX_EPOCHS = 19  # "fewer than 20 epochs"
METRICS = ("final", "peak", "val-pick")
FORMATS = ("table", "markdown", "csv", "json")
KIND_CHOICES = ("as-written", "suite", "imported")   # the kinds of run (report/groups.py: kind)
ON_CHOICES = ("test", "validation")   # which split's accuracies `report --on` reads (report/splits.py)
