"""Streaming tallies of the cases by group: what the ``groups`` block and outcomes need.

One row per closed case (its group, when it was created and closed, its outcome, its
callback's answers), in typed arrays: 20 bytes a case, and exact quantiles at the end.
Abandoned cases and those open at the end are counted per group.
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np

from govsim.core.codes import FIXED, NO_OUTCOME, NOT_ASKED, SATISFACTION_WEIGHT
from govsim.core.json_numbers import quantile_summary, round_number

NAN = float("nan")


class GroupTallies:
    """The cases of a run by group (filled by :class:`govsim.mechanisms.groups.GroupsMechanism`)."""

    def __init__(self, names: list[str], shares: list[float], residents: list[int]) -> None:
        self.names = names
        self.shares = shares
        self.residents = residents
        self.times = array("d")
        """Per closed case, two floats: when it was created and when it closed (hours)."""
        self.codes = array("b")
        """Per closed case, two codes: its group and its ``outcome`` (OUTCOMES, NO_OUTCOME -1
        for a case no mechanism judged)."""
        self.answers = array("b")
        """Per closed case, its callback's two answers: ``resolved`` (1, 0) and ``satisfaction``
        (SATISFACTION_LEVELS), NOT_ASKED each without a valid callback."""
        self.abandoned = [0] * len(names)
        self.open_at_end = [0] * len(names)

    @property
    def rows(self) -> int:
        """Closed cases tallied, and (their callbacks being tallied a closing later) answered."""
        return len(self.codes) // 2

    @property
    def closed(self) -> list[int]:
        groups = np.frombuffer(self.codes, dtype=np.int8)[0::2]
        return np.bincount(groups, minlength=len(self.names)).tolist()

    def _closed_rows(self, warmup: float) -> dict[str, np.ndarray]:
        """The closed cases' columns, of cases created after ``warmup`` hours."""
        times = np.frombuffer(self.times, dtype=np.float64).reshape(-1, 2)
        codes = np.frombuffer(self.codes, dtype=np.int8).reshape(-1, 2)
        answers = np.frombuffer(self.answers, dtype=np.int8).reshape(-1, 2)
        keep = times[:, 0] >= warmup
        outcome = codes[keep, 1]
        return {
            "group": codes[keep, 0],
            "hours": times[keep, 1] - times[keep, 0],
            "fixed": np.where(outcome == NO_OUTCOME, -1, (outcome == FIXED).astype(np.int8)),
            "resolved": answers[keep, 0],
            "satisfaction": answers[keep, 1],
        }

    def mean_time_to_close(self, warmup: float = 0.0) -> np.ndarray:
        """Per group, the mean hours to close of cases created after warm-up (NaN: none)."""
        rows = self._closed_rows(warmup)
        n = len(self.names)
        count = np.bincount(rows["group"], minlength=n)
        total = np.bincount(rows["group"], weights=rows["hours"], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            return total / count

    def by_group(self) -> dict[str, dict[str, Any]]:
        """Each group's figures (the summary's ``by_group``)."""
        rows = self._closed_rows(0.0)
        weight = np.array(SATISFACTION_WEIGHT)
        closed = self.closed
        out = {}
        for j, name in enumerate(self.names):
            mine = rows["group"] == j
            fixed = rows["fixed"][mine]
            judged = fixed >= 0
            asked = rows["satisfaction"][mine] != NOT_ASKED
            satisfaction = rows["satisfaction"][mine][asked]
            out[name] = {
                "share": round_number(self.shares[j]),
                "residents": self.residents[j],
                "cases": closed[j] + self.abandoned[j] + self.open_at_end[j],
                "closed": closed[j],
                "abandoned": self.abandoned[j],
                "open_at_end": self.open_at_end[j],
                "time_to_close_hours": quantile_summary(rows["hours"][mine]),
                "truly_fixed_share": _share(int((fixed[judged] == 1).sum()), int(judged.sum())),
                "callbacks": int(asked.sum()),
                "resolution": _share(
                    int((rows["resolved"][mine][asked] == 1).sum()), len(satisfaction)
                ),
                "satisfaction": round_number(weight[satisfaction].mean())
                if len(satisfaction)
                else None,
            }
        return out


def _share(part: int, whole: int) -> float | None:
    return round_number(part / whole) if whole else None


def worst_over_best(means: np.ndarray) -> float:
    """The largest of ``means`` over the smallest (NaNs left out; NaN if fewer than one)."""
    known = means[np.isfinite(means)]
    if not len(known) or known.min() <= 0:
        return NAN
    return float(known.max() / known.min())
