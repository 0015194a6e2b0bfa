"""Deadline bunching: do closures pile up just before their time limit?

A unit assessed on lateness and pressed to avoid it can close a case (on paper if need be)
just before its limit runs out; the English four-hour emergency target did this (12.3% of
admitted patients left in its last 20 minutes, Locker & Mason 2005). The closed work
orders' times to close over their limit, ``ratio`` (1 at the limit), show it as a bunch
just below 1 (issue 28).

The statistic (:func:`bunching`) is the excess mass of bunching studies (Chetty et al.
2011, Kleven 2016): the closures with a ratio in the last ``window`` before the limit
(``[1 - window, 1)``) against a smooth counterfactual, a polynomial of ``degree`` fitted to
the log of the histogram's counts over ``span`` (bins of ``bin_width``; a Poisson GLM,
statsmodels, so sparse and falling counts fit) leaving out the window on both sides of the
limit (``[1 - window, 1 + window)``), where closures are moved from and to. ``excess`` =
observed / counterfactual - 1 in the window before the limit: 0 with no bunch, 1 when
twice the closures the smooth density predicts close there. Beside it, the plain
``ratio_before_after``: the closures in the window before the limit over those in the
window after it (about 1, a little more as the density falls, with no bunch). Closures
moved from beyond the window after the limit lower the fit there, and so the
counterfactual: the excess then overstates the closures moved a little (+0.49 for 1,500
moved onto 3,700 expected, +0.40, in tests/test_assessment_evidence.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

WINDOW = 0.15
"""The last 15% of the limit (18 min of 2 h, 3.6 h of 24 h, 25 h of 7 days, 54 h of 15
days): the English target's last 20 minutes were 8% of its 4 hours, and the assessment
mechanism's deadline rush closes at 90% of the limit by default (``rush_margin``), which
the window holds with room either side, so that no rounding at its edge decides."""
SPAN = (0.5, 1.5)
BIN_WIDTH = 0.02
DEGREE = 2


@dataclass(frozen=True)
class Bunching:
    """Closures around one limit: observed and counterfactual counts in the windows."""

    closures: int
    """Closures with a ratio within the span."""
    before: int
    """Closures in ``[1 - window, 1)``."""
    after: int
    """Closures in ``[1, 1 + window)``."""
    counterfactual_before: float
    counterfactual_after: float

    @property
    def excess(self) -> float:
        """Observed over counterfactual closures just before the limit, minus 1 (NaN when
        the counterfactual expects fewer than one closure there: nothing to compare)."""
        cf = self.counterfactual_before
        return self.before / cf - 1.0 if cf >= 1 else float("nan")

    @property
    def ratio_before_after(self) -> float:
        """Closures just before the limit over closures just after it."""
        return self.before / self.after if self.after else float("nan")


def bunching(
    ratio: np.ndarray,
    window: float = WINDOW,
    span: tuple[float, float] = SPAN,
    bin_width: float = BIN_WIDTH,
    degree: int = DEGREE,
) -> Bunching:
    """The bunch of ``ratio`` (time to close over the limit) just below 1; see the module."""
    centres, counts = histogram(ratio, span, bin_width)
    smooth = counterfactual(centres, counts, window, degree)
    before, after = _windows(centres, window)
    return Bunching(
        int(counts.sum()),
        int(counts[before].sum()),
        int(counts[after].sum()),
        float(smooth[before].sum()),
        float(smooth[after].sum()),
    )


def histogram(
    ratio: np.ndarray, span: tuple[float, float] = SPAN, bin_width: float = BIN_WIDTH
) -> tuple[np.ndarray, np.ndarray]:
    """The bins' centres and counts of ``ratio`` over ``span``."""
    edges = np.arange(span[0], span[1] + bin_width / 2, bin_width)
    counts, _ = np.histogram(np.asarray(ratio, dtype=float), bins=edges)
    return (edges[:-1] + edges[1:]) / 2, counts


def counterfactual(
    centres: np.ndarray, counts: np.ndarray, window: float = WINDOW, degree: int = DEGREE
) -> np.ndarray:
    """The smooth counts per bin: a Poisson GLM of the counts on a polynomial of ``degree``
    in the ratio, fitted to the bins outside the windows either side of the limit (NaN
    when they hold no closure)."""
    before, after = _windows(centres, window)
    outside = ~(before | after)
    if counts[outside].sum() == 0 or outside.sum() <= degree:
        return np.full(len(centres), np.nan)
    design = np.vander(centres - 1.0, degree + 1)
    import statsmodels.api as sm  # (a second's import: only where a bunch is measured)

    fit = sm.GLM(counts[outside], design[outside], family=sm.families.Poisson()).fit()
    return np.asarray(fit.predict(design), dtype=float)


def _windows(centres: np.ndarray, window: float) -> tuple[np.ndarray, np.ndarray]:
    return (centres >= 1 - window) & (centres < 1), (centres >= 1) & (centres < 1 + window)


def deadline_ratios(closed: pd.DataFrame, limits: dict[str, float]) -> pd.DataFrame:
    """``closed`` (work orders with ``urgency`` and ``hours`` to close, as
    :func:`govsim.plots.closing.closed_hours` gives them) with ``limit`` (hours, the urgency
    class's from ``limits``) and ``ratio`` = hours / limit; classes without a limit left out.

    The urgency class's limit is the limit of its cases unless a category's department sets
    its own (``departments[].limit_hours``); in the shipped scenarios only water does, at the
    24 h of its utility class.
    """
    limit = closed["urgency"].astype(str).map(limits).astype(float)
    frame = closed.assign(limit=limit).dropna(subset=["limit"])
    return frame.assign(ratio=frame["hours"].astype(float) / frame["limit"])


def bunching_table(
    ratios: pd.DataFrame, by: list[str] | None = None, **options: float
) -> pd.DataFrame:
    """:func:`bunching` per urgency class (and per ``by`` columns, e.g. variant and
    replication) of :func:`deadline_ratios`' frame: one row each with the counts, ``excess``
    and ``ratio_before_after``."""
    keys = [*(by or []), "urgency", "limit"]
    rows = []
    for key, group in ratios.groupby(keys, observed=True, sort=False):
        b = bunching(group["ratio"].to_numpy(), **options)  # type: ignore[arg-type]
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "closures": b.closures,
                "before": b.before,
                "after": b.after,
                "counterfactual_before": b.counterfactual_before,
                "excess": b.excess,
                "ratio_before_after": b.ratio_before_after,
            }
        )
    return pd.DataFrame(rows)
