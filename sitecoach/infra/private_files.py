"""Owner-only files: the database, media, keys and audit checkpoints are for the service's user alone.

Every process narrows its umask at start (new files 0600, folders 0700), and the instance folder, the media
folder and a SQLite database (with its -wal and -shm files, which SQLite creates with the database's mode)
are made owner-only explicitly, which also tightens an install made by an older version.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sitecoach.settings import Settings

PRIVATE_UMASK = 0o077  # group and others get nothing on files and folders created from now on
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
log = logging.getLogger(__name__)


def restrict_new_files() -> None:
    """Make every file and folder this process creates from now on owner-only."""
    os.umask(PRIVATE_UMASK)


def _restrict(path: Path, mode: int) -> None:
    """chmod, or a warning when this user does not own the path (a volume the platform mounted): the service
    still starts, and the operator is told what stays readable."""
    try:
        os.chmod(path, mode)
    except PermissionError:
        log.warning("cannot make %s owner-only (%o): this user does not own it", path, mode)


def private_dir(path: Path) -> Path:
    """Create the folder if needed and make it owner-only."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    _restrict(path, PRIVATE_DIR_MODE)
    return path


def sqlite_path(database_uri: str) -> Path | None:
    """The file of a SQLite database URL (None for PostgreSQL or an in-memory database)."""
    prefix = "sqlite:///"
    name = database_uri[len(prefix) :].split("?", 1)[0] if database_uri.startswith(prefix) else ""
    return Path(name) if name and name != ":memory:" else None


def secure_instance(settings: Settings) -> None:
    """Owner-only umask, instance and media folders, and SQLite files (created empty and private if new)."""
    restrict_new_files()
    private_dir(settings.instance_path)
    private_dir(settings.media_path)
    database = sqlite_path(settings.database_uri)
    if database is None or not database.parent.is_dir():
        return  # PostgreSQL, or a folder that is not there: SQLite says so when it connects
    if not database.exists():
        try:  # an empty file is an empty database; SQLite then keeps this mode for its -wal and -shm
            os.close(os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE_MODE))
        except FileExistsError:
            pass  # another process made it first
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        if path.exists():
            _restrict(path, PRIVATE_FILE_MODE)
