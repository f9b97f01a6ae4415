"""Stage 3, the run record on disk: the report schema, its seal, atomic writes, checkpoints, resume decisions,
run locks. Imports training and data, nothing above.
"""
