"""Run the kvideo demo: ``python demo/app.py [--model M.keras] [--faces-db DB] [--host 127.0.0.1] [--port 7860]``.

The app itself lives in the package (``kvideo.demo.app``) so ``kvideo demo`` works from an installed kvideo; this
script is the same command for a source checkout.
"""

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # a source checkout without `pip install -e .`
    from kvideo.cli.main import main

    sys.exit(main(["demo", *sys.argv[1:]]))
