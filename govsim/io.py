"""Writing files and folders so that a crash never leaves a half-written one: the one place.

Every file govsim writes goes to a temporary file in the target's folder first and is
renamed into place in one step (``os.replace`` is atomic within a file system), so a
reader sees the complete old file or the complete new one. Temporary files are created
with the permissions an ordinary new file gets (0666 less the umask), so what is moved
into place is not private to the user who ran it.

A results folder is written the same way (:func:`output_folder`): everything goes into a
temporary folder beside it, moved into place in one step once complete.
"""

from __future__ import annotations

import ctypes
import errno
import os
import secrets
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
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


RESULT_NAMES = frozenset(
    {
        # a run (govsim/run_result.py)
        "cases.parquet",
        "problems.parquet",
        "timeseries.parquet",
        "kpis.parquet",
        "rankings.parquet",
        "summary.json",
        "scenario.yaml",
        # an experiment (govsim/experiments/experiment.py)
        "experiment.yaml",
        "results.parquet",
        "variants.parquet",
        "samples.parquet",
        "summary.parquet",
        "paired.parquet",
        "sweep.parquet",
        "sensitivity.parquet",
        "runs",
        "replay",
        "discovery.parquet",  # govsim discover
        "discovery_box.parquet",
        # figures and report (govsim plot, govsim report)
        "figures",
        "report.html",
    }
)
"""What govsim writes into a results folder: a folder holding only these may be replaced."""


class FolderInUse(Exception):
    """The output folder cannot be used: ``reason`` says why (the CLI names the folder)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_output_folder(target: Path, *, replace: bool) -> bool:
    """May ``target`` receive new results? Return whether it holds results to replace.

    An absent or empty folder is free. One holding govsim results is replaced only with
    ``replace`` (``--force``). One holding anything else is never replaced: govsim does
    not delete files it did not write.
    """
    if not target.exists():
        return False
    if not target.is_dir():
        raise FolderInUse("the output path exists and is not a folder")
    entries = {p.name for p in target.iterdir() if not _is_temporary(p.name)}
    if not entries:
        return False
    foreign = sorted(entries - RESULT_NAMES)
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise FolderInUse(
            f"the folder holds files govsim did not write ({shown}); choose another --out"
        )
    if not replace:
        shown = ", ".join(sorted(entries)[:4]) + (", ..." if len(entries) > 4 else "")
        raise FolderInUse(
            f"the folder already holds results ({shown}); add --force to replace them "
            "(the old ones stay until the new ones are complete), or choose another --out"
        )
    return True


def _is_temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


@contextmanager
def output_folder(target: str | Path) -> Iterator[Path]:
    """A temporary folder beside ``target`` to write into; moved into place in one step.

    On success the temporary folder becomes ``target``: renamed if ``target`` is absent,
    else exchanged with it atomically (Linux ``renameat2``; elsewhere two renames), and
    the old contents deleted. On any failure, or Ctrl-C, the temporary folder is removed
    and ``target`` is as it was: a folder holds the complete old results or the complete
    new ones, never a mixture and never a part. Folders created above ``target`` are
    removed again on failure.
    """
    target = Path(target)
    made = _make_parents(target.parent)
    tmp = _temporary_folder(target)
    try:
        yield tmp
        _move_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for folder in made:
            with suppress(OSError):
                folder.rmdir()
        raise


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and missing ancestors; return those created, deepest first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
    return missing


def _temporary_folder(target: Path) -> Path:
    while True:
        tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            tmp.mkdir(0o777)  # the umask applies, as for any new folder (mkdtemp would be 0700)
        except FileExistsError:
            continue
        return tmp


def _move_into_place(tmp: Path, target: Path) -> None:
    if not target.exists():
        os.rename(tmp, target)
        return
    if _exchange(tmp, target):
        shutil.rmtree(tmp, ignore_errors=True)  # now the old contents
        return
    old = _temporary_folder(target)
    old.rmdir()
    os.rename(target, old)
    try:
        os.rename(tmp, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EPERM):
        return False
    raise OSError(error, os.strerror(error), str(b))


def discard(target: Path) -> None:
    """Remove the folder ``target`` in one step (renamed aside, then deleted)."""
    aside = _temporary_folder(target)
    aside.rmdir()
    os.rename(target, aside)
    shutil.rmtree(aside, ignore_errors=True)


def link_tree(source: Path, destination: Path) -> None:
    """Hard-link every file of ``source`` into ``destination`` (copy where links fail)."""
    destination.mkdir(exist_ok=True)
    for entry in source.iterdir():
        if _is_temporary(entry.name):
            continue
        if entry.is_dir():
            link_tree(entry, destination / entry.name)
            continue
        link_file(entry, destination / entry.name)


def link_file(source: Path, destination: Path) -> None:
    """Hard-link ``source`` as ``destination`` (a copy where a link is not possible)."""
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)
