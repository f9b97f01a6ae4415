"""Stage 0, files: writing them so that a reader sees the old content or the new, never half (atomic.py). Used by
every stage; imports nothing of the suite.
"""
