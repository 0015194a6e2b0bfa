"""Headline figures of case logs side by side: a log against the export of a run fitted to it.

Each figure is computed the same way from any log, from the columns it has (a figure
whose columns are missing is left empty): volume, repeats and abandoned calls,
consultations, where work orders close and how long they take, and the callback rates
(satisfaction as the public formula has it: satisfied + 0.9 x basically satisfied, over
rated callbacks).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from govsim.core.codes import TIERS
from govsim.data.caselog import CaseLog


def log_summary(log: CaseLog) -> pd.Series:
    """The headline figures of one log, by name."""
    frame = log.frame
    _, days = log.window()
    out: dict[str, float] = {"appeals per day": len(frame) / days}
    first = log.first_contacts()
    out["first contacts per day"] = len(first) / days
    if "repeat_of" in frame:
        out["repeat share"] = float(frame["repeat_of"].notna().mean())
    if "abandoned_at" in frame:
        out["abandoned share"] = float(frame["abandoned_at"].notna().mean())
    if "closing_tier" in frame and "closed" in frame:
        tier = frame["closing_tier"].astype(object)
        closed = frame["closed"].notna()
        out["consultation share (of closed)"] = float((tier[closed] == "hotline").mean())
        orders = closed & (tier != "hotline")
        hours = (frame["closed"] - frame["created"]).dt.total_seconds() / 3600
        for name in TIERS[1:]:
            at = orders & (tier == name)
            out[f"work orders closed at {name}"] = float(at.sum() / max(orders.sum(), 1))
        for name in TIERS[1:]:
            at = orders & (tier == name)
            out[f"hours to close at {name} (mean)"] = (
                float(hours[at].mean()) if at.any() else np.nan
            )
        out["hours to close, work orders (p90)"] = (
            float(hours[orders].quantile(0.9)) if orders.any() else np.nan
        )
    if "resolved" in frame:
        rated = frame["resolved"].notna()
        out["resolution rate"] = float(frame.loc[rated, "resolved"].astype(float).mean())
    if "satisfaction" in frame:
        level = frame["satisfaction"].astype(object)
        rated = level.notna()
        points = (level == "satisfied").sum() + 0.9 * (level == "basic").sum()
        out["satisfaction rate"] = float(points / max(rated.sum(), 1))
    return pd.Series(out, dtype=float)


def compare(logs: dict[str, CaseLog]) -> pd.DataFrame:
    """One column per log (by label), one row per headline figure."""
    return pd.DataFrame({label: log_summary(log) for label, log in logs.items()})
