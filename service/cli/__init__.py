"""The ``newsbridge`` command line: ``serve``, ``translate``, ``summarize``, ``detect``, ``batch``,
``models``, ``db``, ``cache``, ``bench``."""

from service.cli.main import app, main

__all__ = ["app", "main"]
