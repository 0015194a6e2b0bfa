"""The assessment's rows, one per unit and ranked month, and what is computed from them.

The measured figures are the ranking's (the cases it counted, labelled ones left out); the
true ones the mechanism's own (every case the unit closed: the share of its problems' cases
that really fixed the problem, the answers its residents would have given unpressed, the
responses on time that were not a rush). The Goodhart gap of a rate is measured minus true:
city-wide (pooled over units and months) and over the worst decile of units (the units
with the largest gap over the months, at least one).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from govsim.core.json_numbers import round_number
from govsim.mechanisms.assessment.decision import OPTIONS

NAN = float("nan")
RATES = ("response", "resolution", "satisfaction")


class AssessmentTallies:
    """The rows of ``assessment.parquet`` and the month boundaries (hours) they belong to."""

    def __init__(self, rows: list[dict[str, Any]], labels: list[str], starts: list[float]) -> None:
        self.rows = rows
        self.ends = dict(zip(labels, [*starts[1:], math.inf], strict=True))
        """Each month's end (hours; the last month's: never)."""

    def frame(self, warmup: float = 0.0) -> pd.DataFrame:
        """The rows of the months that end after ``warmup`` hours."""
        rows = [r for r in self.rows if self.ends.get(r["month"], math.inf) > warmup]
        frame = pd.DataFrame(rows)
        if frame.empty:
            return frame
        for column in ("group", "acting_group", "unit_type"):
            frame[column] = frame[column].astype("category")
        return frame

    def gaps(self, warmup: float = 0.0) -> dict[str, dict[str, float]]:
        """Per rate, measured minus true: ``city`` pooled, ``worst_decile`` of units."""
        frame = self.frame(warmup)
        out: dict[str, dict[str, float]] = {}
        if frame.empty:
            return {rate: {"city": NAN, "worst_decile": NAN} for rate in RATES}
        parts = _parts(frame)
        total = parts.sum().to_frame().T
        by_unit = parts.groupby([frame["unit_type"], frame["unit"]], observed=True).sum()
        for rate in RATES:
            city = _gap(total, rate).iloc[0]
            units = _gap(by_unit, rate).dropna().sort_values(ascending=False)
            worst = units.iloc[: max(1, math.ceil(len(units) / 10))].mean() if len(units) else NAN
            out[rate] = {"city": float(city), "worst_decile": float(worst)}
        return out

    def actions(self, warmup: float = 0.0) -> tuple[int, int, dict[str, int], dict[str, int]]:
        """Orders closed by the units, gaming actions, and actions and catches by option."""
        frame = self.frame(warmup)
        if frame.empty:
            return 0, 0, dict.fromkeys(OPTIONS, 0), dict.fromkeys(OPTIONS, 0)
        taken = {o: int(frame[o].sum()) for o in OPTIONS}
        caught = {o: int(frame[f"caught_{o}"].sum()) for o in OPTIONS}
        return int(frame["closed"].sum()), sum(taken.values()), taken, caught

    def summary(self) -> dict[str, Any]:
        closed, gaming, taken, caught = self.actions()
        frame = self.frame()
        return {
            "unit_months": len(frame),
            "orders_closed": closed,
            "gaming_actions": taken,
            "caught": caught,
            "gaming_actions_per_1000_orders": round_number(
                1000 * gaming / closed if closed else NAN
            ),
            "mean_effort": round_number(float(frame["effort"].mean()) if len(frame) else NAN),
            "goodhart": {
                rate: {k: round_number(v) for k, v in gap.items()}
                for rate, gap in self.gaps().items()
            },
        }


def _parts(frame: pd.DataFrame) -> pd.DataFrame:
    """The counts each rate's numerator and denominator are made of, measured and true."""
    measured_valid = frame["measured_valid"]
    return pd.DataFrame(
        {
            "response_m": (frame["response_measured"] * frame["measured_closed"]).fillna(0),
            "response_mn": frame["measured_closed"],
            "response_t": (frame["response_true"] * frame["closed"]).fillna(0),
            "response_tn": frame["closed"],
            "resolution_m": (frame["resolution_measured"] * measured_valid).fillna(0),
            "resolution_mn": measured_valid,
            "resolution_t": frame["fixed"],
            "resolution_tn": frame["problem_closed"],
            "satisfaction_m": (frame["satisfaction_measured"] * measured_valid).fillna(0),
            "satisfaction_mn": measured_valid,
            "satisfaction_t": (frame["satisfaction_true"] * frame["valid_callbacks"]).fillna(0),
            "satisfaction_tn": frame["valid_callbacks"],
        }
    )


def _gap(parts: Any, rate: str) -> Any:
    """Measured minus true of ``rate`` from summed parts (a row, or a frame of rows)."""
    measured = parts[f"{rate}_m"] / parts[f"{rate}_mn"].where(parts[f"{rate}_mn"] > 0)
    true = parts[f"{rate}_t"] / parts[f"{rate}_tn"].where(parts[f"{rate}_tn"] > 0)
    return measured - true
