"""Ranking and selection: the candidates that cannot be told apart from the best (one objective).

A search that crowns the best search estimate crowns a statistical tie now and then: the
best and the runner-up often differ by less than their noise, and the winner's estimate
is optimistic. After a single-objective search (in the manner of Nelson, Swann, Goldsman
and Song's screen-and-select procedures, 2001):

1. *Screening* on the search runs: every distinct finished candidate whose loss is not
   higher than the search best's with confidence (paired on their common search seeds) is
   a *contender*, at most ``replications.contenders`` of them (best search means first).
2. *Sequential elimination* on fresh seeds, never used in the search: every contender gets
   ``final`` fresh replications (the same seeds for all: common random numbers); a
   contender is dropped when another surviving one is better with confidence (the one-sided
   paired bound of their loss difference above zero); the survivors get ``final`` more,
   up to ``final_max``; it stops when one is left. Replications thus go where the decision
   is close.
3. The survivors are the *indifference set*; the returned best is the survivor with the
   lowest fresh mean loss.

The error ``1 - confidence`` is split in two halves. Screening compares each of the ``m``
candidates with the search best at ``alpha / 2 / (m - 1)``; elimination runs each paired
comparison at ``alpha / 2 / ((k - 1) * looks)`` (k contenders, ``looks`` rounds). By the
union bound the best candidate tried is screened out with probability at most
``alpha / 2`` and, once a contender, dropped with at most ``alpha / 2``, whatever the
others' means: the indifference set holds it with at least ``confidence`` (Bonferroni:
conservative, at the price of more replications; Kim and Nelson's procedure is sharper but
needs an indifference zone). A candidate the search never tried cannot be in the set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy import stats


def better(a: np.ndarray, b: np.ndarray, alpha: float) -> bool:
    """Whether loss ``b`` is lower than loss ``a`` with confidence ``1 - alpha`` (one-sided,
    paired over their common replications)."""
    n = min(len(a), len(b))
    if n < 2:
        return False
    d = np.asarray(a[:n], dtype=float) - np.asarray(b[:n], dtype=float)
    sd = float(d.std(ddof=1))
    if sd == 0:
        return float(d.mean()) > 0
    return float(d.mean()) - float(stats.t.ppf(1 - alpha, n - 1)) * sd / np.sqrt(n) > 0


def contenders(losses: Mapping[int, np.ndarray], confidence: float, most: int) -> list[int]:
    """Candidates whose search loss is not worse than the search best's with confidence."""
    means = {k: float(np.mean(v)) for k, v in losses.items()}
    order = sorted(losses, key=lambda k: (means[k], k))
    if not order:
        return []
    best = order[0]
    alpha = (1 - confidence) / 2 / max(len(order) - 1, 1)  # half the error, Bonferroni
    keep = [k for k in order if k == best or not better(losses[k], losses[best], alpha)]
    return keep[:most]


@dataclass
class Plan:
    """When the elimination looks (fresh replications per contender) and at what level."""

    looks: list[int]
    alpha: float

    @classmethod
    def of(cls, k: int, first: int, most: int, confidence: float) -> Plan:
        looks = list(range(first, most + 1, first))
        if looks[-1] != most:
            looks.append(most)
        return cls(looks, (1 - confidence) / 2 / (max(k - 1, 1) * len(looks)))


@dataclass
class Selection:
    """Where the elimination stands: survivors, when each other contender was dropped."""

    alive: list[int]
    dropped: dict[int, int] = field(default_factory=dict)  # contender -> replications at its drop
    target: int | None = None  # fresh replications the survivors need next; None: finished

    def best(self, losses: Mapping[int, np.ndarray]) -> int:
        n = min(len(losses[k]) for k in self.alive)
        return min(self.alive, key=lambda k: (float(np.mean(losses[k][:n])), k))


def eliminate(losses: Mapping[int, np.ndarray], plan: Plan) -> Selection:
    """Replay the elimination on the fresh losses so far (deterministic: resumable)."""
    alive = sorted(losses)
    dropped: dict[int, int] = {}
    for look, n in enumerate(plan.looks):
        if len(alive) == 1 and look > 0:
            break
        if any(len(losses[k]) < n for k in alive):  # a lone contender too gets the first look's
            return Selection(alive, dropped, n)
        if len(alive) == 1:
            break
        out = [
            i
            for i in alive
            if any(better(losses[i][:n], losses[j][:n], plan.alpha) for j in alive if j != i)
        ]
        dropped.update({i: n for i in out})
        alive = [i for i in alive if i not in out]
    return Selection(alive, dropped, None)
