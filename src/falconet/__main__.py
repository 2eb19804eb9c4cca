import sys

from falconet.cli.main import main

sys.exit(main())
