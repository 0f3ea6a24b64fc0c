"""Backups: ``catalog backup FILE`` and ``catalog restore FILE``.

A backup is one tar archive holding ``manifest.json``, the database and the uploaded files (samples,
request attachments; not the entries of the uploads folder whose names start with ``.``, which are
restore's own). The database part is a consistent online copy: SQLite's backup API copies the file
page by page from one read transaction while the service goes on writing; PostgreSQL's part is
``pg_dump --format=custom`` (one snapshot). The search index is not in the archive: it is built again
from the database on restore, so it always matches what was restored.

Restoring is an offline operation: it refuses to start while a server of this node runs (one holds
the index writer lock, ``indexing/lock.py``; restore takes it and holds it to the end). The live
catalog is not touched until the backup's database is complete, checked and migrated beside it:

1. the archive is read and its manifest checked: the backend, the database member, and a schema
   revision that this version's migrations know (a backup of a newer version is refused);
2. the database and the uploads are unpacked into a work folder inside the data dir;
3. the database is staged and migrated to this version: on SQLite the unpacked copy (integrity check,
   ``alembic_version``); on PostgreSQL a new empty database ``<db>_restore_<random>`` owned by the live
   database's owner, with its settings and grants (``CREATE DATABASE … OWNER … TEMPLATE template0``),
   filled by ``pg_restore --single-transaction --exit-on-error`` as that owner (``--role``), and
   checked to be readable and writable with the URL restore runs with (``CATALOG_DATABASE_URL``);
4. the backup's uploads are moved into ``<uploads>/.restoring-<time>`` (which also shows that the
   uploads folder is writable: the folder itself is never renamed, as it may be a mount point);
5. only then is the database swapped in, after the node's index is marked for a rebuild (the
   ``<index>.rebuilding`` file a server's index writer acts on; the rebuild of step 6 removes it).
   SQLite: the live database is first copied to ``<file>.before-restore-<time>``, then the staged
   copy is written into it with SQLite's backup API (one transaction, so the live file and its WAL are
   never left half-replaced). PostgreSQL: the sessions still connected to the live database are
   ended, and in one transaction the live database is renamed ``<db>_before_restore_<time>`` and the
   staged one takes its name;
6. the uploads folder's entries are moved into ``<uploads>/.before-restore-<time>`` and the staged
   ones into their place, and the index is rebuilt.

A PostgreSQL user that may not create databases (no ``CREATEDB``) restores in place instead: after the
checks of step 3 that can be made on the dump (a catalog's, of a known revision, not older than the
live database's: in place, the tables of later migrations would stay), ``pg_restore --clean
--if-exists --single-transaction`` replaces the live database's objects in one transaction, which
then is migrated; the previous database is not kept. Restoring needs a user that owns the database,
is a member of its owner role, or is a superuser.

A restore first removes what earlier interrupted restores left and it makes again (their work folders
``<data dir>/.restore-*``, staged uploads ``<uploads>/.restoring-*`` and staging databases
``<db>_restore_<random>``), and says so; what restores keep (``…before-restore-…``) is left to the
operator.

A failure before the swap leaves the live catalog as it was (a staged PostgreSQL database and the
staged uploads are removed). After it, the restore goes on: what was not done (uploads not swapped,
an index not rebuilt) is named in the result, beside what was kept; the operator drops what was kept
once the restored catalog is right.

The package's modules: ``archive`` writes the archive and reads it back (manifest, safe unpacking);
``schema`` knows the schema revisions and migrates a staged database; ``sqlite`` and ``postgres``
stage and swap in their database; ``uploads`` swaps the uploads folder's entries; ``restoring`` runs
the steps above in order; ``common`` holds what they share.
"""

from catalog.backup.archive import backup
from catalog.backup.restoring import Restored, restore
from catalog.backup.schema import known_revisions
from catalog.errors import BackupError

__all__ = ["BackupError", "Restored", "backup", "known_revisions", "restore"]
