import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from catalog import db
from catalog.accounts.models import Membership

pytestmark = pytest.mark.both_backends  # the database decides: see the README's "Tests"


def test_migrations_create_every_table(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {
        "organization",
        "user",
        "membership",
        "sector",
        "dataset",
        "data_product",
        "product_source",
        "licence",
        "access_request",
        "request_event",
        "request_message",
        "audit_event",
        "change_log",
    } <= tables
    assert db.is_initialized(engine)


def test_migrating_twice_changes_nothing(engine: Engine) -> None:
    before = set(inspect(engine).get_table_names())
    db.migrate(engine)
    assert set(inspect(engine).get_table_names()) == before


@pytest.mark.sqlite_only
def test_sqlite_runs_in_wal_mode_with_foreign_keys(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_foreign_keys_are_enforced(session: Session) -> None:
    session.add(Membership(user_id=999, organization_id=999, role="owner"))
    with pytest.raises(IntegrityError):
        session.flush()
