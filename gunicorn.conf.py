"""gunicorn's settings for Puas, read by `make run`, the docs' deployment and the tests.

`HOST`, `PORT` and `WORKERS` come from the environment (the Makefile passes its own).
"""

import os

wsgi_app = "app:create_app()"
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WORKERS", "2"))

# gunicorn 24 and later open a control socket under ~/.gunicorn by default. Puas does not use
# it, and a server should write nothing into the home directory of whoever runs it.
control_socket_disable = True
