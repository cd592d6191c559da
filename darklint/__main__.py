import os
import sys

# `python -m darklint` puts the working directory first on sys.path, so a
# linted project's own `argparse.py` or `json.py` would be imported, and run,
# instead of the standard library's. darklint never runs the code it lints:
# drop that entry before importing anything else (pip's __main__ does the same).
if sys.path and sys.path[0] in ("", os.getcwd()):
    sys.path.pop(0)

from darklint.cli import main

raise SystemExit(main())
