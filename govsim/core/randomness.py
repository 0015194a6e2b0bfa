"""Random streams: one independent, named stream per purpose, drawn in numpy batches.

Every purpose ("arrivals", "handling/grid/heating", "decide/consultation", ...) gets its
own generator, seeded from the run's root seed and a stable hash of the purpose's name.
Two runs with the same root seed therefore see the same arrivals and the same handling
times even when a policy changes the path cases take (common random numbers), and
adding a new purpose never shifts the numbers of an existing one.

Draws are made in blocks and handed out one by one from an ``array.array`` of doubles: a
numpy call per draw costs about a microsecond, the next item of an array a few tens of
nanoseconds.
"""

from __future__ import annotations

import functools
import itertools
import math
import zlib
from array import array
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from govsim.core.parameters import Distribution

BLOCK = 1024
"""Draws per block: enough to spread numpy's fixed cost per call (about a microsecond) thin.
A block is 8 KiB of doubles, read from start to end, so only the line being read of each
stream's block needs to be in the cache (cachegrind, 1 against 2 days of Beijing with every
reform, per case: 85,557 instructions, 1,616 first-level and 318 L2 misses with blocks of
256; 84,970, 1,590 and 307 with 1,024). While blocks were lists of float objects, 256 was
best: 4,096 took about 1.5 MB over a dozen streams, and M/M/10 ran a tenth slower."""


def root_sequence(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    return seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)


class RandomStreams:
    """Factory of named generators and batched samplers for one run."""

    def __init__(self, seed: int | np.random.SeedSequence) -> None:
        self.root = root_sequence(seed)
        self._names: set[str] = set()

    def generator(self, name: str) -> np.random.Generator:
        """The generator for ``name``; each name may be taken once per run."""
        if name in self._names:
            raise ValueError(f"random stream '{name}' is already in use")
        self._names.add(name)
        key = zlib.crc32(name.encode("utf-8"))
        seq = np.random.SeedSequence(self.root.entropy, spawn_key=(*self.root.spawn_key, key))
        return np.random.Generator(np.random.PCG64(seq))

    def uniform(self, name: str) -> Callable[[], float]:
        """A callable returning U[0, 1) draws."""
        rng = self.generator(name)
        return batched(lambda n: rng.random(n))

    def logit_uniform(self, name: str) -> Callable[[], float]:
        """A callable returning logit(u) = log(u / (1 - u)) of U[0, 1) draws (a standard
        logistic)."""
        rng = self.generator(name)

        def draw(n: int) -> np.ndarray:
            u = rng.random(n)
            with np.errstate(divide="ignore"):  # u = 0 gives -inf: below every threshold
                return np.log(u) - np.log1p(-u)

        return batched(draw)

    def duration(self, name: str, dist: Distribution) -> Callable[[], float]:
        """A callable returning draws of ``dist`` (hours)."""
        mean = dist.mean
        if dist.kind == "deterministic" or mean == 0:
            return itertools.repeat(float(mean)).__next__
        rng = self.generator(name)
        if dist.kind == "exponential":
            return batched(lambda n: rng.exponential(mean, n))
        if dist.kind == "lognormal":
            sigma2 = math.log1p(dist.cv**2)
            mu = math.log(mean) - sigma2 / 2
            sigma = math.sqrt(sigma2)
            return batched(lambda n: rng.lognormal(mu, sigma, n))
        if dist.kind == "gamma":
            shape = 1 / dist.cv**2
            scale = mean / shape
            return batched(lambda n: rng.gamma(shape, scale, n))
        raise ValueError(f"unknown distribution kind {dist.kind!r}")


def batched(draw: Callable[[int], np.ndarray]) -> Callable[[], float]:
    """A callable handing out one float at a time from blocks of ``BLOCK`` drawn by ``draw(n)``.

    Built from C iterators only (``iter(callable, sentinel)`` draws a new block whenever
    the last is used up, ``chain`` flattens the blocks), so one draw costs a C call, about
    a third of a Python-level sampler.

    A block is an ``array.array`` of doubles, not a list of floats: a list's float objects
    were all made at once and used over the next hundreds of cases, by when the cache had
    lost most of them. The array keeps eight draws to a cache line and makes each float as
    it is handed out, in the memory the last one freed (with :data:`BLOCK`'s change, 14%
    fewer L2 misses a case in Beijing: docs/performance.md).
    """
    blocks = iter(lambda: array("d", draw(BLOCK).tobytes()), None)
    return itertools.chain.from_iterable(blocks).__next__


def per_item(draw: Callable[[], float]) -> Callable[[Any], float]:
    """``draw`` as a callable of one (ignored) argument, for a server pool's ``start_service``.

    A sampler of this module is the ``__next__`` of a C iterator, so this is
    ``partial(next, iterator)``: ``next(iterator, item)`` is the next draw (the default is
    never used, the iterator is endless), with no Python frame per call. Any other callable
    is wrapped in a lambda."""
    iterator = getattr(draw, "__self__", None)
    if isinstance(iterator, Iterator) and draw == iterator.__next__:
        return functools.partial(next, iterator)
    return lambda _item: draw()
