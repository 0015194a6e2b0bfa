"""The volunteers' book: hours present, hours on cases and cases, per grid and month and per day.

It is the mechanism's tallies too (the experiment outcomes read its days): numpy arrays and
the month boundaries, no reference to the run.
"""

from __future__ import annotations

import bisect

import numpy as np
import pandas as pd

from govsim.core.json_numbers import round_number


class VolunteerBook:
    """Members' hours and cases at each grid, by calendar month and by day of the run."""

    def __init__(
        self, grids: list[str], registered: int, labels: list[str], starts: list[float], days: int
    ) -> None:
        self.grids = grids
        self.registered = registered
        self.labels = labels
        self.starts = starts
        shape = (len(grids), len(labels))
        self.present = np.zeros(shape)
        """Member-hours present at each grid in each month (sessions x members who came)."""
        self.case_hours = np.zeros(shape)
        """Member-hours on cases (each visit's whole handling time, in the month it starts)."""
        self.cases = np.zeros(shape, dtype=np.int64)
        """Visits members made (each ends as a grid worker's visit would)."""
        self.sessions = 0
        self.day_present = np.zeros(days + 1)
        self.day_case_hours = np.zeros(days + 1)
        self.day_cases = np.zeros(days + 1, dtype=np.int64)

    def session(self, start: float, end: float, came: np.ndarray) -> None:
        """A session from ``start`` to ``end`` (hours) with ``came`` members at each grid."""
        month = bisect.bisect_right(self.starts, start) - 1
        hours = came * (end - start)
        self.present[:, month] += hours
        self.day_present[int(start // 24.0)] += hours.sum()
        self.sessions += 1

    def visit(self, grid: int, now: float, hours: float) -> None:
        """A member at ``grid`` starts a visit of ``hours`` at ``now``."""
        month = bisect.bisect_right(self.starts, now) - 1
        self.cases[grid, month] += 1
        self.case_hours[grid, month] += hours
        day = int(now // 24.0)
        self.day_cases[day] += 1
        self.day_case_hours[day] += hours

    def after(self, warmup: float) -> tuple[float, float, int]:
        """Member-hours present, on cases, and visits on the days from the warm-up's (the day
        that contains ``warmup`` hours counts whole)."""
        first = min(int(warmup // 24.0), len(self.day_cases) - 1)
        return (
            float(self.day_present[first:].sum()),
            float(self.day_case_hours[first:].sum()),
            int(self.day_cases[first:].sum()),
        )

    def frame(self) -> pd.DataFrame:
        """``volunteers.parquet``: one row per grid and month."""
        n_grids, n_months = self.present.shape
        return pd.DataFrame(
            {
                "grid": pd.Categorical(np.repeat(self.grids, n_months), categories=self.grids),
                "month": pd.Categorical(np.tile(self.labels, n_grids), categories=self.labels),
                "member_hours": self.present.ravel(),
                "case_hours": self.case_hours.ravel(),
                "cases": self.cases.ravel(),
            }
        )

    def summary(self) -> dict[str, float | int | None]:
        present, case_hours = float(self.present.sum()), float(self.case_hours.sum())
        return {
            "registered_per_grid": self.registered,
            "sessions": self.sessions,
            "member_hours": round_number(present),
            "case_hours": round_number(case_hours),
            "cases": int(self.cases.sum()),
            "utilisation": round_number(case_hours / present) if present else None,
        }
