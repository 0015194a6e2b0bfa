"""The three rates and the composite score: the formulas, defined once.

One public analytics formula (docs/sources.md; not an official one): the denominators are
valid callbacks; satisfaction = (satisfied + 0.9 x basically satisfied) / valid;
composite = 0.1 response + 0.5 resolution + 0.4 satisfaction unless a ranking policy
sets other weights (:func:`govsim.policies.ranking.composite_weights`). The streaming tallies
(:mod:`govsim.engine.statistics`), the table-based reference
(:mod:`govsim.results.kpis_from_cases`), the ranking policy and the calibration all compute
their rates here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, overload

from govsim.core.codes import BASIC, SATISFACTION_WEIGHT, SATISFIED

if TYPE_CHECKING:  # the formulas work on numbers, arrays and columns alike: no import at run time
    import numpy as np
    import pandas as pd

RateName = Literal["response", "resolution", "satisfaction"]
RATES: tuple[RateName, ...] = ("response", "resolution", "satisfaction")
DEFAULT_WEIGHTS: dict[RateName, float] = {"response": 0.1, "resolution": 0.5, "satisfaction": 0.4}
"""Composite weights of the public analytics formula."""


@overload
def satisfaction_points(satisfied: float, basic: float) -> float: ...
@overload
def satisfaction_points(satisfied: pd.Series, basic: pd.Series) -> pd.Series: ...
@overload
def satisfaction_points(satisfied: np.ndarray, basic: np.ndarray) -> np.ndarray: ...
def satisfaction_points(
    satisfied: float | pd.Series | np.ndarray, basic: float | pd.Series | np.ndarray
) -> float | pd.Series | np.ndarray:
    """Satisfied count 1, basically satisfied 0.9 (the public formula)."""
    return satisfied * SATISFACTION_WEIGHT[SATISFIED] + basic * SATISFACTION_WEIGHT[BASIC]


def rates_from_counts(counts: dict[str, int]) -> dict[str, float]:
    """The three rates of totals ``on_time``, ``due``, ``resolved``, ``satisfied``, ``basic``
    and ``valid`` (valid callbacks); NaN without a denominator."""
    points = satisfaction_points(float(counts["satisfied"]), float(counts["basic"]))
    valid = counts["valid"]
    return {
        "response": counts["on_time"] / counts["due"] if counts["due"] else float("nan"),
        "resolution": counts["resolved"] / valid if valid else float("nan"),
        "satisfaction": points / valid if valid else float("nan"),
    }


def add_rates(kpis: pd.DataFrame, weights: dict[str, float]) -> None:
    """Add the three rates and the composite to a table of counts, in place (NaN without a
    denominator)."""
    kpis["response_rate"] = _ratio(kpis["on_time"], kpis["due"])
    kpis["resolution_rate"] = _ratio(kpis["resolved"], kpis["valid_callbacks"])
    kpis["satisfaction_rate"] = _ratio(kpis["satisfaction_points"], kpis["valid_callbacks"])
    kpis["composite"] = composite(kpis, weights)


@overload
def composite(rates: dict[str, float], weights: dict[str, float]) -> float: ...
@overload
def composite(rates: pd.DataFrame, weights: dict[str, float]) -> pd.Series: ...
def composite(
    rates: pd.DataFrame | dict[str, float], weights: dict[str, float]
) -> pd.Series | float:
    """Weighted mean of the three rates (columns or keys ``<rate>_rate``)."""
    return sum(weights[r] * rates[f"{r}_rate"] for r in weights) / sum(weights.values())


def add_true_fix_rate(kpis: pd.DataFrame) -> None:
    """Add the true fix rate, in place: closed cases of problems whose handling really fixed
    the problem, over closed cases of problems (NaN without problems)."""
    kpis["true_fix_rate"] = _ratio(kpis["fixed_cases"], kpis["problem_cases"])


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den > 0)).astype(float)
