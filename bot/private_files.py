"""Files that hold personal data or secrets are created private: 0600 files, 0700 directories.

The CRM and tracker SQLite files, the logs and the generated secrets under ``var/`` hold
phone numbers, conversations and keys. With the usual umask (022) they would be created
world-readable (0644), so any other account on the machine could read them. The helpers
here create them with owner-only modes from the start (no window between create and chmod)
and tighten the modes of ones an older version created.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import IO

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path | str, *, tighten: bool = False) -> Path:
    """Create ``path`` (and missing parents) as 0700.

    Directories that already exist are left alone (they may be a home directory or ``/tmp``),
    unless ``tighten``: for our own directories (``var/``, ``var/logs``) that an older
    version created 0755.
    """
    path = Path(path)
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=DIR_MODE)
            _chmod(directory, DIR_MODE)  # mkdir's mode is reduced by the umask
    if tighten:
        _chmod(path, DIR_MODE)
    return path


def private_file(path: Path | str) -> Path:
    """Create ``path`` empty as 0600 unless it exists; an existing file is tightened to 0600.

    Used before SQLite opens a database file: SQLite creates its ``-wal``/``-shm``/journal
    files with the mode of the database file, so they are private too.
    """
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    os.close(fd)
    _chmod(path, FILE_MODE)
    return path


def open_private(path: Path | str, mode: str = "ab") -> IO[bytes]:
    """``open(path, mode)`` for appending, the file created or tightened to 0600."""
    private_file(path)
    return open(path, mode)


def _chmod(path: Path, mode: int) -> None:
    # Only our own files: chmod on someone else's file fails, and is not our business.
    with contextlib.suppress(OSError):
        if path.stat().st_uid == os.getuid():
            path.chmod(mode)
