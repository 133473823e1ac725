"""yimmo-wsgi installed with pip: the `yimmo-wsgi` command and `python -m
yimmo_wsgi` find Node.js and run the server shipped inside this package
(server/), with this interpreter as the default one for the app.

Kept to the oldest Python syntax on purpose: an interpreter older than 3.8
must get to the version check in cli.py and print one line."""
