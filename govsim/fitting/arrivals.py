"""Arrival rates and shapes: a Poisson GLM (statsmodels) of first contacts per hour and category.

The model draws first contacts of category ``c`` in hour ``h`` of day ``d`` as Poisson with mean

    population / 1000 x rate_c x intraday[h] / 24 x weekday[d] x season and surge multipliers

(shapes rescaled to mean 1), the grid, and so the street, by population share. The GLM
is that model: log mean = log(population / 1000 / 24) + a_c + b_h + g_weekday + the
windows' log multipliers (the base scenario's seasons, and its surges with their days
counted from the log's first day). Cells with the same design row (hour, weekday,
windows) are summed, which leaves the Poisson likelihood unchanged, so the design has
thousands of rows, not one per hour of the log. Shapes, rates and multipliers are
functions of the coefficients; their 95% CIs come by the delta method on the log scale.

A factor the log cannot identify (the weekday shape from less than a week; a window
covering every day of the log or none) is held at the base scenario's value (an
offset) and reported as not fitted.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from govsim.core.codes import CHANNELS
from govsim.engine.agents.residents import in_window
from govsim.fitting.data import HOURS_PER_DAY, FitData
from govsim.fitting.estimation import (
    Estimate,
    NotFitted,
    Z,
    log_normal_interval,
    poisson_interval,
    share,
)

GLM = "Poisson GLM"


@dataclass
class Window:
    """A season or surge of the base scenario, as a mask over the log's hours and categories."""

    key: tuple[str | int, ...]
    label: str
    hours: np.ndarray
    """(days, 24) bool: the window is on."""
    categories: np.ndarray
    """(categories,) bool: the categories it multiplies."""
    base: float


@dataclass
class ArrivalFit:
    estimates: list[Estimate]
    not_fitted: list[NotFitted]
    observed: np.ndarray
    """First contacts per (day, hour, category)."""
    expected: np.ndarray
    """Fitted means per (day, hour, category)."""
    streets: pd.DataFrame
    """Per street and category: first contacts, expected if rates follow population, rate, CI."""
    proportionality: dict[str, float] = field(default_factory=dict)
    """Likelihood-ratio test of population-proportional street rates (G2, df, p)."""
    dispersion: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Per category (and ``all``): Pearson chi-square of daily first contacts against the fit."""
    warnings: list[str] = field(default_factory=list)
    """What the GLM's fit says about the log (perfect separation), for the report's warnings."""


def fit_arrivals(data: FitData) -> ArrivalFit:
    scenario = data.scenario
    names = [c.name for c in scenario.categories]
    n_cat, days = len(names), data.days
    first = data.first
    created = data.times["created"][first]
    category = data.codes.category[first]
    day = np.floor(created / HOURS_PER_DAY).astype(np.int64)
    hour = np.floor(created - day * HOURS_PER_DAY).astype(np.int64).clip(0, 23)
    observed = np.bincount(
        (day * HOURS_PER_DAY + hour) * n_cat + category, minlength=days * HOURS_PER_DAY * n_cat
    ).reshape(days, HOURS_PER_DAY, n_cat)
    estimates: list[Estimate] = []
    not_fitted: list[NotFitted] = []

    start = data.start.date()
    weekday_of_day = (start.weekday() + np.arange(days)) % 7
    fit_weekday = len(np.unique(weekday_of_day)) == 7
    base_weekday = np.array(scenario.arrivals.weekday, dtype=float)
    base_weekday = base_weekday / base_weekday.mean()
    if not fit_weekday:
        not_fitted.append(NotFitted("arrivals.weekday", "the log covers less than a week"))

    windows = _windows(data, start, names)
    fitted_windows, fixed_windows = [], []
    for window in windows:
        on = window.hours.any(axis=1)
        if on.all() or not on.any():
            fixed_windows.append(window)
            not_fitted.append(
                NotFitted(
                    ".".join(map(str, window.key)),
                    f"{window.label} is on for {'every' if on.all() else 'no'} day of the log",
                )
            )
        else:
            fitted_windows.append(window)

    # Slots (day, hour) with the same hour, weekday and window states share a design row.
    slot_hour = np.tile(np.arange(HOURS_PER_DAY), days)
    slot_weekday = np.repeat(weekday_of_day, HOURS_PER_DAY)
    state = np.zeros(days * HOURS_PER_DAY, dtype=np.int64)
    for k, window in enumerate(windows):
        state |= window.hours.ravel().astype(np.int64) << k
    key = slot_hour + HOURS_PER_DAY * (slot_weekday + 7 * state)
    groups, slot_group, slots_per_group = np.unique(key, return_inverse=True, return_counts=True)
    g_hour = groups % HOURS_PER_DAY
    g_weekday = (groups // HOURS_PER_DAY) % 7
    g_state = groups // (HOURS_PER_DAY * 7)
    counts = np.zeros((len(groups), n_cat))
    np.add.at(counts, slot_group, observed.reshape(days * HOURS_PER_DAY, n_cat))

    present = np.flatnonzero(observed.sum(axis=(0, 1)) > 0)
    population = float(data.layout.population)
    cell_exposure = population / 1000 / HOURS_PER_DAY
    rows = [(g, c) for c in present for g in range(len(groups))]
    g_idx = np.array([g for g, _ in rows], dtype=np.int64)
    c_idx = np.array([c for _, c in rows], dtype=np.int64)
    y = counts[g_idx, c_idx]
    base_intraday = np.array(scenario.arrivals.intraday, dtype=float)
    base_intraday = base_intraday / base_intraday.mean()

    def design(
        fit_hour: bool, fit_weekday: bool, fitted: list[Window]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The GLM's design matrix and offset: the shapes it fits are columns, the others
        (and the windows not in ``fitted``) the base's values in the offset."""
        offset = np.log(slots_per_group[g_idx] * cell_exposure)
        if not fit_hour:
            offset = offset + np.log(np.maximum(base_intraday[g_hour[g_idx]], 1e-300))
        if not fit_weekday:
            offset = offset + np.log(np.maximum(base_weekday[g_weekday[g_idx]], 1e-300))
        for window in windows:
            if window in fitted:
                continue
            k = windows.index(window)
            on = ((g_state[g_idx] >> k) & 1).astype(bool) & window.categories[c_idx]
            offset = offset + np.where(on, np.log(max(window.base, 1e-300)), 0.0)
        columns: list[np.ndarray] = [(c_idx == c).astype(float) for c in present]
        if fit_hour:
            columns += [(g_hour[g_idx] == h).astype(float) for h in range(1, HOURS_PER_DAY)]
        if fit_weekday:
            columns += [(g_weekday[g_idx] == w).astype(float) for w in range(1, 7)]
        for window in fitted:
            k = windows.index(window)
            columns.append(
                (((g_state[g_idx] >> k) & 1).astype(bool) & window.categories[c_idx]).astype(float)
            )
        return np.column_stack(columns), offset

    fit_hour = True
    X, offset = design(fit_hour, fit_weekday, fitted_windows)
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")  # said once in the report, not printed per iteration
        result = _poisson_glm(y, X, offset)
        if result is None:
            # Shapes the log leaves empty (several hours without a first contact, say) drive
            # the IRLS to non-finite weights: hold every shape and window at the base's and
            # fit the rates alone, which a category with first contacts always identifies.
            why = "the arrival GLM could not be estimated on this log: the base's value"
            not_fitted.append(NotFitted("arrivals.intraday", why))
            if fit_weekday:
                not_fitted.append(NotFitted("arrivals.weekday", why))
            for window in fitted_windows:
                fixed_windows.append(window)
                not_fitted.append(NotFitted(".".join(map(str, window.key)), why))
            fit_hour, fit_weekday, fitted_windows = False, False, []
            X, offset = design(fit_hour, fit_weekday, fitted_windows)
            result = _RatesAlone(y, X, offset)
    notes = []
    if not fit_hour:
        notes.append(
            "the arrival GLM could not be estimated on this log (hours, weekdays or windows "
            "without a first contact drive it to non-finite weights): the intraday and weekday "
            "shapes and the windows are the base's, and only the rates are fitted"
        )
    if any(issubclass(w.category, PerfectSeparationWarning) for w in caught):
        notes.append(
            "the arrival GLM separates perfectly: an hour, weekday or window of the log has no "
            "first contact, and its factor is fitted near 0 with an unbounded CI (a short or "
            "sparse log)"
        )
    beta, cov = np.asarray(result.params), np.asarray(result.cov_params())
    n_p, n_first = len(present), int(first.sum())
    i_hour = n_p + np.arange(HOURS_PER_DAY - 1 if fit_hour else 0)
    i_weekday = n_p + len(i_hour) + np.arange(6 if fit_weekday else 0)
    i_window = n_p + len(i_hour) + len(i_weekday) + np.arange(len(fitted_windows))

    def delta(gradient: np.ndarray, value: float) -> tuple[float, float, float]:
        return log_normal_interval(value, float(np.sqrt(gradient @ cov @ gradient)))

    def shape(indices: np.ndarray, size: int, key: str, what: str) -> np.ndarray:
        b = np.concatenate([[0.0], beta[indices]])
        w = np.exp(b) / np.exp(b).sum()
        for j in range(size):
            g = np.zeros(len(beta))
            g[indices] = -w[1:]
            if j > 0:
                g[indices[j - 1]] += 1.0
            value, low, high = delta(g, float(b[j] - np.log(np.exp(b).mean())))
            estimates.append(
                Estimate((*key.split("."), j), value, low, high, f"{GLM} ({what})", n_first)
            )
        return w

    w_hour = (
        shape(i_hour, HOURS_PER_DAY, "arrivals.intraday", "hour of day, mean 1")
        if fit_hour
        else base_intraday / base_intraday.sum()
    )
    w_weekday = shape(i_weekday, 7, "arrivals.weekday", "weekday, mean 1") if fit_weekday else None
    hour_scale = np.log(np.exp(np.concatenate([[0.0], beta[i_hour]])).mean()) if fit_hour else 0.0
    weekday_scale = (
        np.log(np.exp(np.concatenate([[0.0], beta[i_weekday]])).mean()) if fit_weekday else 0.0
    )

    rate_of = np.zeros(n_cat)
    for position, c in enumerate(present):
        g = np.zeros(len(beta))
        g[position] = 1.0
        if fit_hour:
            g[i_hour] = w_hour[1:]
        if w_weekday is not None:
            g[i_weekday] = w_weekday[1:]
        value, low, high = delta(g, float(beta[position] + hour_scale + weekday_scale))
        rate_of[c] = value
        n_c = int(observed[..., c].sum())
        estimates.append(
            Estimate(
                ("categories", names[c], "rate"),
                value,
                low,
                high,
                f"{GLM} (per 1,000 residents a day)",
                n_c,
            )
        )
    for column, window in zip(i_window, fitted_windows, strict=True):
        se = float(np.sqrt(cov[column, column]))
        value, low, high = log_normal_interval(float(beta[column]), se)
        inside = window.hours[..., None] & window.categories[None, None, :]
        n_on = int(observed[inside].sum())  # first contacts the window multiplies
        estimates.append(
            Estimate((*window.key, "multiplier"), value, low, high, f"{GLM} ({window.label})", n_on)
        )

    fitted = np.exp(X @ beta + offset)
    expected_groups = np.zeros((len(groups), n_cat))
    expected_groups[g_idx, c_idx] = fitted
    expected = (expected_groups / slots_per_group[:, None])[slot_group].reshape(
        days, HOURS_PER_DAY, n_cat
    )
    _zero_rates(
        data,
        observed,
        expected,
        estimates,
        names,
        present,
        w_hour,
        w_weekday,
        base_weekday,
        windows,
        weekday_of_day,
    )
    estimates += _channels(data)
    streets, test = _streets(data, observed, expected, rate_of, names)
    dispersion = _dispersion(observed, expected, names)
    return ArrivalFit(estimates, not_fitted, observed, expected, streets, test, dispersion, notes)


class _RatesAlone:
    """The Poisson MLE of a design of category indicators alone, in closed form:
    exp(a_c) = sum of y_c over sum of exp(offset_c), with variance 1 / sum of y_c on the
    log scale (the Fisher information), for a log the full GLM cannot be estimated on.
    Finite whenever each category has a first contact (the design's categories do)."""

    def __init__(self, y: np.ndarray, X: np.ndarray, offset: np.ndarray) -> None:
        observed = X.T @ y
        exposure = X.T @ np.exp(offset)
        self.params = np.log(observed) - np.log(exposure)
        self._cov = np.diag(1.0 / observed)

    def cov_params(self) -> np.ndarray:
        return self._cov


def _poisson_glm(y: np.ndarray, X: np.ndarray, offset: np.ndarray) -> Any | None:
    """The fitted Poisson GLM, or None where the IRLS breaks down (non-finite weights, or
    coefficients or covariances that are not finite)."""
    try:
        result = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit()
    except (ValueError, np.linalg.LinAlgError):
        return None
    if not (np.isfinite(result.params).all() and np.isfinite(result.cov_params()).all()):
        return None
    return result


def _dispersion(observed: np.ndarray, expected: np.ndarray, names: list[str]) -> pd.DataFrame:
    """Do the days vary more than Poisson around the fit? (a window the base lacks shows here)

    Pearson chi-square of the daily counts, with one degree of freedom per day less the
    about ``8 + windows`` the fit spends on a category's daily level (a guide, not exact).
    """
    rows = []
    daily_obs = observed.sum(axis=1)  # (days, categories)
    daily_exp = expected.sum(axis=1)
    columns = [(name, daily_obs[:, c], daily_exp[:, c]) for c, name in enumerate(names)]
    columns.append(("all", daily_obs.sum(axis=1), daily_exp.sum(axis=1)))
    for name, obs, exp in columns:
        keep = exp > 0
        if keep.sum() < 2:
            continue
        chi2 = float(((obs[keep] - exp[keep]) ** 2 / exp[keep]).sum())
        df = int(keep.sum()) - 1
        rows.append({"category": name, "chi2": chi2, "df": df, "p": float(stats.chi2.sf(chi2, df))})
    return pd.DataFrame(rows)


def _windows(data: FitData, start: dt.date, names: list[str]) -> list[Window]:
    """The base's seasons and surges over the log's days (surges counted from the log's start)."""
    days = data.days
    arrivals = data.scenario.arrivals
    out = []
    dates = [start + dt.timedelta(days=d) for d in range(days)]
    for i, season in enumerate(arrivals.seasons):
        on_day = np.array([in_window((d.month, d.day), season) for d in dates])
        hours = np.repeat(on_day[:, None], HOURS_PER_DAY, axis=1)
        out.append(
            Window(
                ("arrivals", "seasons", i),
                f"season '{season.name}'",
                hours,
                _mask(season.categories, names),
                season.multiplier,
            )
        )
    midpoints = np.arange(days * HOURS_PER_DAY).reshape(days, HOURS_PER_DAY) + 0.5
    for i, surge in enumerate(arrivals.surges):
        hours = (midpoints >= surge.start_day * HOURS_PER_DAY) & (
            midpoints < surge.end_day * HOURS_PER_DAY
        )
        out.append(
            Window(
                ("arrivals", "surges", i),
                f"surge '{surge.name}'",
                hours,
                _mask(surge.categories, names),
                surge.multiplier,
            )
        )
    return out


def _mask(categories: list[str] | None, names: list[str]) -> np.ndarray:
    return np.array([categories is None or n in categories for n in names])


def _zero_rates(
    data,
    observed,
    expected,
    estimates,
    names,
    present,
    w_hour,
    w_weekday,
    base_weekday,
    windows,
    weekday_of_day,
) -> None:
    """Categories without a single first contact: rate 0, exact Poisson upper bound."""
    absent = [c for c in range(len(names)) if c not in set(present.tolist())]
    if not absent:
        return
    hour_shape = w_hour * len(w_hour)
    day_shape = (
        (w_weekday * 7)[weekday_of_day] if w_weekday is not None else base_weekday[weekday_of_day]
    )
    exposure_cells = (
        data.layout.population / 1000 / HOURS_PER_DAY * day_shape[:, None] * hour_shape[None, :]
    )
    for c in absent:
        multiplier = np.ones_like(exposure_cells)
        for window in windows:
            if window.categories[c]:
                multiplier = np.where(window.hours, multiplier * window.base, multiplier)
        exposure = float((exposure_cells * multiplier).sum())
        high = poisson_interval(0)[1] / exposure if exposure > 0 else float("inf")
        estimates.append(
            Estimate(
                ("categories", names[c], "rate"),
                0.0,
                0.0,
                high,
                "no first contact in the log (exact Poisson bound)",
                0,
            )
        )


def _channels(data: FitData) -> list[Estimate]:
    channel = data.channel[data.first]
    n = len(channel)
    return [
        share(
            ("arrivals", "channels", name), int((channel == i).sum()), n, "share of first contacts"
        )
        for i, name in enumerate(CHANNELS)
    ]


def _streets(
    data: FitData, observed: np.ndarray, expected: np.ndarray, rate: np.ndarray, names: list[str]
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Rates per street and category, and a test of the model's population-proportional streets."""
    layout = data.layout
    street_pop = np.bincount(
        layout.grid_street(), weights=layout.grid_population(), minlength=len(layout.streets)
    )
    share_pop = street_pop / street_pop.sum()
    first = data.first
    n_sc = np.zeros((len(layout.streets), len(names)), dtype=np.int64)
    np.add.at(n_sc, (data.codes.street[first], data.codes.category[first]), 1)
    mu_c = expected.sum(axis=(0, 1))
    rows, g2, df = [], 0.0, 0
    for c, name in enumerate(names):
        n_c = n_sc[:, c].sum()
        for s, street in enumerate(layout.streets):
            mu = mu_c[c] * share_pop[s]
            low, high = poisson_interval(int(n_sc[s, c]))
            scale = rate[c] / mu if mu > 0 else np.nan
            rows.append(
                {
                    "street": street.name,
                    "category": name,
                    "first_contacts": int(n_sc[s, c]),
                    "expected": mu,
                    "rate": n_sc[s, c] * scale,
                    "low": low * scale,
                    "high": high * scale,
                }
            )
            if n_sc[s, c] > 0 and n_c > 0:
                g2 += 2 * n_sc[s, c] * np.log(n_sc[s, c] / (n_c * share_pop[s]))
        if n_c > 0:
            df += int((share_pop > 0).sum()) - 1
    p = float(stats.chi2.sf(g2, df)) if df > 0 else float("nan")
    return pd.DataFrame(rows), {"G2": float(g2), "df": float(df), "p": p, "z": Z}
