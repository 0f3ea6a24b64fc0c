"""The migrations on every backend: from an empty database to the models, exactly, and the column
types that differ between SQLite and PostgreSQL (timestamps with their zone, 64-bit counts)."""

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import Session, SQLModel, select

from catalog import db
from catalog.audit.models import AuditEvent
from catalog.datasets.models import Dataset

pytestmark = pytest.mark.both_backends  # the database decides: see the README's "Tests"


def test_the_migrated_schema_is_the_models_schema(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": connection.dialect.name == "sqlite"}
        )
        assert compare_metadata(context, SQLModel.metadata) == []


def test_the_migrations_go_down_to_nothing_and_up_again(engine: Engine) -> None:
    from alembic import command

    config = db._alembic_config(engine)
    command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    db.migrate(engine)
    assert {"data_product", "access_request", "change_log", "view_count"} <= set(
        inspect(engine).get_table_names()
    )


def test_timestamps_keep_their_moment_and_come_back_in_utc(session: Session) -> None:
    moment = dt.datetime(2026, 11, 24, 9, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    session.add(AuditEvent(at=moment, action="test.moment", target_type="test", target_id="1"))
    session.commit()
    session.expire_all()
    stored = session.exec(select(AuditEvent.at).where(AuditEvent.action == "test.moment")).one()
    assert stored == moment and stored.utcoffset() == dt.timedelta(0)
    earlier = session.exec(
        select(AuditEvent.id).where(AuditEvent.at < moment + dt.timedelta(seconds=1))
    ).all()
    assert len(earlier) == 1  # compared as moments, not as texts of two zones


def test_a_dataset_counts_records_past_32_bits(seeded_engine: Engine) -> None:
    with db.session_scope(seeded_engine) as session:
        dataset = session.exec(select(Dataset).order_by(Dataset.id)).first()  # type: ignore[arg-type]
        assert dataset is not None
        dataset.record_count, code = 2**63 - 1, dataset.code
    with Session(seeded_engine) as session:
        assert session.exec(select(Dataset.record_count).where(Dataset.code == code)).one() == 2**63 - 1
