"""``restore``: the writer lock, the steps up to the swap (a failure leaves the live catalog as it
was), and what follows it (the uploads' swap, the index rebuilt)."""

from __future__ import annotations

import contextlib
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from catalog import db
from catalog.backup.archive import UPLOADS, read_manifest, unpack
from catalog.backup.common import sqlite_path, time_stamp
from catalog.backup.sqlite import replace_sqlite, stage_sqlite
from catalog.backup.uploads import UploadsNotSwapped, UploadsSwap
from catalog.errors import BackupError, CatalogError, Invalid
from catalog.settings import Settings

if TYPE_CHECKING:
    from catalog.backup.postgres import PostgresRestore


@dataclass
class Restored:
    """What ``restore`` did: the archive's manifest, where the previous catalog was kept, notes on how
    it was restored, and what was not done after the database was swapped in (empty when all was)."""

    manifest: dict[str, Any]
    kept: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)
    indexed: bool = False


def restore(settings: Settings, source: Path) -> Restored:
    """Replace the database and uploads with those of the archive ``source``, migrated to this version,
    and rebuild the index. Refused while a server of this node runs (it holds the index writer lock,
    which this takes and holds to the end). Nothing is replaced before the backup's database is checked
    and migrated and its uploads are staged; the previous database and uploads are kept (see the
    package's doc)."""
    from catalog.indexing.lock import WriterLock

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = WriterLock.for_index(settings.index_dir)
    if not lock.acquire():
        holder = lock.holder()
        running = f" (process {holder})" if holder else ""
        raise BackupError(f"a server is running on this data dir{running}: stop it, then restore again")
    try:
        return _restore(settings, source)
    finally:
        lock.release()


def _after_swap(restored: Restored, postgres: PostgresRestore | None, uploads: UploadsSwap) -> Restored:
    """Finish an in-place PostgreSQL restore and swap the uploads; what fails is noted in ``restored``."""
    if postgres is not None:
        restored.notes.extend(postgres.notes)
    try:
        if postgres is not None:
            postgres.finish()
    except Exception as exc:
        why = exc.message if isinstance(exc, CatalogError) else str(exc)
        restored.unfinished.append(f"the restored database was not migrated ({why}): run catalog init")
    try:
        kept_uploads = uploads.swap()
    except UploadsNotSwapped as failure:
        restored.unfinished.append(uploads.problem(failure))
    except OSError as exc:  # the live folder cannot be listed
        restored.unfinished.append(
            f"the uploads were not replaced ({exc}): the backup's are in {uploads.staged}"
        )
    else:
        if kept_uploads is not None:
            restored.kept.append(str(kept_uploads))
    return restored


REBUILD_REASON = "restored: the database was replaced"


def rebuild_marker(settings: Settings) -> Path:
    """The node's index rebuilding marker (``Indexer.marker``): a writer that finds it rebuilds the
    index, and a rebuild that succeeds removes it."""
    return settings.index_dir.with_name(settings.index_dir.name + ".rebuilding")


@contextlib.contextmanager
def _index_invalidated(settings: Settings) -> Iterator[None]:
    """Mark the index for a rebuild before the database is swapped in, so that a restore that dies after
    the swap leaves no index that looks right; the mark is taken back when the swap fails (and so was
    undone: each one is a single transaction), and left otherwise, for the rebuild that follows."""
    marker = rebuild_marker(settings)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(REBUILD_REASON, encoding="utf-8")
    try:
        yield
    except Exception:
        marker.unlink(missing_ok=True)
        raise


def _remove_leftovers(settings: Settings) -> list[str]:
    """Remove what earlier restores that were interrupted left and a restore makes again: their work
    folders (``<data dir>/.restore-*``) and staged uploads (``<uploads>/.restoring-*``); never what
    restores keep (``.before-restore-*``). What was removed."""
    removed = []
    leftovers = [*settings.data_dir.glob(".restore-*"), *settings.uploads_dir.glob(".restoring-*")]
    for path in sorted(leftovers):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            if not path.exists():
                removed.append(str(path))
    return removed


def _restore(settings: Settings, source: Path) -> Restored:
    from catalog.indexing.indexer import Indexer  # the index is rebuilt last

    try:
        archive = tarfile.open(source, "r")  # noqa: SIM115  (closed by the with below)
    except (OSError, tarfile.TarError) as exc:
        raise Invalid(f"{source} cannot be read as a backup: {exc}") from None
    removed = _remove_leftovers(settings)  # before this restore's own are made
    stamp = time_stamp()
    uploads = UploadsSwap(settings.uploads_dir, stamp)
    with (
        archive,
        tempfile.TemporaryDirectory(
            dir=settings.data_dir, prefix=".restore-", ignore_cleanup_errors=True
        ) as folder,
    ):
        work = Path(folder)
        postgres: PostgresRestore | None = None
        try:  # up to the swap: a failure leaves everything as it was
            manifest = read_manifest(archive, "sqlite" if settings.is_sqlite else "postgresql")
            database = unpack(archive, manifest, work)
            if settings.is_sqlite:
                stage_sqlite(database, sqlite_path(settings))
                uploads.stage(work / UPLOADS)
                with _index_invalidated(settings):
                    kept_database: Path | str | None = replace_sqlite(database, sqlite_path(settings), stamp)
            else:
                from catalog.backup.postgres import PostgresRestore  # psycopg: only for PostgreSQL

                postgres = PostgresRestore(settings, database, stamp)
                removed += postgres.drop_leftovers()
                postgres.stage()
                uploads.stage(work / UPLOADS)
                with _index_invalidated(settings):
                    kept_database = postgres.swap()
        except BaseException as exc:
            uploads.discard()
            if isinstance(exc, OSError):  # a full disk, a folder in the way, a permission
                raise BackupError(f"restore failed: {exc}; nothing was replaced") from exc
            raise
        finally:
            if postgres is not None:
                postgres.close()
        # the database is the backup's now: what fails from here on is said, and the rest still done
        restored = Restored(manifest, [str(kept_database)] if kept_database else [])
        restored.notes.extend(f"removed what an interrupted restore left: {path}" for path in removed)
        restored = _after_swap(restored, postgres, uploads)
    engine = db.make_engine(settings.database_url)
    try:
        Indexer(engine, settings.index_dir).rebuild()
        restored.indexed = True
    except Exception as exc:
        restored.unfinished.append(f"the index was not rebuilt ({exc}): run catalog reindex")
    finally:
        engine.dispose()
    return restored
