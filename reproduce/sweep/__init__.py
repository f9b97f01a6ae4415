"""Stage 4, sweeps: many seeds of one config into one folder (local.py), with progress, clean stops, verify.
Imports training, record and data; never report/ or the CLI.
"""
