"""Schema revisions: those this version's migrations know, a backup's checked against them, and a
staged database checked and migrated before it replaces anything."""

from __future__ import annotations

from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Engine, event, inspect, text

from catalog import db
from catalog.errors import BackupError, Invalid


def database_revision(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar() or "")


def revision_order() -> list[str]:
    """The schema revisions this version's migrations know, the newest first."""
    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS_DIR))
    return [script.revision for script in ScriptDirectory.from_config(config).walk_revisions()]


def known_revisions() -> set[str]:
    """The schema revisions this version's migrations know."""
    return set(revision_order())


def check_revision(revision: object, where: str) -> None:
    if not isinstance(revision, str) or not revision:
        raise Invalid(f"the backup's {where} names no schema revision")
    if revision not in known_revisions():
        raise Invalid(
            f"the backup's {where} is at schema revision {revision}, which this version does not know:"
            " it was made by a newer version of the catalog; restore it with that version"
        )


def check_catalog_revision(revision: str | None) -> str:
    """Refuse the backup's database when it is not a catalog (``revision`` None: no ``alembic_version``)
    or of a schema this version does not know; the revision."""
    if revision is None:
        raise Invalid("the backup's database is not a catalog's (it has no alembic_version table)")
    check_revision(revision, "database")
    return revision


def _check_catalog(engine: Engine) -> None:
    """Refuse a database that is not a catalog of a schema this version knows."""
    check_catalog_revision(
        database_revision(engine) if inspect(engine).has_table("alembic_version") else None
    )


def _engine_as(url: str | URL, role: str | None = None) -> Engine:
    """An engine on ``url`` whose sessions act as ``role`` (``SET ROLE``), so that what they create is
    that role's."""
    engine = db.make_engine(url if isinstance(url, str) else url.render_as_string(hide_password=False))
    if role:
        from psycopg import sql  # a role is set on PostgreSQL only, where psycopg is installed

        def set_role(connection: Any, _record: Any) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
            connection.commit()

        event.listen(engine, "connect", set_role)
    return engine


def migrate_staged(url: str | URL, role: str | None = None) -> None:
    """Check the staged database and migrate it to this version (as ``role``), before it replaces
    anything."""
    engine = _engine_as(url, role)
    try:
        _check_catalog(engine)
        try:
            db.migrate(engine)
        except Exception as exc:  # the live catalog is untouched: say why, without a traceback
            raise BackupError(f"the backup's database cannot be migrated to this version: {exc}") from exc
    finally:
        engine.dispose()
