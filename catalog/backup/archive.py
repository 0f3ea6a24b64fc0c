"""The archive: writing it (``backup``), reading and checking its manifest, and unpacking it safely."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sqlite3
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from catalog.backup.common import libpq_url, run, sqlite_path
from catalog.backup.schema import check_revision, database_revision
from catalog.errors import Invalid
from catalog.settings import Settings

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
UPLOADS = "uploads"


def _not_restores_own(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    """Leave out the uploads folder's entries whose names start with "." (what restore staged or kept)."""
    parts = info.name.split("/")
    return None if len(parts) > 1 and parts[1].startswith(".") else info


def backup(settings: Settings, engine: Engine, target: Path) -> dict[str, Any]:
    """Write a backup archive to ``target`` (atomically: a half-written archive never has its name).
    Returns the manifest."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as work:
        if settings.is_sqlite:
            member, database = SQLITE_MEMBER, Path(work) / SQLITE_MEMBER
            source = sqlite3.connect(sqlite_path(settings))
            copy = sqlite3.connect(database)
            try:
                source.backup(copy)  # one consistent snapshot, while others write
            finally:
                copy.close()
                source.close()
        else:
            member, database = PG_MEMBER, Path(work) / PG_MEMBER
            run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    f"--file={database}",
                    f"--dbname={libpq_url(settings)}",
                ],
                "back up",
            )
        manifest = {
            "format": FORMAT,
            "backend": "sqlite" if settings.is_sqlite else "postgresql",
            "database": member,
            "revision": database_revision(engine),
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        partial = Path(work) / "backup.tar"
        with tarfile.open(partial, "w") as archive:
            data = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(dt.datetime.now().timestamp())
            archive.addfile(info, io.BytesIO(data))
            archive.add(database, member)
            if settings.uploads_dir.is_dir():
                archive.add(settings.uploads_dir, UPLOADS, filter=_not_restores_own)
        os.replace(partial, target)
    return manifest


def read_manifest(archive: tarfile.TarFile, backend: str) -> dict[str, Any]:
    """The archive's manifest, checked against this service's backend and migrations."""
    try:
        handle = archive.extractfile(MANIFEST)
        manifest = json.loads(handle.read()) if handle else None
    except (KeyError, ValueError):
        manifest = None
    except (tarfile.TarError, OSError) as exc:
        raise Invalid(f"the backup is damaged: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise Invalid("this file is not a backup made by catalog backup")
    if manifest.get("backend") not in ("sqlite", "postgresql"):
        raise Invalid("the backup's manifest names no database backend (sqlite or postgresql)")
    if manifest["backend"] != backend:
        raise Invalid(
            f"this backup is of a {manifest['backend']} database; the service is set to {backend}"
            " (CATALOG_DATABASE_URL)"
        )
    if manifest.get("database") != (SQLITE_MEMBER if backend == "sqlite" else PG_MEMBER):
        raise Invalid("the backup's manifest names no database of its backend")
    check_revision(manifest.get("revision"), "manifest")
    return manifest


def unpack(archive: tarfile.TarFile, manifest: dict[str, Any], work: Path) -> Path:
    """Extract the database and the uploads into ``work``; the database's path. An archive with a member
    that would land outside ``work`` (an absolute path, ``..``, a link out) is refused as a whole."""
    try:
        members = archive.getmembers()
        for member in members:
            tarfile.data_filter(member, str(work))  # raises for a member that is not safe to extract
        wanted = [m for m in members if m.name == manifest["database"] or m.name.split("/", 1)[0] == UPLOADS]
        if not any(member.name == manifest["database"] for member in wanted):
            raise Invalid("the backup holds no database")
        archive.extractall(work, wanted, filter="data")
    except tarfile.TarError as exc:
        raise Invalid(f"the backup is damaged or not one of catalog backup's: {exc}") from None
    database: Path = work / manifest["database"]
    if not database.is_file():
        raise Invalid("the backup's database is not a file")
    return database
