"""Stand-in for superdesk-core 3.0 (see ../../README.md): only ``superdesk.http_proxy``."""

__version__ = "3.0.0"
