"""Stage 0, files: writing them so that a reader sees the old content or the new, never half (atomic.py), and
showing their paths where room is short, keeping the end that names them (shown.py). Used by every stage;
imports nothing of the suite.
"""
