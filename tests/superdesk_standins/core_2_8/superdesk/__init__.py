"""Stand-in for superdesk-core 2.8 (see ../../README.md): only ``superdesk.http_proxy``."""

__version__ = "2.8.5"
