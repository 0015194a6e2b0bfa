"""The street league table: a heat map of the composite score, streets ranked best first.

One variant: streets by month (plus the whole run). Several: streets by variant (whole
run), ranked by the first variant. Scores are 0-100 (the composite of the three rates
times 100, as in the monthly public rankings).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from govsim.core.rates import composite
from govsim.plots.frames import KEYS, month_label, variant_order, whole_months, with_keys
from govsim.plots.style import axes_or_new

DEFAULT_WEIGHTS = {"response": 0.1, "resolution": 0.5, "satisfaction": 0.4}
ALL = "whole run"
MAX_ROWS = 40


def street_scores(kpis: pd.DataFrame, weights: dict[str, float] | None = None) -> pd.DataFrame:
    """Composite score (0-100) per run, street and month, plus ``month == "whole run"``.

    The whole-run score pools the months' counts before taking the rates.
    """
    weights = weights or DEFAULT_WEIGHTS
    rows = with_keys(kpis[kpis["unit_type"].astype(str) == "street"], "run")
    rows = rows.assign(unit=rows["unit"].astype(str), month=rows["month"].astype(str))
    counts = ["due", "on_time", "valid_callbacks", "resolved", "satisfaction_points"]
    pooled = rows.groupby([*KEYS, "unit"], observed=True, sort=False)[counts].sum().reset_index()
    pooled["month"] = ALL
    both = pd.concat([rows[[*KEYS, "unit", "month", *counts]], pooled], ignore_index=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        both["response_rate"] = both["on_time"] / both["due"].where(both["due"] > 0)
        both["resolution_rate"] = both["resolved"] / both["valid_callbacks"].where(
            both["valid_callbacks"] > 0
        )
        both["satisfaction_rate"] = both["satisfaction_points"] / both["valid_callbacks"].where(
            both["valid_callbacks"] > 0
        )
    both["score"] = 100.0 * composite(both, weights).astype(float)
    return both


def league_matrix(
    kpis: pd.DataFrame, variants: list[str] | None = None, weights: dict[str, float] | None = None
) -> pd.DataFrame:
    """Streets (rows, best first) by month or by variant (columns): mean score across
    replications.

    Month columns leave out the months the run covers only in part (when some month is
    whole; else they are labelled with their days): their scores rest on a few days and
    would set the colour scale. The whole-run column pools every month's counts.
    """
    shown, partial = whole_months(kpis)
    months_shown = set(shown["month"].astype(str)) if len(kpis) else set()
    scores = street_scores(kpis, weights)
    order = variant_order(scores, variants)
    mean = scores.groupby(["variant", "unit", "month"], observed=True)["score"].mean().reset_index()
    if len(order) == 1:
        matrix = mean.pivot(index="unit", columns="month", values="score")
        months = sorted(c for c in matrix.columns if c != ALL and c in months_shown)
        matrix = matrix[[*months, ALL]] if len(months) > 1 else matrix[[ALL]]
        matrix = matrix.rename(columns=lambda c: month_label(c, partial))
    else:
        whole = mean[mean["month"] == ALL]
        matrix = whole.pivot(index="unit", columns="variant", values="score")[order]
    return matrix.sort_values(
        matrix.columns[-1] if len(order) == 1 else matrix.columns[0], ascending=False
    )


def plot_league(
    kpis: pd.DataFrame,
    *,
    ax: Axes | None = None,
    variants: list[str] | None = None,
    weights: dict[str, float] | None = None,
    colorbar: bool = True,
) -> Axes:
    """Heat map of the street composite score, rows ranked best first, each cell annotated.

    With more than 40 streets the best 20 and the worst 20 are shown.
    """
    matrix = league_matrix(kpis, variants, weights)
    n = len(matrix)
    shown = (
        matrix
        if n <= MAX_ROWS
        else pd.concat([matrix.head(MAX_ROWS // 2), matrix.tail(MAX_ROWS // 2)])
    )
    ranks = list(range(1, n + 1))
    ranks = ranks if n <= MAX_ROWS else ranks[: MAX_ROWS // 2] + ranks[-MAX_ROWS // 2 :]
    ax = axes_or_new(ax)
    values = shown.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 100.0)
    image = ax.imshow(
        np.ma.masked_invalid(values),
        cmap="RdYlGn",
        vmin=low,
        vmax=max(high, low + 1e-6),
        aspect="auto",
    )
    middle = (low + high) / 2
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(
                j,
                i,
                f"{v:.1f}",
                ha="center",
                va="center",
                fontsize=7,
                color="black" if abs(v - middle) < 0.35 * (high - low + 1e-9) else "white",
            )
    ax.set_xticks(
        range(shown.shape[1]),
        [str(c) for c in shown.columns],
        rotation=30 if shown.shape[1] > 3 else 0,
        ha="right" if shown.shape[1] > 3 else "center",
    )
    ax.set_yticks(
        range(len(shown)),
        [f"{r}. {u}" for r, u in zip(ranks, shown.index, strict=True)],
        fontsize=8,
    )
    by = "month of appeal" if matrix.columns[-1] == ALL else "variant"
    ax.set_xlabel(by)
    ax.set_ylabel("street / township (rank)")
    subset = f" (best and worst {MAX_ROWS // 2} of {n})" if n > MAX_ROWS else ""
    ax.set_title(f"Street league table: composite score{subset}")
    if colorbar:
        bar = ax.figure.colorbar(image, ax=ax, shrink=0.8)
        bar.set_label("composite score (0-100)")
    return ax
