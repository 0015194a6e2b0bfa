"""Measured against true, per street: what the assessment saw and what the residents got.

For a run with units that answer to their assessment (``assessment.parquet``): one point per
street and ranked month, its rate as the ranking measured it against the true one (the
resolution rate against the true fix rate of its closed cases of problems; the satisfaction
rate against the rating its residents would have given unpressed), coloured by the rank
group its behaviour that month answered to. On the diagonal, the measure is the truth; above
it, the measure flatters. A resolution point sits above the diagonal without gaming too:
a resident whose problem was not fixed may still say it was resolved
(``problems.resolved_if_not_fixed``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from govsim.plots.style import axes_or_new

PAIRS = {
    "resolution": ("true_fix_rate", "resolution_measured"),
    "satisfaction": ("satisfaction_true", "satisfaction_measured"),
}
TRUE_LABEL = {"resolution": "true fix rate", "satisfaction": "satisfaction unpressed"}
GROUPS = ("before any ranking", "advanced", "improving", "ordinary", "rectification", "governance")


def has_streets(table: pd.DataFrame | None) -> bool:
    """Whether ``table`` (an assessment table) has street rows to draw."""
    return table is not None and bool((table["unit_type"].astype(str) == "street").any())


def plot_measured_vs_true(table: pd.DataFrame, rate: str, *, ax: Axes | None = None) -> Axes:
    """``rate`` ('resolution' or 'satisfaction') measured against true, per street-month (%)."""
    true, measured = PAIRS[rate]
    ax = axes_or_new(ax)
    streets = table[table["unit_type"].astype(str) == "street"]
    acting = streets["acting_group"].astype(object).fillna(GROUPS[0])
    points = []
    for i, group in enumerate(GROUPS):
        rows = streets[acting == group]
        x, y = 100 * rows[true].to_numpy(dtype=float), 100 * rows[measured].to_numpy(dtype=float)
        if len(rows):
            ax.scatter(x, y, s=18, color=f"C{i}", label=group, alpha=0.8)
            points.append(np.concatenate([x, y]))
    values = np.concatenate(points) if points else np.array([0.0, 100.0])
    values = values[np.isfinite(values)]
    low, high = (values.min(), values.max()) if len(values) else (0.0, 100.0)
    pad = max(1.0, 0.05 * (high - low))
    ax.plot([low - pad, high + pad], [low - pad, high + pad], color="0.5", linewidth=1, ls="--")
    ax.set_xlim(low - pad, high + pad)
    ax.set_ylim(low - pad, high + pad)
    ax.set_xlabel(f"true: {TRUE_LABEL[rate]} (%)")
    ax.set_ylabel(f"measured {rate} (%)")
    ax.set_title(f"{rate.capitalize()}: measured against true, per street and month")
    ax.legend(fontsize=7, title="behaviour answered to", title_fontsize=7)
    return ax
