"""Writing files and folders so that a crash never leaves a half-written one: the one place.

Every file govsim writes goes to a temporary file in the target's folder first and is
renamed into place in one step (``os.replace`` is atomic within a file system), so a
reader sees the complete old file or the complete new one. Temporary files are created
with the permissions an ordinary new file gets (0666 less the umask), so what is moved
into place is not private to the user who ran it.

A results folder is written the same way (:func:`output_folder`): everything goes into a
temporary folder beside it, moved into place in one step once complete.

Every output path a user names is resolved first (:func:`resolve_out`: symlinks followed,
``..`` applied), and both the checks (:func:`check_output_folder`,
:func:`check_output_file`) and the writing use that one path: govsim never overwrites or
deletes a file it did not write.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import secrets
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
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
        # a run (govsim/results/run_tables.py)
        "cases.parquet",
        "problems.parquet",
        "timeseries.parquet",
        "kpis.parquet",
        "equity.parquet",
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
        # figures, report and case log (govsim plot, govsim report, govsim export-log)
        "figures",
        "report.html",
        "caselog.parquet",
        "caselog.csv",
    }
)
"""What govsim writes into a results folder: a folder holding only these may be replaced."""

FIGURE_SUFFIXES = frozenset({".png", ".svg", ".pdf", ".jpg", ".jpeg", ".eps"})
"""The formats a figure of govsim's may have been written in."""

FIGURE_NAMES = re.compile(
    r"(backlog|flows|rates|reported_vs_true|measured_vs_true|time_to_close|bunching|tiers|league"
    r"|equity|equity_map|paired|sensitivity|workload"
    r"|pareto|parallel|discovery|network|network_.+|sweep_.+)"
)
"""The names of govsim's figures in a results folder's ``figures/`` (without the format):
what ``govsim plot``, ``report`` and ``discover`` draw (:mod:`govsim.plots.figures`)."""


def is_figure(name: str) -> bool:
    """Is the file ``name`` in ``figures/`` one of govsim's figures (a name it draws, in an
    image format)? Anything else there is the user's."""
    stem, suffix = os.path.splitext(name)
    return suffix.lower() in FIGURE_SUFFIXES and FIGURE_NAMES.fullmatch(stem) is not None


RESULT_MARKERS = ("summary.json", "experiment.yaml", "study.yaml")
"""A folder holding one of these is a run's, an experiment's or a study's results folder."""


def resolve_out(path: str | Path) -> Path:
    """The real place an output path names: absolute, symlinks followed, ``..`` applied.

    Resolved once, before any check, and used for the checks and the writing alike. Taken
    as written, ``missing/../precious`` does not exist while ``missing`` is absent, so it
    looked like a new folder, and the write then replaced the real ``precious``; a symlink
    to a folder was swapped for a folder. Nothing is created here.
    """
    return Path(os.path.realpath(path))


def shown(given: str | Path, resolved: Path) -> str:
    """``given`` for a message, with the place it resolves to when a symlink moved it."""
    if os.path.abspath(given) == str(resolved):
        return str(given)
    return f"{given} (= {resolved})"


def is_results_folder(folder: Path) -> bool:
    """Does ``folder`` hold a run's, an experiment's or a study's results?"""
    return any((folder / marker).is_file() for marker in RESULT_MARKERS)


def check_output_file(
    target: Path,
    *,
    replace: bool,
    inputs: Iterable[str | Path] = (),
    own: Iterable[str] = (),
    mark: str | None = None,
    hint: str = "add --force to replace it, or choose another path",
) -> bool:
    """May the single file ``target`` (resolved: :func:`resolve_out`) be written? Return
    whether it replaces an existing file.

    Refused whatever ``replace`` says: a folder; one of the command's ``inputs``; a file in
    a results folder (:data:`RESULT_MARKERS`) or below one, unless its name is one of the
    command's ``own`` there (``report.html``, ``caselog.parquet``): the folder's tables are
    the record of what ran. An existing file is replaced only if govsim wrote it: one of
    ``own`` in a results folder, a file whose opening holds ``mark`` (generated pages say
    who wrote them), or with ``replace`` (``--force``); else the message ends with
    ``hint``. A missing folder above it is not checked here.
    """
    if target.is_dir():
        raise FolderInUse("the output path is a folder; name a file")
    for given in inputs:
        if resolve_out(given) == target:
            raise FolderInUse(f"the output would overwrite this command's input {given}")
    own = set(own)
    in_results = is_results_folder(target.parent)
    inside = in_results or any(is_results_folder(folder) for folder in target.parent.parents)
    if inside and not (in_results and target.name in own):
        allowed = f" (only {' or '.join(sorted(own))} may be written there)" if own else ""
        raise FolderInUse(
            "the folder holds govsim results, whose files are the record of what ran: write "
            f"this file elsewhere{allowed}"
        )
    if not os.path.lexists(target):
        return False
    if not target.is_file():
        raise FolderInUse("the output path exists and is not a file")
    if replace or in_results or (mark is not None and _opens_with(target, mark)):
        return True
    raise FolderInUse(f"the file exists and govsim did not write it here; {hint}")


def _opens_with(path: Path, mark: str, size: int = 1024) -> bool:
    """Does ``mark`` stand in the first ``size`` bytes of ``path``?"""
    try:
        with open(path, "rb") as file:
            head = file.read(size)
    except OSError:
        return False
    return mark.encode() in head


class FolderInUse(Exception):
    """The output folder or file cannot be used: ``reason`` says why (the CLI names the path)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_output_folder(target: Path, *, replace: bool) -> bool:
    """May ``target`` receive new results? Return whether it holds results to replace.

    An absent or empty folder is free. One holding govsim results is replaced only with
    ``replace`` (``--force``). One holding anything else is never replaced: govsim does
    not delete files it did not write. ``target`` is resolved (:func:`resolve_out`) first.
    """
    target = resolve_out(target)
    if not target.exists():
        return False
    if not target.is_dir():
        raise FolderInUse("the output path exists and is not a folder")
    entries = {p.name for p in target.iterdir() if not _is_temporary(p.name)}
    if not entries:
        return False
    if "study.yaml" in entries:
        raise FolderInUse(
            "the folder holds a policy search (study.yaml), continued only by `govsim optimize "
            "--resume`; choose another --out"
        )
    foreign = sorted(entries - RESULT_NAMES) + _foreign_figures(target / "figures")
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


def check_subfolder(parent: Path, name: str) -> Path:
    """The folder ``parent/name`` that a command fills with its own files (``figures/``),
    checked: where it exists, a folder and no link to a folder elsewhere. Returned resolved.

    A link would have govsim write, or replace, files in a folder of the user's that it only
    links to; a file of that name is not govsim's to replace.
    """
    folder = parent / name
    target = resolve_out(folder)
    if target != resolve_out(parent) / name:
        raise FolderInUse(
            "a link to a folder elsewhere: govsim writes only into the folder itself, not a "
            "folder it links to; remove the link"
        )
    if os.path.lexists(target) and not target.is_dir():
        raise FolderInUse("exists and is not a folder; move it away")
    return target


def _foreign_figures(figures: Path) -> list[str]:
    """What in a results folder's ``figures/`` govsim did not write (replacing the folder
    would delete it): files not named as its figures (:func:`is_figure`), folders, a link."""
    if not os.path.lexists(figures):
        return []
    if figures.is_symlink() or not figures.is_dir():
        return ["figures (not a folder of govsim's)"]
    return sorted(
        f"figures/{p.name}"
        for p in figures.iterdir()
        if not (is_figure(p.name) and p.is_file() and not p.is_symlink())
        and not _is_temporary(p.name)
    )


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
    removed again on failure. ``target`` is resolved (:func:`resolve_out`) first: a symlink
    is followed, never replaced by a folder.
    """
    target = resolve_out(target)
    with parents_made(target.parent):
        tmp = _temporary_folder(target)
        try:
            yield tmp
            _move_into_place(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


@contextmanager
def parents_made(folder: Path) -> Iterator[list[Path]]:
    """Create ``folder`` and its missing ancestors; on any failure meanwhile, remove them again.

    Yields the folders created, deepest first. ``folder`` should be resolved
    (:func:`resolve_out`), so that no folder is made that a ``..`` then leaves unused.
    """
    made = _make_parents(folder)
    try:
        yield made
    except BaseException:
        for created in made:
            with suppress(OSError):
                created.rmdir()
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
        link_entry(entry, destination / entry.name)


def link_entry(source: Path, destination: Path) -> None:
    """Hard-link a file, or a folder's files (:func:`link_tree`); a symlink stays a symlink."""
    if source.is_dir() and not source.is_symlink():
        link_tree(source, destination)
    else:
        link_file(source, destination)


def link_file(source: Path, destination: Path) -> None:
    """Hard-link ``source`` as ``destination`` (a copy where a link is not possible); a
    symlink is linked (or copied) as the link itself, not what it points to."""
    try:
        os.link(source, destination, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, destination, follow_symlinks=False)
