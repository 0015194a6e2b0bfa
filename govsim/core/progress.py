"""Progress that a researcher sees wherever the output goes.

On a terminal: a tqdm bar. Anywhere else (a log file of an overnight run, a pipe, a
batch job): one plain line on stderr at every tenth of the work, with the time so far,
e.g. ``govsim: baseline: 30% (18/60 days, 4 s)``. Disabled, nothing at all.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any, TextIO


class Progress:
    """``update(n)`` as work is done, ``write(text)`` for a message, ``close()`` at the end."""

    def __init__(
        self,
        total: int,
        *,
        desc: str,
        unit: str,
        enabled: bool = True,
        initial: int = 0,
        leave: bool = True,
        stream: TextIO | None = None,
    ) -> None:
        self.stream = stream or sys.stderr
        self.total, self.desc, self.unit = total, desc, unit
        self.done = initial
        self.enabled = enabled and total > 0
        self._bar: Any = None
        self._next_tenth = self._tenth(initial) + 1
        self._started = time.perf_counter()
        if self.enabled and _is_terminal(self.stream):
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=total, initial=initial, desc=desc, unit=unit, leave=leave, file=self.stream
            )

    def _tenth(self, done: int) -> int:
        return 10 * done // self.total if self.total else 10

    def update(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(n)
            return
        tenth = self._tenth(self.done)
        if tenth >= self._next_tenth:
            self._next_tenth = tenth + 1
            seconds = time.perf_counter() - self._started
            print(
                f"govsim: {self.desc}: {10 * tenth}% ({self.done:,}/{self.total:,} "
                f"{self.unit}s, {seconds:,.0f} s)",
                file=self.stream,
                flush=True,
            )

    def write(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
