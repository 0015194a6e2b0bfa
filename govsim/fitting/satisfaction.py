"""The satisfaction model from callback ratings: an ordinal logit (statsmodels ``OrderedModel``).

The model (the verification call, ``govsim/engine/agents/verification.py``) rates a case with
a standard logistic draw ``z``:

    score = intercept + resolved_effect * resolved
            - lateness_effect * max(0, (closed - created) / limit - 1)
            - handoff_effect * (escalations + returns + whistles)
    satisfied if z < score; basic if z < score + basic_gap; else unsatisfied

with ``limit`` the category's response time limit (its department's, else its urgency
class's). That is an ordered logit with levels satisfied < basic < unsatisfied, thresholds
(intercept, intercept + basic_gap) and coefficients (-resolved_effect, lateness_effect,
handoff_effect): ``OrderedModel`` estimates the first threshold and the log of the gap, so
the scenario's keys and their 95% CIs follow directly (the gap's by exponentiating its log's
interval).

A covariate the log cannot give (no ``resolved``, no hand-off counts, no late case) is
left out of the fit and its coefficient kept from the base scenario.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from statsmodels.miscmodels.ordinal_model import OrderedModel

from govsim.core.codes import SATISFACTION_LEVELS
from govsim.fitting.data import FitData
from govsim.fitting.estimation import Estimate, NotFitted, Z

METHOD = "ordinal logit of callback ratings"
KEY = ("feedback", "satisfaction")


class CountedOrderedModel(OrderedModel):
    """statsmodels' ordered model with frequency weights: row i stands for ``counts[i]`` cases.

    Only the log-likelihood is weighted; the score and the Hessian (hence the standard
    errors) are statsmodels' numerical derivatives of it, as for the unweighted model.
    """

    counts: np.ndarray

    def loglike(self, params: np.ndarray) -> float:
        return float(self.counts @ self.loglikeobs(params))


def satisfaction_covariates(data: FitData) -> pd.DataFrame:
    """Rated cases: their rating code and the model's covariates (resolved, lateness, hand-offs)."""
    rated = (data.satisfaction >= 0) & np.isfinite(
        data.times.get("closed", np.full(data.n, np.nan))
    )
    limits = np.array(data.scenario.category_limits())
    closed = data.times["closed"][rated] if "closed" in data.times else np.zeros(0)
    late = np.maximum(
        (closed - data.times["created"][rated]) / limits[data.codes.category[rated]] - 1.0, 0.0
    )
    handoffs = np.zeros(int(rated.sum()))
    for name in ("escalations", "returns", "whistles"):
        if name in data.counts:
            handoffs += np.maximum(data.counts[name][rated], 0)
    return pd.DataFrame(
        {
            "rating": data.satisfaction[rated],
            "resolved": data.resolved[rated],
            "lateness": late,
            "handoffs": handoffs,
        }
    )


def fit_satisfaction(data: FitData) -> tuple[list[Estimate], list[NotFitted], pd.DataFrame | None]:
    if not data.has("satisfaction", "closed"):
        return (
            [],
            [NotFitted("feedback.satisfaction", "the log has no satisfaction or closed")],
            None,
        )
    table = satisfaction_covariates(data)
    missing: list[NotFitted] = []
    use = []
    if data.has("resolved") and table["resolved"].notna().all() and table["resolved"].nunique() > 1:
        use.append(("resolved", "resolved_effect", -1.0))
    else:
        missing.append(
            NotFitted(
                "feedback.satisfaction.resolved_effect",
                "resolved is not given for every rated case, or never varies",
            )
        )
    if (table["lateness"] > 0).sum() >= 5:
        use.append(("lateness", "lateness_effect", 1.0))
    else:
        missing.append(
            NotFitted("feedback.satisfaction.lateness_effect", "fewer than 5 rated cases were late")
        )
    counted = [n for n in ("escalations", "returns", "whistles") if n in data.counts]
    if counted and table["handoffs"].nunique() > 1:
        use.append(("handoffs", "handoff_effect", 1.0))
        if len(counted) < 3:
            missing.append(
                NotFitted(
                    "feedback.satisfaction.handoff_effect (part)",
                    f"hand-offs counted from {', '.join(counted)} only",
                )
            )
    else:
        missing.append(
            NotFitted("feedback.satisfaction.handoff_effect", "the log has no hand-off counts")
        )
    levels = table["rating"].nunique()
    if levels < 3:
        return (
            [],
            [NotFitted("feedback.satisfaction", "the log's ratings do not use all three levels")],
            table,
        )
    if not use:
        return (
            [],
            [
                *missing,
                NotFitted("feedback.satisfaction", "no covariate of the model varies in the log"),
            ],
            table,
        )
    columns = [column for column, _, _ in use]
    # Identical rows (on-time cases with the same outcome and hand-offs: most of them) are
    # fitted once and counted: the likelihood is the same, the fit ten times faster.
    rows = table.groupby(["rating", *columns], sort=False).size().reset_index(name="count")
    endog = pd.Series(
        pd.Categorical.from_codes(
            rows["rating"].to_numpy(), categories=pd.Index(list(SATISFACTION_LEVELS)), ordered=True
        )
    )
    exog = rows[columns].astype(float)
    model = CountedOrderedModel(endog, exog, distr="logit")
    model.counts = rows["count"].to_numpy(dtype=float)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):  # convergence checked below
            warnings.simplefilter("ignore")
            result = model.fit(method="bfgs", disp=False, maxiter=1000)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:  # a degenerate design
        return (
            [],
            [*missing, NotFitted("feedback.satisfaction", f"the ordinal logit failed ({exc})")],
            table,
        )
    if not result.mle_retvals.get("converged", True):
        return (
            [],
            [*missing, NotFitted("feedback.satisfaction", "the ordinal logit did not converge")],
            table,
        )
    params = np.asarray(result.params)
    se = np.asarray(result.bse)
    n = len(table)
    estimates = []
    for i, (_, key, sign) in enumerate(use):
        value = sign * params[i]
        low, high = sorted((sign * (params[i] - Z * se[i]), sign * (params[i] + Z * se[i])))
        estimates.append(Estimate((*KEY, key), value, low, high, METHOD, n))
    cut, log_gap = params[len(use)], params[len(use) + 1]
    se_cut, se_gap = se[len(use)], se[len(use) + 1]
    estimates.append(
        Estimate((*KEY, "intercept"), cut, cut - Z * se_cut, cut + Z * se_cut, METHOD, n)
    )
    estimates.append(
        Estimate(
            (*KEY, "basic_gap"),
            float(np.exp(log_gap)),
            float(np.exp(log_gap - Z * se_gap)),
            float(np.exp(log_gap + Z * se_gap)),
            METHOD,
            n,
        )
    )
    return estimates, missing, table


def predicted_shares(table: pd.DataFrame, coefficients: dict[str, float]) -> np.ndarray:
    """P(satisfied), P(basic), P(unsatisfied) per rated case under ``coefficients`` (by key)."""
    score = (
        coefficients["intercept"]
        + coefficients["resolved_effect"] * table["resolved"].fillna(0).to_numpy()
        - coefficients["lateness_effect"] * table["lateness"].to_numpy()
        - coefficients["handoff_effect"] * table["handoffs"].to_numpy()
    )
    satisfied = 1 / (1 + np.exp(-score))
    at_least_basic = 1 / (1 + np.exp(-(score + coefficients["basic_gap"])))
    return np.column_stack([satisfied, at_least_basic - satisfied, 1 - at_least_basic])
