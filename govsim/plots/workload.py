"""People at work: where each tier's hours went, per person and week.

For a run with the workload mechanism (``workload.parquet``): per tier, a stacked bar of the
hours per person and week on cases, on other duties and idle on duty, with the overtime on top
(hatched); and, per tier and month, the share of the hours on cases against other duties.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes

from govsim.plots.style import axes_or_new

TIERS = ("grid", "street", "district", "department")
PARTS = (
    ("case_hours", "on cases"),
    ("other_hours", "other duties"),
    ("idle_hours", "on duty, idle"),
    ("overtime_hours", "overtime"),
)


def has_workload(table: pd.DataFrame | None) -> bool:
    """Whether ``table`` (a workload table) has rows to draw."""
    return table is not None and len(table) > 0


def tier_hours(table: pd.DataFrame) -> pd.DataFrame:
    """Per tier (rows, in TIERS order): hours per person and week on cases, other duties, idle
    on duty and overtime (totals over the tier's person-hours x 168)."""
    totals = table.groupby(table["tier"].astype(str), observed=True)[
        ["person_hours", "duty_hours", "case_hours", "other_hours", "overtime_hours"]
    ].sum()
    totals["idle_hours"] = (
        totals["duty_hours"]
        + totals["overtime_hours"]
        - totals["case_hours"]
        - totals["other_hours"]
    ).clip(lower=0)
    weekly = totals[[p for p, _ in PARTS]].div(totals["person_hours"], axis=0) * 168
    return weekly.reindex([t for t in TIERS if t in weekly.index])


def plot_hours(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Stacked hours per person and week, per tier."""
    ax = axes_or_new(ax)
    weekly = tier_hours(table)
    bottom = pd.Series(0.0, index=weekly.index)
    for i, (part, label) in enumerate(PARTS):
        ax.bar(
            weekly.index,
            weekly[part],
            bottom=bottom,
            color=f"C{i}",
            label=label,
            hatch="//" if part == "overtime_hours" else None,
        )
        bottom += weekly[part]
    ax.set_ylabel("hours per person and week")
    ax.set_title("Where the hours went, per tier")
    ax.legend(fontsize=7)
    return ax


def plot_case_share(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Share of hours on cases (against other duties) per tier and month (%)."""
    ax = axes_or_new(ax)
    monthly = table.groupby([table["tier"].astype(str), table["month"].astype(str)], observed=True)[
        ["case_hours", "other_hours"]
    ].sum()
    share = 100 * monthly["case_hours"] / (monthly["case_hours"] + monthly["other_hours"])
    for i, tier in enumerate(TIERS):
        if tier in share.index.get_level_values(0):
            rows = share.loc[tier]
            ax.plot(rows.index, rows.to_numpy(), marker="o", color=f"C{i}", label=tier)
    ax.set_ylabel("hours on cases / (cases + other duties) (%)")
    ax.set_xlabel("month")
    ax.set_title("Share of time on cases, per tier and month")
    ax.legend(fontsize=7)
    return ax
