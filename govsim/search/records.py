"""A trial as govsim keeps it in the Optuna storage: candidate, run values, estimates.

Optuna stores the levers as the trial's parameters; govsim adds user attributes under
``govsim.``: the completed candidate (with the fill lever), its head count and cost, the
batch it was drawn in, its owner and heartbeat, and its search run values as
``{outcome: [[value per replication] per sample]}``. A finished trial cannot be changed,
so the fresh-seed values of the front are study attributes, ``govsim.fresh.<trial>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from optuna.trial import FrozenTrial, TrialState

from govsim.search import objectives as obj
from govsim.search.lever_space import Candidate
from govsim.search.study import Study

A = "govsim."  # prefix of the trial attributes govsim keeps


@dataclass
class Evaluation:
    """A trial being evaluated: its candidate and its run values so far."""

    number: int
    batch: int
    candidate: Candidate
    values: dict[str, list[list[float]]] = field(default_factory=dict)
    fresh: dict[str, list[list[float]]] = field(default_factory=dict)
    error: str | None = None

    def reps(self, fresh: bool = False) -> int:
        table = self.fresh if fresh else self.values
        if not table:
            return 0
        return min(len(row) for rows in table.values() for row in rows)

    def scores(self, study: Study, fresh: bool = False) -> dict[str, np.ndarray]:
        """Per-replication robust scores of each objective."""
        table = self.fresh if fresh else self.values
        n = self.reps(fresh)
        return {
            o.outcome: obj.robust(
                np.array([row[:n] for row in table[o.outcome]]), o.sign, study.robustness
            )
            for o in study.objectives
        }


def evaluation_of(t: FrozenTrial, fresh: dict | None = None) -> Evaluation:
    """The evaluation stored with trial ``t`` (``fresh``: the study attributes)."""
    attrs = t.user_attrs
    candidate = Candidate(
        attrs.get(A + "levers") or dict(t.params),
        attrs.get(A + "headcount"),
        attrs.get(A + "cost_yuan"),
        dict(attrs.get(A + "violations") or {}),
    )
    return Evaluation(
        t.number,
        int(attrs.get(A + "batch", t.number)),
        candidate,
        dict(attrs.get(A + "values") or {}),
        dict((fresh or {}).get(fresh_key(t.number)) or {}),
        error=attrs.get(A + "error"),
    )


def fresh_key(number: int) -> str:
    return f"{A}fresh.{number}"


def finished(t: FrozenTrial) -> bool:
    """A complete, feasible trial with run values."""
    return (
        t.state == TrialState.COMPLETE
        and bool(t.user_attrs.get(A + "feasible"))
        and A + "values" in t.user_attrs
    )


def front_members(
    study: Study, trials: Iterable[FrozenTrial], fresh: dict | None = None
) -> list[Evaluation]:
    """The Pareto front of the finished feasible trials on search estimates, one per candidate."""
    done = [evaluation_of(t, fresh) for t in trials if finished(t)]
    if not done:
        return []
    losses = np.array(
        [
            [o.sign * float(np.mean(ev.scores(study)[o.outcome])) for o in study.objectives]
            for ev in done
        ]
    )
    on_front = [ev for ev, keep in zip(done, obj.pareto_mask(losses), strict=True) if keep]
    return distinct(on_front)


def distinct(evaluations: Iterable[Evaluation]) -> list[Evaluation]:
    """One evaluation per candidate (the one with most replications, then the first)."""
    best: dict[str, Evaluation] = {}
    for ev in sorted(evaluations, key=lambda e: (-e.reps(), e.number)):
        best.setdefault(ev.candidate.key, ev)
    return sorted(best.values(), key=lambda e: e.number)


def selection_key() -> str:
    """The study attribute holding the outcome of the selection (one objective)."""
    return f"{A}selection"
