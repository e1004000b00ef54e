"""SQL storage: engines, schema and migrations (``db``), the translation cache store."""
