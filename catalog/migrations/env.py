"""Alembic environment: migrations run on the engine the caller passes in ``config.attributes``."""

from alembic import context
from sqlmodel import SQLModel

import catalog.models  # noqa: F401  (registers every table on the metadata)

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
