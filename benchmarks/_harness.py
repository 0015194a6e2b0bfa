"""Shared plumbing of the benchmarks: every measurement runs in a fresh Python process.

A fresh process per measurement keeps runs independent (no warm caches, no garbage
left by the previous model) and makes ``ru_maxrss`` (the peak resident set size, which
only ever grows within a process) a per-measurement figure. The parent script calls
itself with ``--child NAME [ARGS...]``; the child times the model call only (imports
and scenario loading excluded), and prints one JSON line.

Peak memory is reported two ways:

- ``rss_peak_mb``: peak resident set size of the child process (``resource.getrusage``),
  interpreter and imported libraries included; ``rss_before_mb`` is the same figure just
  before the model call, so the difference is what the run itself added;
- ``tracemalloc_peak_mb``: peak of memory allocated through Python's allocators (numpy
  included) during the model call. tracemalloc slows allocation-heavy code severalfold,
  so it is measured in a separate, untimed child.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports kB)."""
    scale = 1 / 1024 if sys.platform != "darwin" else 1 / 1024**2
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def measure(run: Callable[[], dict[str, Any]], trace: bool) -> dict[str, Any]:
    """Call ``run()`` (which returns its own figures, e.g. a case count) and add time and memory."""
    before = rss_mb()
    if trace:
        tracemalloc.start()
    monotonic_start = time.monotonic()
    started = time.perf_counter()
    figures = run()
    wall = time.perf_counter() - started
    figures["monotonic_start"], figures["monotonic_end"] = monotonic_start, time.monotonic()
    if trace:
        figures["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1024**2
        tracemalloc.stop()
    else:
        figures["wall_seconds"] = wall
    figures["rss_before_mb"] = before
    figures["rss_peak_mb"] = rss_mb()
    return figures


def child(script: str, *args: str) -> dict[str, Any]:
    """Run ``script --child ARGS`` in a fresh interpreter and return its JSON line."""
    proc = subprocess.run(
        [sys.executable, script, "--child", *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child_with_samples(
    script: str, args: list[str], sample: Callable[[], dict[str, Any]], every: float
) -> tuple[dict[str, Any], list[dict[str, Any]], float]:
    """Run ``script --child ARGS`` and, every ``every`` seconds while it runs, stop it
    (SIGSTOP: all its threads), call ``sample()`` (another measurement, on a machine the
    child leaves alone), and let it go on (SIGCONT).

    The machine's speed drifts by a fifth over minutes, so a reference measured only before
    and after a long run may catch a fast or a slow spell: samples spread over the run
    catch what the run itself met. Returns the child's JSON line, the samples, and the
    seconds the child spent stopped inside its own timed part (between the ``monotonic_start``
    and ``monotonic_end`` it reports; ``time.monotonic`` is one clock for every process of
    the machine), to subtract from its wall time. A stopped child's caches go cold: what it
    pays for that counts against it.
    """
    import signal

    proc = subprocess.Popen(
        [sys.executable, script, "--child", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    samples: list[dict[str, Any]] = []
    stops: list[tuple[float, float]] = []
    try:
        while True:
            try:
                proc.wait(timeout=every)
                break
            except subprocess.TimeoutExpired:
                pass
            stopped = time.monotonic()
            proc.send_signal(signal.SIGSTOP)
            try:
                samples.append(sample())
            finally:
                proc.send_signal(signal.SIGCONT)
                stops.append((stopped, time.monotonic()))
        out, err = proc.communicate()
    except BaseException:
        proc.kill()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{err}")
    figures = json.loads(out.strip().splitlines()[-1])
    return figures, samples, overlap(stops, figures["monotonic_start"], figures["monotonic_end"])


def overlap(spells: list[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of the ``(from, to)`` spells that fall between ``start`` and ``end``."""
    return sum(max(0.0, min(b, end) - max(a, start)) for a, b in spells)


def emit(figures: dict[str, Any]) -> None:
    print(json.dumps(figures))


def median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)
