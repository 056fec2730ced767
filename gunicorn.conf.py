"""gunicorn's settings for Puas, read by `make run`, the docs' deployment and the tests.

`HOST`, `PORT`, `WORKERS` and `THREADS` come from the environment (the Makefile passes its own).
"""

import os

wsgi_app = "app:create_app()"
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WORKERS", "2"))
# Threaded workers: a process serves THREADS requests at once, and the writes they make at
# one moment share a COMMIT (surveys/store/group_commit.py), which is what a durable write
# waits for (docs/internals.md, "Group commit").
worker_class = "gthread"
threads = int(os.environ.get("THREADS", "4"))
# Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads new
# connections over them. On one shared socket the first worker to wake took most of them
# (12 of a benchmark's 16 keep-alive connections went to one worker of four), and that
# worker's single GIL served most of the load while the others idled: ingest ran at 1,079
# req/s against 1,385 with this (Puas alone under wrk, medians of three alternating runs).
# A worker that restarts drops the connections still queued on its socket.
reuse_port = True

# A request waits up to 5 s for its write turn, then up to 25 s to keep a closure in the
# inbox (surveys/helpdesk/inbox.py): the worker timeout stays above both, so a help desk
# always gets an answer, never a dropped connection.
timeout = 60
graceful_timeout = 30

# gunicorn 24 and later open a control socket under ~/.gunicorn by default. Puas does not use
# it, and a server should write nothing into the home directory of whoever runs it.
control_socket_disable = True
