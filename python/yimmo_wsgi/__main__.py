"""`python -m yimmo_wsgi`: the same as the `yimmo-wsgi` command."""
import sys

from yimmo_wsgi.cli import main

sys.exit(main())
