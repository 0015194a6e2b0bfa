"""``govsim discover``: scenario discovery with PRIM over an experiment's sampled uncertainties.

Which combinations of uncertain parameters lead to an outcome above (or below) a value?
Each sample of the experiment is one point: its parameter values, and whether the mean
of the outcome over its replications crosses the value (a *case of interest*). PRIM
(Friedman and Fisher 1999) peels the parameter box a little at a time, keeping the part
with the most cases of interest, and records the trade-off: *coverage* (share of all
cases of interest inside the box) against *density* (share of the points inside that are
cases of interest). The box reported is the one with the highest coverage whose density
reaches ``density``; the whole trajectory is in the table.

The algorithm is EMA Workbench's (``ema_workbench.analysis.prim``, maintained by the
exploratory-modelling community); govsim adds the data plumbing, the box choice, the
tables and the figure.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from govsim.core.errors import UserInputError
from govsim.core.io import atomic_write

MIN_POINTS = 10


@dataclass
class Discovery:
    """The peeling trajectory, the chosen box and what was written."""

    trajectory: pd.DataFrame
    box: pd.DataFrame
    chosen: int
    outcome: str
    rule: str
    points: int
    cases: int
    written: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        row = self.trajectory.loc[self.trajectory["box"] == self.chosen].iloc[0]
        lines = [
            f"{self.outcome} {self.rule}: {self.cases} of {self.points} samples of interest",
            f"box {self.chosen}: coverage {row['coverage']:.2f}, density {row['density']:.2f}, "
            f"mass {row['mass']:.2f} ({int(row['n'])} samples inside)",
        ]
        restricted = self.box[self.box["restricted"]]
        for _, b in restricted.iterrows():
            lines.append(
                f"  {b['parameter']}: [{b['min']:.4g}, {b['max']:.4g}] of "
                f"[{b['low']:.4g}, {b['high']:.4g}]  (quasi-p {b['qp']:.2g})"
            )
        if restricted.empty:
            lines.append("  no parameter restricted: the cases of interest are spread everywhere")
        return "\n".join(lines)


def find_box(
    x: pd.DataFrame,
    y: np.ndarray,
    density: float = 0.8,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
    integers: Collection[str] = (),
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """PRIM over ``x`` (points x parameters) for the cases of interest ``y`` (booleans).

    Returns the peeling trajectory (one row per box, with each parameter's limits), the
    chosen box (one row per parameter) and its number on the trajectory. The limits of the
    ``integers`` parameters (head counts) are rounded inward to whole numbers: the box then
    holds exactly the whole values that PRIM's box held.
    """
    prim = _prim()
    y = np.asarray(y, dtype=bool).astype(float)
    x = x.reset_index(drop=True).astype(float)
    logging.getLogger("EMA").setLevel(logging.WARNING)
    # EMA's threshold marks the cases of interest (y >= threshold: the ones of a 0/1 y) and is
    # the density the final box must reach to be kept; a tiny one keeps the peeled box whatever
    # its density, and the box reported is chosen below by `density`.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = prim.Prim(x, y, threshold=1e-9, peel_alpha=peel_alpha, mass_min=mass_min)
        box = search.find_box()
    trajectory = box.peeling_trajectory.rename(columns={"id": "box"}).copy()
    for i, lims in enumerate(box.box_lims):
        for p in x.columns:
            low, high = float(lims.loc[0, p]), float(lims.loc[1, p])
            if p in integers:
                low, high = _inward(low, high)
            trajectory.loc[i, f"{p}_min"] = low
            trajectory.loc[i, f"{p}_max"] = high
    good = trajectory.index[trajectory["density"] >= density]
    chosen = int(good[0]) if len(good) else int(trajectory["density"].idxmax())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = box.inspect(chosen, style="data")[0][1]
    qp = stats.xs("qp value", axis=1, level=1) if isinstance(stats.columns, pd.MultiIndex) else None
    rows = []
    for p in x.columns:
        lo, hi = trajectory.loc[chosen, f"{p}_min"], trajectory.loc[chosen, f"{p}_max"]
        low, high = float(x[p].min()), float(x[p].max())
        q = (
            float(np.nanmin(qp.loc[p].to_numpy(dtype=float)))
            if qp is not None and p in qp.index
            else np.nan
        )
        rows.append(
            {
                "parameter": p,
                "min": lo,
                "max": hi,
                "low": low,
                "high": high,
                "restricted": bool(lo > low or hi < high),
                "qp": q,
            }
        )
    trajectory["chosen"] = trajectory["box"] == chosen
    return trajectory, pd.DataFrame(rows), chosen


def discover(
    folder: str | Path,
    outcome: str,
    value: float,
    *,
    above: bool = True,
    variant: str | None = None,
    density: float = 0.8,
    peel_alpha: float = 0.05,
    write: bool = True,
) -> Discovery:
    """PRIM on the experiment in ``folder``; write ``discovery.parquet``, ``discovery_box.parquet``
    and ``figures/discovery.png|svg`` there."""
    from govsim.results.loading import ExperimentData, load

    data = load(folder)
    if not isinstance(data, ExperimentData):
        raise UserInputError(
            "not an experiment folder (discover needs sampled uncertainties)", source=str(folder)
        )
    x, means = _points(data, outcome, variant)
    y = means > value if above else means < value
    rule = f"{'>' if above else '<'} {value:g}"
    if y.all() or not y.any():
        raise UserInputError(
            f"{'every' if y.all() else 'no'} sample has {outcome} {rule} (sample means run "
            f"from {means.min():.4g} to {means.max():.4g}); choose a value inside that range",
            source=str(folder),
        )
    integers = _integer_parameters(data, list(x.columns))
    trajectory, box, chosen = find_box(
        x, y, density=density, peel_alpha=peel_alpha, integers=integers
    )
    box["integer"] = box["parameter"].isin(integers)
    trajectory.insert(0, "outcome", outcome)
    trajectory.insert(1, "rule", rule)
    result = Discovery(trajectory, box, chosen, outcome, rule, len(x), int(y.sum()))
    if write:
        target = Path(folder)
        for name, table in (("discovery", trajectory), ("discovery_box", box)):
            atomic_write(target / f"{name}.parquet", _writer(table))
            result.written.append(target / f"{name}.parquet")
    return result


def _points(data: object, outcome: str, variant: str | None) -> tuple[pd.DataFrame, np.ndarray]:
    """Parameter values per sample and the sample means of ``outcome`` for one variant."""
    results: pd.DataFrame = data.results  # type: ignore[attr-defined]
    samples: pd.DataFrame = data.samples  # type: ignore[attr-defined]
    where = str(data.path)  # type: ignore[attr-defined]
    known = sorted(results["metric"].astype(str).unique()) if len(results) else []
    if outcome not in known:
        raise UserInputError(
            f"the experiment has no outcome '{outcome}' (it has: {', '.join(known)})", source=where
        )
    name = variant or data.baseline  # type: ignore[attr-defined]
    variants = [str(v) for v in results["variant"].unique()]
    if name not in variants:
        raise UserInputError(
            f"no variant '{name}' (the experiment has: {', '.join(variants)})", source=where
        )
    parameters = [
        c for c in samples.columns if c != "sample" and samples[c].nunique(dropna=True) > 1
    ]
    numeric = [c for c in parameters if pd.api.types.is_numeric_dtype(samples[c])]
    if not numeric:
        raise UserInputError("the experiment sampled no numeric uncertain parameters", source=where)
    rows = results[
        (results["variant"].astype(str) == name) & (results["metric"].astype(str) == outcome)
    ]
    means = rows.groupby("sample")["value"].mean()
    table = samples.set_index("sample").loc[means.index, numeric]
    if len(table) < MIN_POINTS:
        raise UserInputError(
            f"PRIM needs at least {MIN_POINTS} samples; the experiment has {len(table)}",
            source=where,
        )
    return table, means.to_numpy(dtype=float)


def _inward(low: float, high: float) -> tuple[float, float]:
    """``[low, high]`` shrunk to whole numbers (unchanged if no whole number lies inside)."""
    up, down = float(np.ceil(low - 1e-9)), float(np.floor(high + 1e-9))
    return (up, down) if up <= down else (low, high)


def _integer_parameters(data: object, parameters: Collection[str]) -> set[str]:
    """Parameters sampled as whole numbers: ``integer: true`` uncertainties, or integer columns."""
    experiment: dict = getattr(data, "experiment", {}) or {}
    declared = {
        u.get("key") for u in experiment.get("uncertainties") or [] if u.get("integer") is True
    }
    samples: pd.DataFrame = data.samples  # type: ignore[attr-defined]
    typed = {p for p in parameters if pd.api.types.is_integer_dtype(samples[p])}
    return {p for p in parameters if p in declared} | typed


def _writer(table: pd.DataFrame) -> Callable[[str], None]:
    return lambda path: table.to_parquet(path, index=False)


def _prim():
    """EMA Workbench's PRIM module, imported quietly (it warns about optional parallel backends)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    return prim
