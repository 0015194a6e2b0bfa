"""Ctrl-C: one line on stderr, exit code 130, and the truth about what was kept.

The command line catches ``KeyboardInterrupt`` from its first line on; the heavy
libraries are imported only inside that ``try`` (``govsim/__init__.py`` imports lazily),
so a Ctrl-C in the first seconds prints one line, not a traceback through pandas. A
command that leaves something behind raises :class:`Interrupted` with a message saying
what (an experiment keeps its finished runs); worker processes ignore Ctrl-C and are
stopped by the parent, which is the one to report.
"""

from __future__ import annotations

import signal
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
