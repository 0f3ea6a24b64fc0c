"""The uploads folder's swap, done inside the folder (which may be a mount point)."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from catalog.backup.common import free_path


class UploadsSwap:
    """The uploads folder's swap, done inside it: the folder itself is never renamed (it may be a mount
    point shared by the nodes). Its entries whose names start with "." are restore's own."""

    def __init__(self, folder: Path, stamp: str) -> None:
        self.folder, self.stamp = folder, stamp
        self.staged: Path | None = None
        self.created = False

    def stage(self, restored: Path) -> None:
        """Move the backup's uploads (``restored``, if there are any) into ``.restoring-<time>``."""
        self.created = not self.folder.exists()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.staged = free_path(self.folder / f".restoring-{self.stamp}")
        if restored.is_dir():
            shutil.move(restored, self.staged)  # a rename on one file system, else a copy
        else:
            self.staged.mkdir()

    def discard(self) -> None:
        """Remove what ``stage`` made (before the database swap: everything is as it was)."""
        if self.staged is not None:
            shutil.rmtree(self.staged, ignore_errors=True)
            self.staged = None
        if self.created:
            with contextlib.suppress(OSError):
                self.folder.rmdir()

    def swap(self) -> Path | None:
        """Move the live entries into ``.before-restore-<time>`` and the staged ones into their place;
        the folder the previous ones are kept in. On a failure, what was moved is moved back."""
        assert self.staged is not None
        live = sorted(entry for entry in self.folder.iterdir() if not entry.name.startswith("."))
        kept = free_path(self.folder / f".before-restore-{self.stamp}") if live else None
        out: list[str] = []
        into: list[str] = []
        try:
            if kept is not None:
                kept.mkdir()
                for entry in live:
                    entry.rename(kept / entry.name)
                    out.append(entry.name)
            for entry in sorted(self.staged.iterdir()):
                if not entry.name.startswith("."):
                    entry.rename(self.folder / entry.name)
                    into.append(entry.name)
        except OSError as exc:
            raise UploadsNotSwapped(exc, self._undo(self.staged, kept, out, into)) from exc
        shutil.rmtree(self.staged, ignore_errors=True)
        self.staged = None
        return kept

    def _undo(self, staged: Path, kept: Path | None, out: list[str], into: list[str]) -> bool:
        """Move back what ``swap`` moved; whether all of it went back."""
        moves = [(self.folder / name, staged / name) for name in reversed(into)]
        if kept is not None:  # without it, nothing was moved out
            moves += [(kept / name, self.folder / name) for name in reversed(out)]
        whole = True
        for source, target in moves:
            try:
                source.rename(target)
            except OSError:
                whole = False
        if kept is not None and whole:
            with contextlib.suppress(OSError):
                kept.rmdir()
        return whole

    def problem(self, failure: UploadsNotSwapped) -> str:
        """What was not done, and where the uploads are."""
        if failure.undone:
            return (
                f"the uploads were not replaced ({failure.cause}): the previous ones are still in"
                f" {self.folder}, the backup's are in {self.staged}; move them in by hand"
            )
        return (
            f"the uploads were only partly replaced ({failure.cause}): the backup's are in {self.folder}"
            f" and {self.staged}, the previous ones in {self.folder} and its .before-restore-{self.stamp}"
        )


class UploadsNotSwapped(Exception):
    def __init__(self, cause: OSError, undone: bool) -> None:
        super().__init__(str(cause))
        self.cause, self.undone = cause, undone
