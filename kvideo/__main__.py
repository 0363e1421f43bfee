import sys

from kvideo.cli.main import main

sys.exit(main())
