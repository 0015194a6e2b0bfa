"""Writing files so that a crash never leaves a half-written one: the one place that does it.

Every file govsim writes goes to a temporary file in the target's folder first and is
renamed into place in one step (``os.replace`` is atomic within a file system), so a
reader sees the complete old file or the complete new one. Temporary files are created
with the permissions an ordinary new file gets (0666 less the umask), so what is moved
into place is not private to the user who ran it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def temporary_path(path: Path) -> Path:
    """Create an empty temporary file in ``path``'s folder and return its name."""
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp


@contextmanager
def temporary_beside(path: Path) -> Iterator[Path]:
    """A temporary file in ``path``'s folder, removed unless the caller moved it into place."""
    tmp = temporary_path(path)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: str | Path, write: Callable[[str], Any]) -> None:
    """Write ``path`` by ``write(temporary_name)`` and an atomic rename into place."""
    path = Path(path)
    with temporary_beside(path) as tmp:
        write(str(tmp))
        os.replace(tmp, path)
