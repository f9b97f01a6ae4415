"""Stage 4, the reports: check (the verdict), stats and summary, the rich view, exports, plots, compare, import.
Reads run records; never trains. Imports record (and model/ for audits), never sweep/ or the CLI.
"""
