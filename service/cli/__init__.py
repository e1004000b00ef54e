"""The ``newsbridge`` command line: ``serve``, ``translate``, ``summarize``, ``detect``, ``batch``,
``models``, ``db``, ``cache``, ``bench``."""

import gc

# The imports below create about 120,000 objects that live as long as the process; the cyclic
# collector's passes over them while they are being created find nothing and cost 0.15-0.25 s
# of every command's start on 2 cores. Then they are frozen (kept out of every later pass: the
# first pass after the imports would walk them all, 0.05 s) and the collector runs again for
# what the command creates (``serve`` keeps it off until its app has started: service/http/app.py).
gc.disable()
try:
    from service.cli.main import app, main
finally:
    gc.freeze()
    gc.enable()

__all__ = ["app", "main"]
