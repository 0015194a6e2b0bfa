"""Forest plot: each variant minus the baseline, paired by replication, with 95% intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from govsim.plots.frames import variant_order
from govsim.plots.style import axes_or_new, colours, difference_unit, metric_style


def plot_paired(
    paired: pd.DataFrame,
    metric: str,
    *,
    ax: Axes | None = None,
    variants: list[str] | None = None,
    sample: int | None = None,
    legend: bool = True,
) -> Axes:
    """Mean paired difference of ``metric`` (variant - baseline) per variant, with its 95% CI.

    ``paired`` is an experiment's ``paired.parquet``; rates are shown in percentage points.
    An interval that crosses the dashed zero line is no evidence of a difference.
    """
    style = metric_style(metric)
    rows = paired[paired["metric"].astype(str) == metric]
    if sample is None and "sample" in rows.columns and len(rows):
        sample = int(rows["sample"].min())
    if sample is not None and "sample" in rows.columns:
        rows = rows[rows["sample"] == sample]
    rows = rows.assign(variant=rows["variant"].astype(str))
    order = variant_order(rows, variants)
    palette = colours(variants or order)
    ax = axes_or_new(ax)
    for y, variant in enumerate(order):
        row = rows[rows["variant"] == variant].iloc[0]
        mean = float(row["mean_diff"]) * style.scale
        low, high = float(row["ci_low"]) * style.scale, float(row["ci_high"]) * style.scale
        err = [[mean - low], [high - mean]] if np.isfinite(low) and np.isfinite(high) else None
        ax.errorbar(
            [mean],
            [y],
            xerr=err,
            fmt="o",
            color=palette.get(variant, "C0"),
            capsize=4,
            markersize=6,
            linewidth=1.5,
        )
    ax.axvline(0.0, color="black", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(order)), order)
    ax.set_ylim(len(order) - 0.5, -0.5)
    baseline = (
        str(rows["baseline"].iloc[0]) if "baseline" in rows.columns and len(rows) else "baseline"
    )
    ax.set_title(style.label[:1].upper() + style.label[1:])
    ax.set_xlabel(f"difference vs {baseline} ({difference_unit(style)})")
    ax.set_ylabel("variant")
    if legend:
        from matplotlib.lines import Line2D

        ax.legend(
            handles=[
                Line2D(
                    [], [], color="0.3", marker="o", linestyle="-", label="mean difference, 95% CI"
                ),
                Line2D([], [], color="black", linestyle="--", label="no difference"),
            ],
            fontsize="x-small",
            loc="best",
        )
    return ax
