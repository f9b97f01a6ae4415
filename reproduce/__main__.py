import os
import sys
from pathlib import Path

# `python -m` puts the working directory first on the import path. Run from a notebook's own folder, which often
# holds a model.py or utils.py of the author's, that folder would shadow the suite's own modules: it is dropped,
# unless it is where the suite itself lives. (The notebook's folder is on the path of its dry run, not here.)
if Path.cwd().resolve() != Path(__file__).resolve().parent.parent:
    sys.path[:] = [p for p in sys.path if p not in ("", os.getcwd())]

from reproduce.cli import main  # noqa: E402

sys.exit(main())
