"""Uncertainty sweeps (outcome versus parameter) and sensitivity indices (ranked)."""

from __future__ import annotations

import typing

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator
from pydantic import BaseModel

from govsim.plots.frames import variant_order
from govsim.plots.style import axes_or_new, colours, difference_unit, metric_style

SWEEP_COLUMNS = {
    "variant",
    "sample",
    "metric",
    "n",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "half_width",
}
INDEX_LABELS = {
    "mu_star": "Morris mu* (mean |elementary effect|)",
    "sigma": "Morris sigma",
    "ST": "Sobol total-order index ST",
    "S1": "Sobol first-order index S1",
}
INDEX_SHORT = {"mu_star": "Morris mu*", "sigma": "Morris sigma", "ST": "Sobol ST", "S1": "Sobol S1"}


def swept_parameters(sweep: pd.DataFrame) -> list[str]:
    """Parameter columns of a sweep table that take more than one value."""
    return [
        c for c in sweep.columns if c not in SWEEP_COLUMNS and sweep[c].nunique(dropna=True) > 1
    ]


def parameter_label(key: str, width: int = 50) -> str:
    """``key`` over the schema's description of it (which carries its unit), for an axis label."""
    import textwrap

    from govsim.scenario.schema import Scenario

    model: type[BaseModel] | None = Scenario
    description = None
    for part in key.split("."):
        if model is None or part not in model.model_fields:
            continue  # a list index or item name: stay on the item model
        field = model.model_fields[part]
        description = field.description
        model = _inner_model(field.annotation)
    if not description:
        return key
    return key + "\n" + "\n".join(textwrap.wrap(description.rstrip("."), width)[:2])


def _inner_model(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def plot_sweep(
    sweep: pd.DataFrame,
    metric: str,
    parameter: str,
    *,
    ax: Axes | None = None,
    variants: list[str] | None = None,
    legend: bool = True,
) -> Axes:
    """Mean ``metric`` (95% CI across replications) against ``parameter``, one series per variant.

    Points are joined by lines only when ``parameter`` is the one parameter varied (a grid);
    with several varied together (sampled designs) each point is a sample.
    """
    style = metric_style(metric)
    rows = sweep[sweep["metric"].astype(str) == metric].assign(
        variant=lambda f: f["variant"].astype(str)
    )
    joined = swept_parameters(sweep) == [parameter]
    order = variant_order(rows, variants)
    palette = colours(variants or order)
    ax = axes_or_new(ax)
    values = rows[parameter].to_numpy(dtype=float)
    spread = float(np.ptp(values)) if len(values) else 0.0
    for i, variant in enumerate(order):
        part = rows[rows["variant"] == variant].sort_values(parameter)
        # Dodge the variants a little so their intervals do not hide each other.
        x = part[parameter].to_numpy(dtype=float) + (i - (len(order) - 1) / 2) * 0.02 * spread
        mean = part["mean"].to_numpy(dtype=float) * style.scale
        low = part["ci_low"].to_numpy(dtype=float) * style.scale
        high = part["ci_high"].to_numpy(dtype=float) * style.scale
        ok = np.isfinite(low) & np.isfinite(high)
        err = np.vstack([np.where(ok, mean - low, 0), np.where(ok, high - mean, 0)])
        ax.errorbar(
            x,
            mean,
            yerr=err,
            color=palette.get(variant, "C0"),
            marker="o",
            markersize=4,
            capsize=3,
            linestyle="-" if joined else "none",
            linewidth=1.2,
            label=variant,
        )
    ax.set_title(f"{style.label[:1].upper() + style.label[1:]} vs {parameter.split('.')[-1]}")
    ax.set_xlabel(parameter_label(parameter))
    if len(values) and np.all(values == np.round(values)):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(style.axis())
    if legend:
        ax.legend(fontsize="small")
    return ax


def sensitivity_index(sensitivity: pd.DataFrame) -> str:
    """The index to rank by: Morris mu* or Sobol ST."""
    present = set(sensitivity["index"].astype(str))
    return next((i for i in ("mu_star", "ST", "S1") if i in present), sorted(present)[0])


def plot_sensitivity(
    sensitivity: pd.DataFrame,
    metric: str,
    *,
    ax: Axes | None = None,
    index: str | None = None,
    variants: list[str] | None = None,
    legend: bool = True,
) -> Axes:
    """Horizontal bars of a sensitivity index per parameter, most influential on top, per
    variant."""
    style = metric_style(metric)
    index = index or sensitivity_index(sensitivity)
    rows = sensitivity[
        (sensitivity["metric"].astype(str) == metric) & (sensitivity["index"].astype(str) == index)
    ]
    rows = rows.assign(variant=rows["variant"].astype(str))
    scale = style.scale if index in ("mu_star", "sigma") else 1.0
    ranking = rows.groupby("parameter")["value"].mean().sort_values(ascending=False).index.tolist()
    order = variant_order(rows, variants)
    palette = colours(variants or order)
    height = 0.8 / max(len(order), 1)
    ax = axes_or_new(ax)
    for i, variant in enumerate(order):
        part = rows[rows["variant"] == variant].set_index("parameter").reindex(ranking)
        y = np.arange(len(ranking)) + (i - (len(order) - 1) / 2) * height
        conf = part["conf"].to_numpy(dtype=float) * scale
        ax.barh(
            y,
            part["value"].to_numpy(dtype=float) * scale,
            height * 0.95,
            color=palette.get(variant, "C0"),
            xerr=np.where(np.isfinite(conf), conf, 0),
            capsize=2,
            label=variant,
            error_kw={"linewidth": 0.8},
        )
    ax.set_yticks(range(len(ranking)), ranking, fontsize=8)
    ax.set_ylim(len(ranking) - 0.5, -0.5)
    unit = difference_unit(style) if index in ("mu_star", "sigma") else "share of variance"
    ax.set_xlabel(f"{INDEX_SHORT.get(index, index)} ({unit})")
    ax.set_ylabel("uncertain parameter")
    ax.set_title(f"Sensitivity of {style.label}")
    if legend:
        ax.legend(fontsize="small", loc="lower right")
    return ax
