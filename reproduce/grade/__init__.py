"""Grading a notebook: its network, recipe and claim checked against honest runs over seeds (`check`), and what
a run of a notebook keeps beside its reports."""
