import sys

from archon_engine.cli import main

sys.exit(main())
