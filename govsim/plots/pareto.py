"""Policy search: the Pareto front and the levers of every trial (parallel coordinates).

Both take the tables of an optimize folder (``trials``, ``front``) and the study's lever
keys and objectives as plain lists, so a notebook can call them on ``govsim.load(DIR)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from govsim.plots.style import axes_or_new, metric_style, new_figure

Objective = tuple[str, bool]  # (outcome, minimise)


def plot_pareto(
    trials: pd.DataFrame, front: pd.DataFrame, x: str, y: str, ax: Axes | None = None
) -> Axes:
    """Two objectives: every feasible trial's search estimate (grey), the front members'
    search estimates (open) and their fresh-seed re-evaluation with 95% CIs (filled)."""
    ax = axes_or_new(ax)
    sx, sy = metric_style(x), metric_style(y)
    done = trials[trials["state"] == "complete"]
    ax.scatter(
        done[x] * sx.scale, done[y] * sy.scale, s=14, color="0.65", label="trials (search estimate)"
    )
    if len(front):
        ax.scatter(
            front[f"{x}_search"] * sx.scale,
            front[f"{y}_search"] * sy.scale,
            s=50,
            facecolors="none",
            edgecolors="C1",
            linewidths=1.2,
            label="front, search estimate",
        )
        ax.errorbar(
            front[x] * sx.scale,
            front[y] * sy.scale,
            xerr=_bars(front, x, sx.scale),
            yerr=_bars(front, y, sy.scale),
            fmt="o",
            color="C0",
            capsize=3,
            label="front, fresh seeds (95% CI)",
        )
        for _, row in front.iterrows():
            ax.annotate(
                str(int(row["trial"])),
                (row[x] * sx.scale, row[y] * sy.scale),
                fontsize=7,
                xytext=(4, 4),
                textcoords="offset points",
            )
        on = front[front["pareto_fresh"]] if "pareto_fresh" in front else front
        order = on.sort_values(x)
        ax.plot(order[x] * sx.scale, order[y] * sy.scale, color="C0", linewidth=0.8, alpha=0.6)
    ax.set_xlabel(sx.axis())
    ax.set_ylabel(sy.axis())
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def plot_progress(
    trials: pd.DataFrame, front: pd.DataFrame, outcome: str, minimise: bool, ax: Axes | None = None
) -> Axes:
    """One objective: each trial's estimate by trial number, the best so far, and the best's
    fresh-seed re-evaluation (95% CI)."""
    ax = axes_or_new(ax)
    style = metric_style(outcome)
    done = trials[trials["state"] == "complete"].sort_values("trial")
    values = done[outcome] * style.scale
    ax.scatter(done["trial"], values, s=14, color="0.55", label="trial (search estimate)")
    best = values.cummin() if minimise else values.cummax()
    ax.step(done["trial"], best, where="post", color="C1", label="best so far")
    if len(front):
        ax.errorbar(
            front["trial"],
            front[outcome] * style.scale,
            yerr=_bars(front, outcome, style.scale),
            fmt="o",
            color="C0",
            capsize=3,
            label="best, fresh seeds (95% CI)",
        )
    if len(values) and values.min() > 0 and values.max() / values.min() > 10:
        ax.set_yscale("log")  # an unstable candidate's queue would flatten the others
    ax.set_xlabel("trial")
    ax.set_ylabel(style.axis())
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def plot_parallel(
    trials: pd.DataFrame,
    levers: Sequence[str],
    objectives: Sequence[Objective],
    ax: Axes | None = None,
) -> Axes:
    """Parallel coordinates: one line per feasible trial across its levers and objectives,
    each axis scaled to its range, coloured by the first objective; front members bold."""
    ax = axes_or_new(ax)
    done = trials[trials["state"] == "complete"].reset_index(drop=True)
    columns = [*levers, *(o for o, _ in objectives)]
    if done.empty:
        return ax
    scaled, ticks = {}, {}
    for c in columns:
        values = done[c]
        if not pd.api.types.is_numeric_dtype(values):
            codes, names = pd.factorize(values.astype(str), sort=True)
            values = pd.Series(codes, dtype=float)
            ticks[c] = (names[0], names[-1])
        values = values.astype(float)
        low, high = float(values.min()), float(values.max())
        scaled[c] = (values - low) / (high - low) if high > low else values * 0 + 0.5
        ticks.setdefault(c, (f"{low:.3g}", f"{high:.3g}"))
    first, minimise = objectives[0]
    colour = scaled[first] if minimise else 1 - scaled[first]
    cmap = matplotlib.colormaps["viridis_r"]
    xs = [float(i) for i in range(len(columns))]
    pareto = done["pareto"] if "pareto" in done else pd.Series(False, index=done.index)
    for i in done.index:
        ys = [scaled[c][i] for c in columns]
        bold = bool(pareto[i])
        ax.plot(
            xs,
            ys,
            color=cmap(float(colour[i])),
            alpha=0.9 if bold else 0.35,
            linewidth=2.2 if bold else 0.8,
            zorder=3 if bold else 2,
        )
    for x, c in zip(xs, columns, strict=True):
        ax.axvline(x, color="0.3", linewidth=0.6)
        low, high = ticks[c]
        ax.text(x, -0.04, str(low), ha="center", va="top", fontsize=7)
        ax.text(x, 1.04, str(high), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(xs, [_label(c, objectives) for c in columns], rotation=20, ha="right", fontsize=8)
    ax.set_yticks([])
    ax.set_ylim(-0.12, 1.12)
    ax.set_title(
        f"each line a feasible trial, coloured by {metric_style(first).label} (yellow best); "
        "bold: search front",
        fontsize=9,
    )
    return ax


def pareto_figure(
    trials: pd.DataFrame, front: pd.DataFrame, objectives: Sequence[Objective]
) -> Figure:
    """The front for one objective (progress), two (one panel) or more (every pair)."""
    if len(objectives) == 1:
        fig = new_figure(8, 4.5)
        plot_progress(trials, front, objectives[0][0], objectives[0][1], fig.subplots())
        return fig
    pairs = [(a, b) for i, (a, _) in enumerate(objectives) for b, _ in objectives[i + 1 :]]
    fig = new_figure(6.5 * min(len(pairs), 3), 5 * -(-len(pairs) // 3))
    axes = np.atleast_1d(fig.subplots(-(-len(pairs) // 3), min(len(pairs), 3))).ravel()
    for ax, (a, b) in zip(axes, pairs, strict=False):
        plot_pareto(trials, front, a, b, ax)
    return fig


def parallel_figure(
    trials: pd.DataFrame, levers: Sequence[str], objectives: Sequence[Objective]
) -> Figure:
    fig = new_figure(max(8, 1.4 * (len(levers) + len(objectives))), 5)
    plot_parallel(trials, levers, objectives, fig.subplots())
    return fig


def _bars(frame: pd.DataFrame, name: str, scale: float) -> np.ndarray:
    low = (frame[name] - frame[f"{name}_ci_low"]).clip(lower=0) * scale
    high = (frame[f"{name}_ci_high"] - frame[name]).clip(lower=0) * scale
    return np.vstack([low.to_numpy(dtype=float), high.to_numpy(dtype=float)])


def _label(column: str, objectives: Sequence[Objective]) -> str:
    for name, minimise in objectives:
        if column == name:
            return f"{metric_style(name).label}\n({'min' if minimise else 'max'})"
    return column.replace(".", ".\n", 1) if len(column) > 18 else column
