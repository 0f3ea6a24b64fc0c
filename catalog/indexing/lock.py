"""The writer lock: one process per node writes the index, the others read what it commits.

An exclusive ``flock`` on ``<data dir>/index.writer.lock``, beside the index folder rather than in it,
so that deleting the folder under a running server does not let a second writer in. The operating
system releases it when its holder dies, however it dies, so another process can take the role over.
The holder writes its process id into the file, for ``/healthz`` and for people.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path


class WriterLock:
    """A non-blocking exclusive lock on a file; taken and given back by this object only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @classmethod
    def for_index(cls, index_root: Path) -> WriterLock:
        """The lock of ``index_root``: ``<data dir>/index`` → ``<data dir>/index.writer.lock``."""
        return cls(index_root.with_name(index_root.name + ".writer.lock"))

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; whether this object holds it now."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return True

    def release(self) -> None:
        """Give the lock back (the file stays, for the next holder)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def holder(self) -> int | None:
        """The process id of the holder (None when nobody holds the lock)."""
        if self._fd is not None:
            return os.getpid()
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        try:
            try:  # a shared lock is refused only while somebody holds the exclusive one
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                text = os.pread(fd, 32, 0).decode(errors="replace").strip()
                return int(text) if text.isdigit() else None
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            with contextlib.suppress(OSError):
                os.close(fd)
