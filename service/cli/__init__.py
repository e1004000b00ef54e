"""The ``newsbridge`` command line: ``serve``, ``translate``, ``summarize``, ``detect``, ``batch``,
``models``, ``db``, ``cache``, ``bench``."""

import gc

# The imports below create about 120,000 objects that live as long as the process; the cyclic
# collector's passes over them while they are being created find nothing and cost 0.15-0.25 s
# of every command's start on 2 cores. Collected again from here on (``serve`` keeps it off
# until its app has started: service/http/app.py).
gc.disable()
try:
    from service.cli.main import app, main
finally:
    gc.enable()

__all__ = ["app", "main"]
