"""Where cases close: the share closed at each tier, per variant ("small matters stay local")."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from govsim.plots.closing import closed_hours
from govsim.plots.frames import KEYS, band, variant_order
from govsim.plots.style import CLOSING_TIERS, axes_or_new, colours


def tier_shares(frame: pd.DataFrame) -> pd.DataFrame:
    """Share (%) of closed cases per closing tier: mean and 95% band per variant across
    replications."""
    cases = closed_hours(frame, work_orders_only=False)
    counts = cases.groupby([*KEYS, "final_tier"], observed=True).size().rename("n").reset_index()
    totals = counts.groupby(list(KEYS), observed=True)["n"].transform("sum")
    counts = counts.assign(percent=100.0 * counts["n"] / totals)
    # Every run has every tier, even with no case closed there.
    runs = counts[list(KEYS)].drop_duplicates()
    full = runs.merge(pd.DataFrame({"final_tier": list(CLOSING_TIERS)}), how="cross")
    full = full.merge(counts, on=[*KEYS, "final_tier"], how="left").fillna({"percent": 0.0})
    return band(full, ["variant", "final_tier"], value="percent")


def plot_tier_shares(
    frame: pd.DataFrame,
    *,
    ax: Axes | None = None,
    variants: list[str] | None = None,
    legend: bool = True,
) -> Axes:
    """Grouped bars: % of closed cases closed at each tier, one bar per variant, 95% intervals."""
    stats = tier_shares(frame)
    ax = axes_or_new(ax)
    order = variant_order(stats, variants)
    palette = colours(order)
    width = 0.8 / max(len(order), 1)
    x = np.arange(len(CLOSING_TIERS))
    for i, variant in enumerate(order):
        part = (
            stats[stats["variant"] == variant].set_index("final_tier").reindex(list(CLOSING_TIERS))
        )
        mean = part["mean"].fillna(0).to_numpy(dtype=float)
        low, high = part["low"].to_numpy(dtype=float), part["high"].to_numpy(dtype=float)
        err = None
        if np.isfinite(low).any():
            err = np.vstack([np.nan_to_num(mean - low), np.nan_to_num(high - mean)])
        ax.bar(
            x + (i - (len(order) - 1) / 2) * width,
            mean,
            width * 0.95,
            yerr=err,
            capsize=2,
            color=palette[variant],
            label=variant,
            error_kw={"linewidth": 0.8},
        )
    ax.set_xticks(x, list(CLOSING_TIERS))
    ax.set_title("Where cases close: share closed at each tier")
    ax.set_xlabel("tier that closed the case")
    ax.set_ylabel("% of closed cases")
    ax.set_ylim(bottom=0)
    if legend:
        ax.legend(fontsize="small")
    return ax
