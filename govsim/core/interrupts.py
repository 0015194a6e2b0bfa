"""Ctrl-C: one line on stderr, exit code 130, and the truth about what was kept.

The command line installs :func:`quiet_start` as its first act: while it loads the heavy
libraries (``govsim/__init__.py`` imports nothing heavy itself), a Ctrl-C prints one line
and exits at once, since nothing has been written yet; a ``KeyboardInterrupt`` raised
inside numpy's or pandas' imports would come out as an ImportError with a traceback.
Then Ctrl-C raises ``KeyboardInterrupt`` as usual, so that temporary folders are cleaned
up; a command that leaves something behind raises :class:`Interrupted` with a message
saying what (an experiment keeps its finished runs). Worker processes ignore Ctrl-C and
are stopped by the parent, which is the one to report. (A Ctrl-C in the interpreter's
own first tens of milliseconds, before any govsim code runs, is Python's to report.)
A process that inherits Ctrl-C ignored (a background job, ``nohup``) keeps ignoring it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

EXIT_INTERRUPTED = 130
NOTHING_WRITTEN = "interrupted; nothing was written"


class Interrupted(KeyboardInterrupt):
    """A Ctrl-C with what it left behind (``message``, printed by the command line)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def message_of(exc: KeyboardInterrupt) -> str:
    return exc.message if isinstance(exc, Interrupted) else NOTHING_WRITTEN


@contextmanager
def quiet_start() -> Iterator[None]:
    """Meanwhile, Ctrl-C ends the process at once with one line (nothing written yet); an
    inherited "ignore" is kept (a background job must not die of the terminal's Ctrl-C)."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    ):
        yield
        return
    previous = signal.signal(signal.SIGINT, _exit_now)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)


def _exit_now(signum: int, frame: FrameType | None) -> None:
    try:
        sys.stderr.write(f"govsim: {NOTHING_WRITTEN}\n")
        sys.stderr.flush()
    finally:
        os._exit(EXIT_INTERRUPTED)


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM (``kill``, a batch scheduler's time limit) like Ctrl-C meanwhile, so
    temporary folders are cleaned up and the message says what was kept."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def ignore_in_worker() -> None:
    """In a worker process: leave Ctrl-C to the parent (which stops the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
