"""Alembic environment: uses the connection handed over by ``service.storage.db.upgrade``."""

from __future__ import annotations

from alembic import context

from service.jobs import store as jobs_tables
from service.storage import glossary_store as glossary_tables
from service.storage import key_store as key_tables
from service.storage import memory_store as memory_tables
from service.storage.db import VERSION_TABLE, Base, make_engine

# Every module that declares tables, so that an autogenerate sees them all (not only db.py's).
TABLE_MODULES = (glossary_tables, jobs_tables, key_tables, memory_tables)

config = context.config
target_metadata = Base.metadata


def run_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and no sqlalchemy.url set")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


def _run(connection: object) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      version_table=VERSION_TABLE, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
