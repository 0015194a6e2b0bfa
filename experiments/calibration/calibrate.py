"""Calibrate the Beijing (2024, 2019) and Haidian scenarios and write docs/calibration.md.

    python experiments/calibration/calibrate.py            # full: verify + stylized facts + report
    python experiments/calibration/calibrate.py --quick    # fewer replications, no full-scale check
    python experiments/calibration/calibrate.py --fit      # refit the scenario parameters first
    python experiments/calibration/calibrate.py --fit-facts  # refit the stylized-fact parameters first

``--fit`` rewrites the fitted values in scenarios/beijing.yaml, beijing-2019.yaml and
haidian.yaml (targeted line edits, comments kept) and records how in fitted.json;
``--fit-facts`` does the same for the experiment files fact_*.yaml. Without them the
script only measures: it runs replications of the scenarios as they are and reports every
target with its 95% CI, tolerance and pass/fail. Quick mode writes to
results/calibration-quick/ unless ``--out`` says otherwise; full mode to docs/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import calib
from calib import Estimate, SimTask, over_replications

FITTED = calib.HERE / "fitted.json"
FACT_FILES = {k: calib.HERE / f"fact_{k}.yaml" for k in ("a_ranking", "b_heating", "c_governance")}
SOURCES = {
    "volume_2024": "Xinhua / Beijing press: about 24 million contacts in 2024, about 65,000 a day",
    "volume_2019": "Beijing press: 6.96 million contacts in 2019",
    "appeals_2019": "Beijing press: 2.52 million of the 2019 contacts accepted as appeals",
    "consult": "Beijing Youth Daily 2021-12: 58.5% consultations answered by the operator, 41.5% dispatched (2019-01 to 2021-11)",
    "mix": "Beijing Daily 2021-01-08: 2020 top ten categories (10,000s) of 11.04 million contacts",
    "intraday": "press; other-city 12345 studies: peaks 9-11 h and 14-16 h",
    "weekday": "press: weekdays above weekends",
    "heating": "press: heating season 15 Nov to 15 Mar",
    "operators": "press: about 1,700 operators on 750 seats, 600-700 on duty at peak, about 6 min per ticket",
    "structure": "004: 16 districts, 343 streets and townships; core issue: department set",
    "rates_2024": "Beijing press: 2024 resolution ~97%, satisfaction 97.3%, response ~100%",
    "rates_2019": "Beijing press; academic papers: 2019 resolution 75%, satisfaction 87%",
    "haidian": "001: Haidian 22 streets + 7 towns, 570 communities, 643 grids (620 community/village, 19 key-unit, 4 road), 13,922 sunk staff, 3.402 million residents",
}
SOURCE_CODES = {text: f"[{key}]" for key, text in SOURCES.items()}


# ---------------------------------------------------------------------------------------
# Targets and rows of the report
# ---------------------------------------------------------------------------------------
@dataclass
class Row:
    scenario: str
    target: str
    published: str
    source: str
    estimate: Estimate
    tolerance: str
    passed: bool | None
    fmt: str = "{:.3g}"
    how: str = ""

    def cells(self) -> list[str]:
        e = self.estimate
        if isinstance(e.mean, float) and not math.isfinite(e.mean):
            value, e = e.note, Estimate.exact(e.mean)  # a non-numeric value: shown as text
        else:
            value = self.fmt.format(e.mean)
        if e.n == 0:
            ci = "exact" if not e.note else e.note
        elif e.n == 1:
            ci = "one run"
        else:
            ci = f"{self.fmt.format(e.low)} - {self.fmt.format(e.high)} (n={e.n})"
        verdict = {True: "pass", False: "**FAIL**", None: "info"}[self.passed]
        code = SOURCE_CODES.get(self.source, self.source)
        return [self.target, self.published, code, value, ci, self.tolerance, verdict, self.how]


def relative(scenario, target, value, est, source, fmt="{:,.0f}", tol=0.05, how=""):
    ok = abs(est.mean / value - 1) <= tol
    return Row(
        scenario, target, fmt.format(value), source, est, f"±{tol:.0%} relative", ok, fmt, how
    )


def points(scenario, target, value, est, source, tol=0.02, how="", upper=None):
    hi = value + tol if upper is None else min(upper, value + tol)
    ok = value - tol <= est.mean <= hi
    return Row(
        scenario, target, f"{value:.1%}", source, est, f"±{tol * 100:.0f} points", ok, "{:.2%}", how
    )


def pct_est(values, note=""):
    return over_replications(list(values), note)


# ---------------------------------------------------------------------------------------
# Running replications
# ---------------------------------------------------------------------------------------
def scaled_runs(
    name: str,
    reps: int,
    root: int,
    workers: int,
    days: float | None = None,
    start: str | None = None,
    pilot: bool = False,
) -> list[dict]:
    full = calib.load(name)
    copy = calib.scaled_copy(full)
    update = {}
    if days is not None:
        update["days"] = float(days)
    if start is not None:
        update["start_date"] = dt.date.fromisoformat(start)
    if update:
        copy = calib.validate_data(
            {
                **copy.model_dump(mode="json"),
                **{k: str(v) if k == "start_date" else v for k, v in update.items()},
            },
            source="<copy>",
        )
    f = calib.scale_factor(full, copy)
    tasks = [
        SimTask(f"{name} r{r}", copy, s, f, pilot) for r, s in enumerate(calib.seeds(root, reps))
    ]
    return calib.execute(tasks, workers)


# ---------------------------------------------------------------------------------------
# Fitting the scenarios
# ---------------------------------------------------------------------------------------
def fit_scenarios(workers: int, iterations: int = 2) -> list[dict]:
    records: list[dict] = []
    history: list[dict] = []
    for it in range(1, iterations + 1):
        print(
            f"[fit] iteration {it}: pilot years (scaled copies, one replication each)", flush=True
        )
        pilots = {
            name: scaled_runs(name, 1, 9000 + it, workers=1, pilot=True)[0]
            for name in ("beijing", "beijing-2019")
        }
        values = fit_once(pilots)
        history.append(values)
        write_fitted_values(values)
    records = describe_fits(history)
    FITTED.write_text(json.dumps({"records": records, "iterations": history}, indent=2) + "\n")
    print(f"[fit] wrote fitted values into the scenario files and {FITTED.relative_to(calib.REPO)}")
    return records


def fit_once(pilots: dict[str, dict]) -> dict:
    """One pass of every closed-form / scipy fit against expected values from the pilots."""
    values: dict = {}
    resolutions = {}
    for name in ("beijing", "beijing-2019"):
        scenario = calib.load(name)
        infl = calib.inflation([pilots[name]])
        rates = calib.fit_rates(scenario, name, infl)
        fitted = scenario.model_copy(
            update={
                "categories": [
                    c.model_copy(update={"rate": rates[c.name]}) for c in scenario.categories
                ]
            }
        )
        theta, shares = calib.fit_consultation(fitted, name, infl)
        level = calib.fit_resolution_level(calib.RATES[name]["resolution"], pilots[name]["pilot"])
        resolutions[name] = calib.resolution_dict(level)
        first = sum(r["first"] for r in pilots[name]["by_category"].values())
        hotline_share = scenario.arrivals.channels.get("hotline", 0.0)
        call_infl = pilots[name]["calls_answered"] / (first * hotline_share)
        values[name] = {
            "rates": rates,
            "consultation_shift": theta,
            "consultation_shares": shares,
            "resolution_level": level,
            "resolution": resolutions[name],
            "inflation": infl,
            "call_inflation": call_infl,
            "expected": {
                "contacts": float(
                    sum(calib.expected_first_contacts(fitted)[c] * infl[c] for c in rates)
                ),
                "mix": calib.expected_mix(fitted, infl),
                "resolution": calib.expected_resolution(level, pilots[name]["pilot"]),
            },
            "offered_load": float(calib.hourly_offered_load(fitted, call_infl).sum()),
        }
        values[name]["_scenario"] = fitted
    spec = calib.load("beijing").feedback.satisfaction
    a, b, resid = calib.fit_satisfaction({n: pilots[n]["pilot"] for n in pilots}, resolutions, spec)
    values["satisfaction"] = {"intercept": a, "resolved_effect": b, "max_residual": resid}
    plan, coef = calib.fit_shift_plan(
        values["beijing"]["_scenario"], values["beijing"]["call_inflation"]
    )
    ratio = values["beijing-2019"]["offered_load"] / values["beijing"]["offered_load"]
    haidian = calib.load("haidian")
    pop_ratio = (
        calib.layout_of(haidian).population / calib.layout_of(calib.load("beijing")).population
    )
    values["operators"] = {
        "beijing": plan,
        "coefficients": coef,
        "load_ratio_2019": ratio,
        "population_ratio_haidian": pop_ratio,
        "beijing-2019": [max(1, round(x * ratio)) for x in plan],
        "haidian": [max(1, round(x * pop_ratio)) for x in plan],
    }
    for name in ("beijing", "beijing-2019"):
        values[name].pop("_scenario")
    return values


def write_fitted_values(values: dict) -> None:
    for name in ("beijing", "beijing-2019"):
        path = calib.SCENARIO_FILES[name]
        text = path.read_text(encoding="utf-8")
        v = values[name]
        for cat, rate in v["rates"].items():
            text = calib.patch_category(
                text,
                cat,
                rate=calib._fmt(rate),
                consultation_share=f"{v['consultation_shares'][cat]:.4f}",
            )
        text = calib.patch_line(text, "resolution_probability", calib.flow(v["resolution"]))
        text = calib.patch_line(text, "operators", calib.flow_list(values["operators"][name]))
        if name == "beijing":
            s = values["satisfaction"]
            spec = calib.load("beijing").feedback.satisfaction
            text = calib.patch_line(
                text,
                "satisfaction",
                calib.flow(
                    {
                        "intercept": f"{s['intercept']:.4f}",
                        "resolved_effect": f"{s['resolved_effect']:.4f}",
                        "lateness_effect": spec.lateness_effect,
                        "handoff_effect": spec.handoff_effect,
                        "basic_gap": spec.basic_gap,
                    }
                ),
            )
        path.write_text(text, encoding="utf-8")
    path = calib.SCENARIO_FILES["haidian"]
    text = calib.patch_line(
        path.read_text(encoding="utf-8"),
        "operators",
        calib.flow_list(values["operators"]["haidian"]),
    )
    path.write_text(text, encoding="utf-8")


def describe_fits(history: list[dict]) -> list[dict]:
    last, prev = history[-1], history[0]
    out = []

    def rec(scenario, parameter, value, method, residual="", change=""):
        out.append(
            {
                "scenario": scenario,
                "parameter": parameter,
                "value": value,
                "method": method,
                "residual": residual,
                "change_over_last_iteration": change,
            }
        )

    for name in ("beijing", "beijing-2019"):
        v, p = last[name], prev[name]
        exp = v["expected"]
        rec(
            name,
            "categories.*.rate",
            {k: round(x, 5) for k, x in v["rates"].items()},
            "closed form: rate_c = target share_c x target volume / (arrival model integrated over the year at "
            "rate 1 x contacts per first contact measured in a pilot year of the scaled copy)",
            f"expected contacts {exp['contacts']:,.0f} vs {calib.VOLUME[name]:,.0f}",
            f"max relative change {max(abs(v['rates'][k] / p['rates'][k] - 1) for k in v['rates']):.2%}",
        )
        rec(
            name,
            "consultation level (logit shift of the assumed spread)",
            round(v["consultation_shift"], 4),
            "scipy brentq on the expected consultation share of contacts",
            f"target {calib.CONSULTATION_TARGET[name]:.3f} met to 1e-10",
            f"{v['consultation_shift'] - p['consultation_shift']:+.4f}",
        )
        rec(
            name,
            "resolution level (grid/street; districts, departments -0.01)",
            round(v["resolution_level"], 4),
            "closed form: expected work-order resolution is linear in the level (tier mix of valid callbacks "
            "from the pilot year)",
            f"expected {exp['resolution']:.4f} vs {calib.RATES[name]['resolution']}",
            f"{v['resolution_level'] - p['resolution_level']:+.4f}",
        )
    s, ps = last["satisfaction"], prev["satisfaction"]
    rec(
        "beijing + beijing-2019",
        "feedback.satisfaction.intercept, resolved_effect",
        {"intercept": round(s["intercept"], 4), "resolved_effect": round(s["resolved_effect"], 4)},
        "scipy least_squares: expected satisfaction of the pilot years' valid work orders (their closing "
        "tier, lateness and hand-offs) = 97.3% (2024) and 87% (2019), one model for both years",
        f"max |expected - target| {s['max_residual']:.1e}",
        f"intercept {s['intercept'] - ps['intercept']:+.4f}, resolved_effect {s['resolved_effect'] - ps['resolved_effect']:+.4f}",
    )
    o = last["operators"]
    rec(
        "beijing",
        "hotline.operators (shift plan)",
        o["beijing"],
        "closed form (2 linear equations): operators = night crew + c x offered load of the hour; peak = 650, "
        "on-duty hours = 1,700 x 40 / 7 a day",
        f"night crew {o['coefficients']['night_crew']:.1f}, {o['coefficients']['per_erlang']:.3f} per erlang",
    )
    rec(
        "beijing-2019",
        "hotline.operators",
        o["beijing-2019"],
        f"assumed rule: the 2024 plan x 2019/2024 offered load ({o['load_ratio_2019']:.3f})",
    )
    rec(
        "haidian",
        "hotline.operators",
        o["haidian"],
        f"assumed rule: the 2024 plan x Haidian's population share ({o['population_ratio_haidian']:.4f})",
    )
    return out


# ---------------------------------------------------------------------------------------
# Fitting the stylized-fact parameters
# ---------------------------------------------------------------------------------------
FIT_SEED_OFFSET = 1000
"""Fits of the stylized-fact parameters run the experiments with root seed + this, so the
verification runs (the experiment's own seeds) are independent of the fit."""


def load_experiment_tasks(
    path: Path, reps: int | None = None, overrides: dict | None = None, seed_offset: int = 0
) -> list:
    """The runs of an experiment file, via govsim's own design (variants, seeds, common random numbers)."""
    import yaml

    from govsim.experiments.design import build_design
    from govsim.experiments.spec import Experiment

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if reps is not None:
        data["replications"] = reps
    data["seed"] = data.get("seed", 0) + seed_offset
    for key, value in (overrides or {}).items():  # e.g. a policy parameter during a fit
        data = _set_in_experiment(data, key, value)
    experiment = Experiment.model_validate(data)
    design = build_design(experiment, path)
    full = calib.load(_base_of_scaled(path, experiment))
    copy = design.tasks[0].scenario
    f = calib.scale_factor(full, copy)
    return [
        (t, SimTask(f"{t.variant} r{t.replication}", t.scenario, t.seed, f)) for t in design.tasks
    ]


def _base_of_scaled(path: Path, experiment) -> str:
    import yaml

    scen = (path.parent / experiment.scenario).resolve()
    base = yaml.safe_load(scen.read_text(encoding="utf-8")).get("base")
    return str((scen.parent / base).resolve()) if base else str(scen)


def _set_in_experiment(data: dict, key: str, value) -> dict:
    """``variant.policy_type.param`` -> set a policy parameter of one variant."""
    variant, ptype, param = key.split(".")
    for policy in data["variants"][variant]["policies"]:
        if policy["type"] == ptype:
            policy[param] = value
    return data


def run_experiment(
    path: Path,
    workers: int,
    reps: int | None = None,
    overrides: dict | None = None,
    variants: tuple[str, ...] | None = None,
    seed_offset: int = 0,
) -> pd.DataFrame:
    pairs = load_experiment_tasks(path, reps, overrides, seed_offset)
    if variants is not None:
        pairs = [(t, s) for t, s in pairs if t.variant in variants]
    results = calib.execute([s for _, s in pairs], workers)
    rows = []
    for (task, _), res in zip(pairs, results, strict=True):
        rows.append(
            {"variant": task.variant, "replication": task.replication, "seed": task.seed, **res}
        )
    return pd.DataFrame(rows)


def monthly_rates(frame: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, run in frame.iterrows():
        for month, b in run["monthly"].items():
            rows.append(
                {
                    "variant": run["variant"],
                    "replication": run["replication"],
                    "month": month,
                    "resolution": b["resolved"] / b["valid"] if b["valid"] else np.nan,
                    "satisfaction": b["points"] / b["valid"] if b["valid"] else np.nan,
                    "response": b["on_time"] / b["due"] if b["due"] else np.nan,
                    "work_orders": b["n"],
                    "valid": b["valid"],
                }
            )
    return pd.DataFrame(rows)


def fit_facts(workers: int) -> list[dict]:
    from scipy.optimize import brentq

    records = []
    saved = json.loads(FITTED.read_text()) if FITTED.exists() else {"records": []}
    # (a) the January 2019 state: closed form / brentq on expected values of a 2019 pilot year.
    pilot = scaled_runs("beijing-2019", 1, 9101, workers=1, pilot=True)[0]["pilot"]
    spec = calib.load("beijing").feedback.satisfaction
    level = calib.fit_resolution_level(calib.JAN_2019["resolution"], pilot)
    res_jan = calib.resolution_dict(level)
    intercept = brentq(
        lambda a: (
            calib.expected_satisfaction(a, spec.resolved_effect, pilot, res_jan, spec)
            - calib.JAN_2019["satisfaction"]
        ),
        -10,
        10,
    )
    path = FACT_FILES["a_ranking"]
    text = path.read_text(encoding="utf-8")
    text, n = re.subn(
        r"(key: feedback\.resolution_probability, value: )\{[^}]*\}",
        lambda m: m.group(1) + calib.flow(res_jan),
        text,
    )
    if n != 1:
        raise ValueError("fact (a): the January resolution line is not in the experiment file")
    text = _patch_fixed(text, "feedback.satisfaction.intercept", f"{intercept:.4f}")
    path.write_text(text, encoding="utf-8")
    records.append(
        {
            "scenario": "fact (a)",
            "parameter": "January 2019 state: resolution level, satisfaction intercept",
            "value": {"resolution_level": round(level, 4), "intercept": round(intercept, 4)},
            "method": "closed form (resolution) and brentq (intercept) on expected values of the 2019 "
            "pilot year's valid work orders = 53.09% / 64.61% (January 2019)",
        }
    )

    # improvement_rate, then service_gain: grid search on the simulated October rates (2 replications, CRN).
    def october(param: str, value: float, rate: str) -> float:
        frame = run_experiment(
            path,
            workers,
            reps=2,
            overrides={f"ranking.ranking.{param}": value},
            variants=("ranking",),
            seed_offset=FIT_SEED_OFFSET,
        )
        m = monthly_rates(frame[frame["variant"] == "ranking"])
        return float(m[m["month"] == "2019-10"][rate].mean())

    def grid_fit(
        param: str, rate: str, target: float, grid: list[float]
    ) -> tuple[float, list, np.ndarray]:
        """October rate on a small grid of the parameter, a quadratic through it, its root in the grid."""
        ys = [october(param, x, rate) for x in grid]
        for x, y in zip(grid, ys, strict=True):
            print(
                f"[fit facts] {param} = {x:.4f}: October {rate} {y:.4f} (target {target:.4f})",
                flush=True,
            )
        coef = np.polyfit(grid, ys, 2)
        roots = [
            r.real
            for r in np.roots(coef - np.array([0, 0, target]))
            if abs(r.imag) < 1e-12
            and min(grid) - 0.25 * (max(grid) - min(grid))
            <= r.real
            <= max(grid) + 0.25 * (max(grid) - min(grid))
        ]
        if not roots:
            raise RuntimeError(f"{param}: no root of the fitted curve near the grid {grid}: {ys}")
        x = float(min(roots, key=lambda r: abs(r - np.mean(grid))))
        resid = np.array(ys) - np.polyval(coef, grid)
        return x, list(zip(grid, ys, strict=True)), resid

    text = path.read_text(encoding="utf-8")
    text = calib.patch_flow_key(text, "service_gain", "0.0")
    path.write_text(text, encoding="utf-8")
    r, r_grid, r_res = grid_fit(
        "improvement_rate",
        "resolution",
        calib.OCT_2019["resolution"],
        [0.05, 0.06, 0.07, 0.08, 0.09],
    )
    path.write_text(
        calib.patch_flow_key(path.read_text(encoding="utf-8"), "improvement_rate", f"{r:.4f}")
    )
    g, g_grid, g_res = grid_fit(
        "service_gain", "satisfaction", calib.OCT_2019["satisfaction"], [2.0, 3.0, 4.0, 5.0, 6.0]
    )
    path.write_text(
        calib.patch_flow_key(path.read_text(encoding="utf-8"), "service_gain", f"{g:.4f}")
    )
    records.append(
        {
            "scenario": "fact (a)",
            "parameter": "ranking.improvement_rate, ranking.service_gain",
            "value": {"improvement_rate": round(r, 4), "service_gain": round(g, 4)},
            "method": "grid search: simulated October 2019 work-order rates (2 replications of the scaled "
            "copy, common random numbers, seeds apart from the verification's) on a grid of 5 values, a quadratic through them, its "
            "root: improvement_rate for resolution 74.36% (grid "
            + ", ".join(f"{x:g}: {y:.4f}" for x, y in r_grid)
            + "), then service_gain for satisfaction 85.39% (grid "
            + ", ".join(f"{x:g}: {y:.4f}" for x, y in g_grid)
            + ")",
            "residual": f"sd around the quadratic: resolution {r_res.std(ddof=1):.4f}, "
            f"satisfaction {g_res.std(ddof=1):.4f}",
        }
    )
    # (c) governance prevention: closed form against the street's fall without a response.
    path = FACT_FILES["c_governance"]
    frame = run_experiment(
        path, workers, reps=4, variants=("ranking_only",), seed_offset=FIT_SEED_OFFSET
    )
    ratios = governance_ratios(frame)
    rtm = float(ratios[ratios["variant"] == "ranking_only"]["ratio"].mean())
    target = calib.GOVERNANCE_STREET["2019-10"] / calib.GOVERNANCE_STREET["2019-05"]
    prevention = 1 - (target / rtm) ** (1 / 5)
    path.write_text(
        calib.patch_flow_key(
            path.read_text(encoding="utf-8"), "governance_prevention", f"{prevention:.4f}"
        )
    )
    records.append(
        {
            "scenario": "fact (c)",
            "parameter": "ranking.governance_prevention",
            "value": round(prevention, 4),
            "method": "closed form: (1 - g)^5 x (October/May ratio of the listed street without a "
            f"response, {rtm:.3f}, simulated, 4 replications with seeds apart from the "
            "verification's) = 276/852",
            "residual": "verified by the experiment below",
        }
    )
    # (b) heating efficacy: closed form on the arrival model (share of in-season heating appeals after the lag).
    path = FACT_FILES["b_heating"]
    pairs = load_experiment_tasks(path, reps=1)
    scen = pairs[0][1].scenario
    daily = calib.daily_expected(scen)["heating"]
    lag = _policy(path, "proactive", "monthly_topic")["lag_days"]
    first_month_end = (pd.Timestamp(scen.start_date) + pd.offsets.MonthBegin(1)).date()
    effect_from = first_month_end + dt.timedelta(days=lag)
    season = heating_mask(daily.index)
    covered = float(daily[season & (daily.index >= effect_from)].sum() / daily[season].sum())
    efficacy = calib.HEATING_CUT / covered
    path.write_text(
        calib.patch_flow_key(path.read_text(encoding="utf-8"), "efficacy", f"{efficacy:.4f}")
    )
    records.append(
        {
            "scenario": "fact (b)",
            "parameter": "monthly_topic.efficacy (heating)",
            "value": round(efficacy, 4),
            "method": f"closed form: efficacy x share of the season's expected heating appeals after the "
            f"effect starts ({effect_from}, {covered:.3f}) = 13%",
            "residual": "verified by the experiment below",
        }
    )
    saved["fact_records"] = records
    FITTED.write_text(json.dumps(saved, indent=2) + "\n")
    return records


def _patch_fixed(text: str, key: str, value: str) -> str:
    """Replace the value of a fixed uncertainty ``{key: KEY, value: V}`` written on one line."""
    import re

    pattern = re.compile(r"(\{key: " + re.escape(key) + r", value: )([-0-9.e]+)(\})")
    new, n = pattern.subn(rf"\g<1>{value}\g<3>", text)
    if n != 1:
        raise ValueError(f"{key}: {n} lines")
    return new


def _policy(path: Path, variant: str, ptype: str) -> dict:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return next(p for p in data["variants"][variant]["policies"] if p["type"] == ptype)


def heating_mask(index) -> np.ndarray:
    return np.array([calib._in_window((d.month, d.day), "11-15", "03-15") for d in index])


def governance_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """October/May work orders of the street(s) listed in the governance class for May, per run."""
    rows = []
    for _, run in frame.iterrows():
        listed = [r[2] for r in run["rankings"] if r[0] == "2019-05" and r[5] == "governance"]
        for street in listed:
            series = {
                m: run["street_month"].get(f"{m}|{street}", 0)
                for m in ("2019-05", "2019-06", "2019-07", "2019-08", "2019-09", "2019-10")
            }
            rows.append(
                {
                    "variant": run["variant"],
                    "replication": run["replication"],
                    "street": street,
                    **series,
                    "ratio": series["2019-10"] / series["2019-05"] if series["2019-05"] else np.nan,
                }
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------------------
def verify_beijing(name: str, runs: list[dict]) -> list[Row]:
    full = calib.load(name)
    rows: list[Row] = []
    year_days = full.days
    f = runs[0]["scale"]
    contacts = [sum(r["contacts"] for r in run["by_category"].values()) for run in runs]
    first = [sum(r["first"] for r in run["by_category"].values()) for run in runs]
    e_first = float(calib.expected_first_contacts(full).sum())
    kappa = [c / fi for c, fi in zip(contacts, first, strict=True)]
    vol_src = SOURCES["volume_2024" if name == "beijing" else "volume_2019"]
    target = calib.VOLUME[name]
    k = over_replications(kappa)
    rows.append(
        relative(
            name,
            "contacts in the year: arrival model expectation x contacts per first contact",
            target,
            Estimate(e_first * k.mean, e_first * k.low, e_first * k.high, k.n),
            vol_src,
            how=f"E[first contacts] = {e_first:,.0f} (exact integral); "
            f"x {k.mean:.4f} contacts per first contact (simulated)",
        )
    )
    rows.append(
        relative(
            name,
            "contacts in the year: simulated",
            target,
            over_replications([c / f for c in contacts]),
            vol_src,
            how=f"simulated year of the 1:{1 / f:.1f} copy, count / {f:.5f}",
        )
    )
    if name == "beijing":
        rows.append(
            relative(
                name,
                "contacts a day: simulated",
                65000,
                over_replications([c / f / year_days for c in contacts]),
                vol_src,
                how="simulated year / 366 days",
            )
        )
    consult = [
        sum(r["consultations"] for r in run["by_category"].values()) / c
        for run, c in zip(runs, contacts, strict=True)
    ]
    if name == "beijing":
        rows.append(
            relative(
                name,
                "consultations answered by the operator, share of contacts",
                0.585,
                pct_est(consult),
                SOURCES["consult"],
                fmt="{:.2%}",
            )
        )
        rows.append(
            relative(
                name,
                "dispatched as work orders, share of contacts",
                0.415,
                pct_est([1 - x for x in consult]),
                SOURCES["consult"],
                fmt="{:.2%}",
            )
        )
    else:
        work = [sum(r["work_orders"] for r in run["by_category"].values()) / f for run in runs]
        rows.append(
            relative(
                name,
                "work orders (appeals) in the year: simulated",
                calib.WORK_ORDERS_2019,
                over_replications(work),
                SOURCES["appeals_2019"],
            )
        )
        rows.append(
            relative(
                name,
                "consultations, share of contacts",
                calib.CONSULTATION_TARGET[name],
                pct_est(consult),
                SOURCES["appeals_2019"] + " (1 - 2.52 / 6.96)",
                fmt="{:.2%}",
            )
        )
        rows.append(
            Row(
                name,
                "consultations, share of contacts (2019-21 average)",
                "58.5%",
                SOURCES["consult"],
                pct_est(consult),
                "not applied",
                None,
                "{:.2%}",
                "the 2019-specific figure above is used for 2019; see the notes",
            )
        )
    mix = calib.mix_targets(name)
    for group, share in mix.items():
        sims = [calib.group_counts(run)[group] / c for run, c in zip(runs, contacts, strict=True)]
        rows.append(
            relative(
                name,
                f"category mix: {group}",
                share,
                pct_est(sims),
                SOURCES["mix"],
                fmt="{:.2%}",
                how="heating + other utilities" if group == "public_services" else "",
            )
        )
    hourly = np.array([run["hourly"] for run in runs])
    am = [int(np.argmax(h[:12])) for h in hourly]
    pm = [int(12 + np.argmax(h[12:])) for h in hourly]
    rows.append(
        Row(
            name,
            "busiest morning hour (contacts)",
            "9 or 10 (9-11 h)",
            SOURCES["intraday"],
            Estimate.exact(float(np.median(am)), f"every run: {sorted(set(am))}"),
            "in 9-10",
            all(h in (9, 10) for h in am),
            "{:.0f}",
        )
    )
    rows.append(
        Row(
            name,
            "busiest afternoon hour (contacts)",
            "14 or 15 (14-16 h)",
            SOURCES["intraday"],
            Estimate.exact(float(np.median(pm)), f"every run: {sorted(set(pm))}"),
            "in 14-15",
            all(h in (14, 15) for h in pm),
            "{:.0f}",
        )
    )
    ratios, heat = [], []
    for run in runs:
        daily = pd.DataFrame(run["daily"], columns=run["daily_columns"])
        dates = pd.date_range(run["start_date"], periods=len(daily), freq="D")
        total = daily.sum(axis=1).to_numpy()
        weekend = dates.day_of_week >= 5
        ratios.append(total[~weekend].mean() / total[weekend].mean())
        season = heating_mask(dates)
        h = daily["heating"].to_numpy()
        heat.append(h[season].mean() / h[~season].mean())
    rows.append(
        Row(
            name,
            "contacts per weekday / per weekend day",
            "> 1",
            SOURCES["weekday"],
            over_replications(ratios),
            "> 1",
            over_replications(ratios).low > 1,
            "{:.3f}",
        )
    )
    seasons = [s for s in full.arrivals.seasons if s.name == "heating season"]
    window = f"{seasons[0].start} to {seasons[0].end}" if seasons else "none"
    rows.append(
        Row(
            name,
            "heating season window (scenario)",
            "11-15 to 03-15",
            SOURCES["heating"],
            Estimate.exact(float("nan"), window),
            "exact",
            window == "11-15 to 03-15",
            "{}",
        )
    )
    rows.append(
        Row(
            name,
            "heating appeals a day, in season / outside",
            "> 1 (size not published)",
            SOURCES["heating"],
            over_replications(heat),
            "> 1",
            over_replications(heat).low > 1,
            "{:.2f}",
            "assumed size: 10",
        )
    )
    plan = full.hotline.operators
    if name == "beijing":
        peak = max(plan)
        rows.append(
            Row(
                name,
                "operators on duty at the peak hour",
                "600-700",
                SOURCES["operators"],
                Estimate.exact(peak),
                "in 600-700",
                600 <= peak <= 700,
                "{:.0f}",
            )
        )
        rows.append(
            Row(
                name,
                "operators on duty at the peak hour, at most the seats",
                "750 seats",
                SOURCES["operators"],
                Estimate.exact(peak),
                "<= 750",
                peak <= 750,
                "{:.0f}",
            )
        )
        head = calib.operator_headcount(plan)
        rows.append(
            relative(
                name,
                "operators on the payroll (shift plan hours / 40-hour week)",
                1700,
                Estimate.exact(head),
                SOURCES["operators"],
                how="assumed 40-hour week",
            )
        )
        minutes = [
            run["hotline_utilisation"] * run["operator_hours"] / run["calls_answered"] * 60
            for run in runs
        ]
        rows.append(
            relative(
                name,
                "minutes per answered call (operator busy time / calls)",
                6.0,
                over_replications(minutes),
                SOURCES["operators"],
                fmt="{:.2f}",
                how=f"operator utilisation {np.mean([r['hotline_utilisation'] for r in runs]):.1%}",
            )
        )
        layout = calib.layout_of(full)
        rows.append(
            Row(
                name,
                "districts",
                "16",
                SOURCES["structure"],
                Estimate.exact(len(layout.districts)),
                "exact",
                len(layout.districts) == 16,
                "{:.0f}",
            )
        )
        rows.append(
            Row(
                name,
                "streets and townships",
                "343",
                SOURCES["structure"],
                Estimate.exact(len(layout.streets)),
                "exact",
                len(layout.streets) == 343,
                "{:.0f}",
            )
        )
        depts = {d.name for d in full.departments}
        rows.append(
            Row(
                name,
                "departments (the core set)",
                "10 named",
                SOURCES["structure"],
                Estimate.exact(len(depts), ", ".join(sorted(depts))),
                "same set",
                depts == calib.CORE_DEPARTMENTS,
                "{:.0f}",
            )
        )
    rate_src = SOURCES["rates_2024" if name == "beijing" else "rates_2019"]
    for rate, target in calib.RATES[name].items():
        sims = [calib.rate_of(run, rate) for run in runs]
        rows.append(
            points(
                name,
                f"{rate} rate of work orders",
                target,
                pct_est(sims),
                rate_src,
                upper=1.0 if rate == "response" else None,
                how="valid callbacks of dispatched cases created in the year",
            )
        )
    if name == "beijing-2019":
        sims = [calib.rate_of(run, "response") for run in runs]
        rows.append(
            Row(
                name,
                "response rate of work orders",
                "not published",
                "",
                pct_est(sims),
                "",
                None,
                "{:.2%}",
            )
        )
    all_rates = {
        r: pct_est([calib.rate_of(run, r, "all") for run in runs])
        for r in ("resolution", "satisfaction")
    }
    for r, est in all_rates.items():
        rows.append(
            Row(
                name,
                f"{r} rate of all contacts (consultations included)",
                "not a target",
                "",
                est,
                "",
                None,
                "{:.2%}",
                "for comparison with govsim's summary.json",
            )
        )
    return rows


def verify_full_scale(name: str, run: dict) -> list[Row]:
    """One simulated year of the full city (no scaling), against the same targets."""
    contacts = sum(r["contacts"] for r in run["by_category"].values())
    consult = sum(r["consultations"] for r in run["by_category"].values()) / contacts
    how = f"one run at full scale, {run['created']:,} cases in {run['wall'] / 60:.1f} min"
    src = SOURCES["volume_2024" if name == "beijing" else "volume_2019"]
    rows = [
        relative(
            name,
            "contacts in the year: simulated at full scale",
            calib.VOLUME[name],
            Estimate(contacts, contacts, contacts, 1),
            src,
            how=how,
        )
    ]
    if name == "beijing-2019":
        work = sum(r["work_orders"] for r in run["by_category"].values())
        rows.append(
            relative(
                name,
                "work orders in the year: simulated at full scale",
                calib.WORK_ORDERS_2019,
                Estimate(work, work, work, 1),
                SOURCES["appeals_2019"],
                how=how,
            )
        )
    rows.append(
        relative(
            name,
            "consultation share: simulated at full scale",
            calib.CONSULTATION_TARGET[name],
            Estimate(consult, consult, consult, 1),
            SOURCES["consult" if name == "beijing" else "appeals_2019"],
            fmt="{:.2%}",
            how=how,
        )
    )
    for rate, target in calib.RATES[name].items():
        v = calib.rate_of(run, rate)
        rows.append(
            points(
                name,
                f"{rate} rate of work orders: simulated at full scale",
                target,
                Estimate(v, v, v, 1),
                SOURCES["rates_2024" if name == "beijing" else "rates_2019"],
                upper=1.0 if rate == "response" else None,
                how=how,
            )
        )
    return rows


def verify_haidian(runs: list[dict]) -> list[Row]:
    s = calib.load("haidian")
    layout = calib.layout_of(s)
    kinds = pd.Series([g.kind for g in layout.grids]).value_counts()
    sunk = s.staffing.grid_sunk
    src = SOURCES["haidian"]
    H = calib.HAIDIAN

    def exact(target, published, value):
        return Row(
            "haidian",
            target,
            f"{published:,}",
            src,
            Estimate.exact(value),
            "exact",
            value == published,
            "{:,.0f}",
        )

    rows = [
        exact(
            "streets (street offices)",
            H["streets"],
            sum(u.kind == "street" for u in layout.streets),
        ),
        exact(
            "towns (townships)", H["townships"], sum(u.kind == "township" for u in layout.streets)
        ),
        exact("communities (community grids)", H["communities"], int(kinds.get("community", 0))),
        exact("third-level grids", H["grids"], len(layout.grids)),
        exact(
            "community/village grids",
            H["community_village"],
            int(kinds.get("community", 0) + kinds.get("village", 0)),
        ),
        exact("key-unit grids", H["key_unit"], int(kinds.get("key_unit", 0))),
        exact("road grids", H["road"], int(kinds.get("road", 0))),
        exact("sunk staff, total", H["sunk_total"], sunk.headcount if sunk else 0),
        exact(
            "sunk staff from departments", H["sunk_departments"], sunk.departments if sunk else 0
        ),
        exact(
            "sunk staff from street/town offices",
            H["sunk_street_offices"],
            sunk.street_offices if sunk else 0,
        ),
        exact("sunk auxiliary staff", H["sunk_auxiliaries"], sunk.auxiliaries if sunk else 0),
        exact("sunk community staff", H["sunk_community"], sunk.community if sunk else 0),
        exact("residents", H["population"], layout.population),
        Row(
            "haidian",
            "grid staff on duty (sunk staff x 40% of a 40-hour week on cases)",
            "not published",
            "",
            Estimate.exact(sum(g.staff for g in layout.grids)),
            "",
            None,
            "{:,.0f}",
            "assumed case share 0.4",
        ),
    ]
    for rate, target in calib.RATES["beijing"].items():
        sims = [calib.rate_of(run, rate) for run in runs]
        row = points(
            "haidian",
            f"{rate} rate of work orders (Beijing 2024 figure)",
            target,
            pct_est(sims),
            SOURCES["rates_2024"],
            upper=1.0 if rate == "response" else None,
            how="consistency check at full scale; the figure is city-wide, none is published for Haidian",
        )
        rows.append(row)
    per_capita = [run["created"] / run["days"] / layout.population * 1000 for run in runs]
    rows.append(
        Row(
            "haidian",
            "contacts per 1,000 residents a day",
            "Beijing's (see beijing)",
            "",
            over_replications(per_capita),
            "",
            None,
            "{:.3f}",
        )
    )
    return rows


def scale_check(workers: int, reps: int, days: float = 14) -> tuple[list[dict], dict]:
    """Full-scale Beijing 2024 on a short horizon against the scaled copy on the same horizon."""
    full = calib.load("beijing", [f"days={days}", "start_date=2024-03-04"])
    copy = calib.scaled_copy(full)
    f = calib.scale_factor(full, copy)
    seeds = calib.seeds(4242, reps)
    started = time.perf_counter()
    full_run = calib.run_task(SimTask("full", full, seeds[0], 1.0))
    full_wall = time.perf_counter() - started
    copies = calib.execute(
        [SimTask(f"copy r{r}", copy, s, f) for r, s in enumerate(seeds)], workers
    )
    return copies, {"full": full_run, "wall": full_wall, "days": days, "f": f}


# ---------------------------------------------------------------------------------------
# Stylized facts
# ---------------------------------------------------------------------------------------
def fact_a(workers: int, reps: int, figdir: Path) -> dict:
    frame = run_experiment(FACT_FILES["a_ranking"], workers, reps)
    m = monthly_rates(frame)
    table = (
        m.groupby(["variant", "month"])
        .agg(
            resolution=("resolution", "mean"),
            resolution_sd=("resolution", "std"),
            satisfaction=("satisfaction", "mean"),
            satisfaction_sd=("satisfaction", "std"),
            n=("replication", "size"),
        )
        .reset_index()
    )
    cis = {}
    for (variant, month), g in m.groupby(["variant", "month"]):
        cis[(variant, month)] = {
            r: over_replications(g[r].to_numpy()) for r in ("resolution", "satisfaction")
        }
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    months = sorted(m["month"].unique())
    x = np.arange(len(months))
    for ax, rate, pub in (
        (axes[0], "resolution", "resolution"),
        (axes[1], "satisfaction", "satisfaction"),
    ):
        for variant, colour in (("no_ranking", "grey"), ("ranking", "C0")):
            mean = [cis[(variant, mo)][rate].mean for mo in months]
            lo = [cis[(variant, mo)][rate].low for mo in months]
            hi = [cis[(variant, mo)][rate].high for mo in months]
            label = "ranking on" if variant == "ranking" else "no ranking"
            ax.plot(x, mean, "-o", color=colour, label=f"simulated, {label}", markersize=4)
            ax.fill_between(x, lo, hi, color=colour, alpha=0.2)
        ax.plot(
            [0, len(months) - 1],
            [calib.JAN_2019[pub], calib.OCT_2019[pub]],
            "s",
            color="C3",
            markersize=9,
            label="published (Jan, Oct 2019)",
        )
        ax.set_xticks(x, [mo[5:] for mo in months])
        ax.set_xlabel("month of 2019 (cases created)")
        ax.set_title(f"{rate} rate of work orders")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("rate (95% CI band over replications)")
    axes[0].legend(loc="lower right", fontsize=8)
    fig.suptitle(
        "(a) Ranking on the 2019 scenario: monthly rates from January to October", fontsize=11
    )
    fig.tight_layout()
    png = figdir / "fact_a_ranking.png"
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return {"table": table, "cis": cis, "png": png, "months": months, "runs": frame}


def fact_b(workers: int, reps: int, figdir: Path) -> dict:
    frame = run_experiment(FACT_FILES["b_heating"], workers, reps)
    per_run = []
    daily_by_variant: dict[str, list[np.ndarray]] = {}
    for _, run in frame.iterrows():
        daily = pd.DataFrame(run["daily"], columns=run["daily_columns"])
        dates = pd.date_range(run["start_date"], periods=len(daily), freq="D")
        season = heating_mask(dates)
        per_run.append(
            {
                "variant": run["variant"],
                "replication": run["replication"],
                "in_season": float(daily["heating"].to_numpy()[season].sum()),
                "prevented": run["prevented"].get("heating", 0),
            }
        )
        daily_by_variant.setdefault(run["variant"], []).append(
            daily["heating"].to_numpy() / run["scale"]
        )
    t = pd.DataFrame(per_run).pivot(index="replication", columns="variant", values="in_season")
    cut = 1 - t["proactive"] / t["no_proactive"]
    est = over_replications(cut.to_numpy())
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4.2))
    for variant, colour, label in (
        ("no_proactive", "grey", "no proactive work"),
        ("proactive", "C2", "proactive work on heating (monthly topic)"),
    ):
        arr = np.mean(daily_by_variant[variant], axis=0)
        smooth = pd.Series(arr).rolling(7, center=True, min_periods=1).mean()
        ax.plot(dates, smooth, color=colour, label=f"{label} (7-day mean, city scale)")
    lag = _policy(FACT_FILES["b_heating"], "proactive", "monthly_topic")["lag_days"]
    ax.axvspan(
        pd.Timestamp("2024-11-15"),
        pd.Timestamp("2025-03-15"),
        color="orange",
        alpha=0.08,
        label="heating season 15 Nov - 15 Mar",
    )
    ax.axvline(
        pd.Timestamp("2024-10-31") + pd.Timedelta(days=lag),
        color="C2",
        ls=":",
        label="prevention takes effect (topic picked 31 Oct + lag)",
    )
    ax.set_ylabel("heating appeals a day (Beijing)")
    ax.set_title(
        f"(b) Proactive work on heating: season's heating appeals cut by {est.mean:.1%} "
        f"(95% CI {est.low:.1%} - {est.high:.1%}); published 13% (2020/21)",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    png = figdir / "fact_b_heating.png"
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return {"cut": est, "table": t, "png": png}


def fact_c(workers: int, reps: int, figdir: Path) -> dict:
    frame = run_experiment(FACT_FILES["c_governance"], workers, reps)
    ratios = governance_ratios(frame)
    months = ["2019-05", "2019-06", "2019-07", "2019-08", "2019-09", "2019-10"]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    out = {}
    for variant, colour, label in (
        ("ranking_only", "grey", "ranked, no governance response"),
        ("governance_response", "C1", "governance response (prevention)"),
    ):
        sub = ratios[ratios["variant"] == variant]
        idx = sub[months].div(sub["2019-05"], axis=0)
        est = [over_replications(idx[mo].to_numpy()) for mo in months]
        out[variant] = {
            "ratio": over_replications(sub["ratio"].to_numpy()),
            "index": est,
            "streets": sub,
        }
        x = np.arange(len(months))
        axes[0].plot(x, [e.mean * 100 for e in est], "-o", color=colour, label=label, markersize=4)
        axes[0].fill_between(
            x, [e.low * 100 for e in est], [e.high * 100 for e in est], color=colour, alpha=0.2
        )
        for _, r in sub.iterrows():
            axes[1].plot(x, r[months].to_numpy(float), "-", color=colour, alpha=0.5, lw=1)
    x = np.arange(len(months))
    axes[0].plot(
        [0, 5],
        [100, 100 * 276 / 852],
        "s",
        color="C3",
        markersize=9,
        label="published street (852 -> 276)",
    )
    axes[0].axhline(50, color="k", lw=0.6, ls="--")
    axes[0].set_ylabel("monthly work orders, May = 100")
    axes[0].set_title("index (95% CI band over listed streets)")
    axes[1].set_ylabel("monthly work orders of the street")
    axes[1].set_title("each listed street (lines), published levels (squares)")
    axes[1].plot([0, 5], [852, 276], "s", color="C3", markersize=9)
    for ax in axes:
        ax.set_xticks(x, [mo[5:] for mo in months])
        ax.set_xlabel("month of 2019")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(
        "(c) A street listed in the governance class in May 2019 (ranking from May)", fontsize=11
    )
    fig.tight_layout()
    png = figdir / "fact_c_governance.png"
    fig.savefig(png, dpi=110)
    plt.close(fig)
    out["png"] = png
    out["ratios"] = ratios
    return out


def overview_figure(runs: dict[str, list[dict]], figdir: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    ax = axes[0, 0]
    mix = calib.mix_targets("beijing")
    groups = list(mix)
    contacts = [sum(r["contacts"] for r in run["by_category"].values()) for run in runs["beijing"]]
    sims = np.array(
        [
            [calib.group_counts(run)[g] / c for g in groups]
            for run, c in zip(runs["beijing"], contacts, strict=True)
        ]
    )
    y = np.arange(len(groups))
    ax.barh(y - 0.2, [mix[g] * 100 for g in groups], 0.4, label="published 2020 mix", color="C3")
    ax.barh(y + 0.2, sims.mean(axis=0) * 100, 0.4, label="simulated 2024", color="C0")
    ax.set_yticks(y, groups, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("% of contacts")
    ax.legend(fontsize=8)
    ax.set_title("category mix (Beijing 2024)")
    ax = axes[0, 1]
    hourly = (
        np.mean([run["hourly"] for run in runs["beijing"]], axis=0)
        / runs["beijing"][0]["scale"]
        / runs["beijing"][0]["days"]
    )
    ax.bar(
        range(24),
        hourly,
        width=1.0,
        align="edge",
        color="C0",
        alpha=0.7,
        edgecolor="white",
        label="contacts per hour (simulated, city scale)",
    )
    ax.axvspan(9, 11, color="C3", alpha=0.1, label="published peaks 9-11 h, 14-16 h")
    ax.axvspan(14, 16, color="C3", alpha=0.1)
    ax2 = ax.twinx()
    plan = calib.load("beijing").hotline.operators
    ax2.step(
        range(25),
        list(plan) + [plan[-1]],
        where="post",
        color="k",
        label="operators on duty (fitted plan)",
    )
    ax2.axhline(750, color="k", ls=":", lw=0.8)
    ax2.text(19, 760, "750 seats", fontsize=7)
    ax2.set_ylim(0, 800)
    ax.set_xlabel("hour of day")
    ax.set_title("intraday profile and shift plan (Beijing 2024)")
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], fontsize=7, loc="upper left")
    ax = axes[1, 0]
    for name, colour in (("beijing", "C0"), ("beijing-2019", "C1")):
        run = runs[name][0]
        daily = pd.DataFrame(run["daily"], columns=run["daily_columns"]).sum(axis=1) / run["scale"]
        dates = pd.date_range(run["start_date"], periods=len(daily), freq="D")
        ax.plot(
            pd.to_datetime(
                [d.replace(year=2024) if not (d.month == 2 and d.day == 29) else d for d in dates]
            ),
            daily,
            color=colour,
            lw=0.7,
            label=f"{name} (one simulated year, city scale)",
        )
    ax.set_ylabel("contacts a day")
    ax.set_title("daily contacts: weekdays above weekends (2019 drawn on 2024's calendar)")
    ax.legend(fontsize=8)
    ax = axes[1, 1]
    labels, pub, sim_m, sim_lo, sim_hi = [], [], [], [], []
    for name in ("beijing", "beijing-2019"):
        for rate, target in calib.RATES[name].items():
            est = over_replications([calib.rate_of(run, rate) for run in runs[name]])
            labels.append(f"{name[-4:] if name != 'beijing' else '2024'} {rate}")
            pub.append(target * 100)
            sim_m.append(est.mean * 100)
            sim_lo.append((est.mean - est.low) * 100)
            sim_hi.append((est.high - est.mean) * 100)
    y = np.arange(len(labels))
    ax.errorbar(sim_m, y, xerr=[sim_lo, sim_hi], fmt="o", color="C0", label="simulated (95% CI)")
    ax.plot(pub, y, "s", color="C3", mfc="none", markersize=10, label="published")
    for yi, p in zip(y, pub, strict=True):
        ax.plot([p - 2, p + 2], [yi, yi], color="C3", alpha=0.4, lw=6)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel("% (bars: ±2 points tolerance)")
    ax.set_title("three rates of work orders")
    ax.legend(fontsize=8)
    fig.tight_layout()
    png = figdir / "calibration_overview.png"
    fig.savefig(png, dpi=100)
    plt.close(fig)
    return png


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------
def md_table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    out += ["| " + " | ".join(str(c).replace("|", "/") for c in r) + " |" for r in rows]
    return "\n".join(out)


def current_fitted_values() -> list[list[str]]:
    bj, b19 = calib.load("beijing"), calib.load("beijing-2019")
    rows = []
    for s in (bj, b19):
        rows.append(
            [s.name, "categories.*.rate", ", ".join(f"{c.name} {c.rate:.4g}" for c in s.categories)]
        )
        rows.append(
            [
                s.name,
                "categories.*.consultation_share",
                ", ".join(f"{c.name} {c.consultation_share:.3f}" for c in s.categories),
            ]
        )
        rows.append(
            [
                s.name,
                "feedback.resolution_probability",
                ", ".join(f"{k} {v}" for k, v in s.feedback.resolution_probability.items()),
            ]
        )
        rows.append([s.name, "hotline.operators", str(s.hotline.operators)])
    sat = bj.feedback.satisfaction
    rows.append(
        [
            "beijing (inherited by beijing-2019, haidian)",
            "feedback.satisfaction",
            f"intercept {sat.intercept}, resolved_effect {sat.resolved_effect}",
        ]
    )
    rows.append(["haidian", "hotline.operators", str(calib.load("haidian").hotline.operators)])
    return rows


def write_report(out: Path, mode: str, sections: dict, wall: float, figdir: Path) -> None:
    rows_all: list[Row] = sections["rows"]
    failed = [r for r in rows_all if r.passed is False]
    judged = [r for r in rows_all if r.passed is not None]
    fitted = (
        json.loads(FITTED.read_text()) if FITTED.exists() else {"records": [], "fact_records": []}
    )
    rel = lambda p: (
        Path(p).resolve().relative_to(out.parent.resolve())
        if Path(p).resolve().is_relative_to(out.parent.resolve())
        else p
    )
    L: list[str] = []
    L.append("# Calibration\n")
    L.append(
        f"Generated by `python experiments/calibration/calibrate.py{' --quick' if mode == 'quick' else ''}`: "
        "do not edit by hand, rerun the script. "
        f"Mode: **{mode}**; wall time {wall / 60:.1f} min on this machine. "
        f"**{len(judged) - len(failed)} of {len(judged)} judged targets pass**"
        + (
            f"; failing: {', '.join(f'{r.scenario}: {r.target}' for r in failed)}."
            if failed
            else "."
        )
    )
    L.append(
        "\nThe published figures and their sources are in [sources.md](sources.md). "
        "Tolerances (issue 6): volumes and shares within 5% relative, rates within "
        "2 percentage points; counts exactly. A target passes when the simulated mean is within "
        "tolerance; its 95% CI (Student t over independent replications) is shown beside it.\n"
    )
    L.append("Sources (cited in the tables by their key):\n")
    L.extend(f"- `[{k}]` {v}" for k, v in SOURCES.items())
    L.append("\n## Method\n")
    L.append(
        METHOD_TEXT.format(
            streets=calib.SCALED_STREETS,
            reps=sections["reps"],
            f=sections["f"],
            inv=1 / sections["f"],
            speed=sections["speed"],
            minutes=calib.VOLUME["beijing"] / sections["speed"] / 60,
        )
    )
    L.append(f"\n![calibration overview]({rel(sections['overview'])})\n")
    for scenario, title in (
        ("beijing", "Beijing 2024 (`scenarios/beijing.yaml`)"),
        ("beijing-2019", "Beijing 2019 (`scenarios/beijing-2019.yaml`)"),
        ("haidian", "Haidian (`scenarios/haidian.yaml`)"),
    ):
        L.append(f"\n## {title}\n")
        L.append(sections["notes"].get(scenario, ""))
        L.append(
            md_table(
                [
                    "target",
                    "published",
                    "source",
                    "simulated",
                    "95% CI",
                    "tolerance",
                    "result",
                    "how",
                ],
                [r.cells() for r in rows_all if r.scenario == scenario],
            )
        )
    if "scale" in sections:
        L.append("\n## Check: the scaled copy against the full city\n")
        L.append(sections["scale"])
    L.append("\n## Fitted parameters\n")
    L.append(
        "Parameters with no published value that were set against the targets above. How each was "
        "fitted (from `experiments/calibration/fitted.json`, written by `--fit` / `--fit-facts`):\n"
    )
    recs = fitted.get("records", []) + fitted.get("fact_records", [])
    L.append(
        md_table(
            [
                "scenario",
                "parameter",
                "fitted value",
                "method",
                "fit residual",
                "change in the last iteration",
            ],
            [
                [
                    r["scenario"],
                    r["parameter"],
                    _short(r["value"]),
                    r["method"],
                    r.get("residual", ""),
                    r.get("change_over_last_iteration", ""),
                ]
                for r in recs
            ],
        )
    )
    L.append("\nValues as they are in the scenario files now (what the verification above ran):\n")
    L.append(md_table(["scenario", "parameter", "value"], current_fitted_values()))
    L.append(ASSUMED_TEXT)
    L.append("\n## Stylized facts\n")
    L.append(sections["facts"])
    L.append("\n## Notes and known gaps\n")
    L.append(NOTES_TEXT)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(L) + "\n", encoding="utf-8")


def _short(v) -> str:
    if isinstance(v, dict):
        return ", ".join(f"{k} {x}" for k, x in v.items())
    return str(v)


METHOD_TEXT = """\
A year of Beijing at 2024 volume is 24 million cases: at the {speed:,.0f} cases per second the
full-scale runs below simulated on this machine, {minutes:.0f} minutes per run (one core, the
simulation alone). The calibration therefore does not simulate the full city's year many
times. Instead:

- **Expected values from the arrival model.** Annual volume, category mix and consultation
  share are computed exactly from the scenario: the arrival model (population x rate x
  weekday x season, docs/model.md) integrated day by day over the year, times the number of
  contacts per first contact (repeat appeals of unsatisfied residents, redials after a hang-up,
  abandoned calls excluded) measured in simulation.
- **A population-scaled copy for everything simulated.** The copy has {streets} of the 343
  streets, in one district (a Beijing district has 21.4 streets), with residents, grids,
  district staff and every department's staff scaled by the same factor f = {f:.5f}
  (1 : {inv:.1f}); staff per grid and per street are unchanged, so every grid, street and
  district carries the load it carries in the full city. The hotline is one pool, and a pool
  of 1/16 the operators at the same utilisation makes callers wait and hang up far more
  (4% of 2019 calls abandoned in the copy against none in the city): the copy's operators
  per hour therefore keep the city's Halfin-Whitt parameter (operators - load) / sqrt(load),
  so callers wait as rarely as in the city. Counts are divided by f to stand for the city.
  The copy is checked against the full city on a shortened horizon below.
- **Replications.** {reps} replications of a whole simulated year (2024: 366 days, 2019: 365)
  of the scaled copy per scenario, seeds spawned from fixed roots (numpy SeedSequence), 95%
  Student-t intervals over replications. Haidian (3.4 million residents) runs at full scale.
- **Rates** are those of work orders (dispatched cases), as the published three rates assess
  the units that handle appeals: response = first response within the urgency limit over
  responses due; resolution and satisfaction over valid callbacks ("basically satisfied"
  counts 0.9). The rates of all contacts (consultations included, what `summary.json` prints)
  are listed for comparison.
- **Fitting.** `--fit` runs one pilot year of each scaled copy, computes expected values from
  it (contacts per first contact by category; the closing tier, lateness and hand-offs of every
  valid work order) and solves for the unpublished parameters in closed form or with scipy,
  writes them into the scenario files and repeats once with new pilots (the fits move
  volumes a little through repeat appeals). The verification runs above are independent of the
  pilots (other seeds).
"""

ASSUMED_TEXT = """
Assumed, not fitted (no published figure; each is marked "assumed" in its scenario file):
staff per grid, street and district and of each department; handling times; whistle
probabilities and deadlines (except Pinggu's 30 minutes); callback reach 90%; repeat
probability 30%; caller patience 3 min; the intraday and weekday shapes (their peaks are
the published ones); the heating season's size (10x) and heating's share of utilities (30% in
season); the spread of consultation shares between categories and of resolution between tiers;
the satisfaction model's lateness and hand-off effects; Haidian's case share of the sunk staff
(40%); the 40-hour week behind the operator headcount.
"""

NOTES_TEXT = """\
- **2019 annual rates versus the January-October path.** The published 2019 figures (resolution
  75%, satisfaction 87% for the year) and the monthly path (53% / 65% in January, 74% / 85% in
  October) cannot both be monthly averages of one year: the January-October path averages about
  66%. `beijing-2019.yaml` is calibrated to the annual figures (the year's quality as a
  constant); fact (a) starts from the January state, set in the experiment file.
- **Consultations in 2019.** 58.5% consultations is the average of January 2019 to November
  2021; 2019 alone had 6.96 million contacts of which 2.52 million appeals, i.e. 63.8%
  consultations. The 2019 scenario uses the 2019 figure; the 58.5% is applied to 2024.
- **COVID in 2024.** As the issue asks, the 2024 scenario keeps the 2020 mix including COVID
  (9.8% of contacts); the 2019 scenario has no epidemic category.
- **Satisfaction needed a unit-level lever.** With the satisfaction model alone, the rise from
  64.61% to 85.39% while resolution rose from 53.09% to 74.36% is impossible: satisfaction of a
  resolved case is at most 1, so 0.6461 = 0.5309 s1 + 0.4691 s0 and 0.8539 = 0.7436 s1 + 0.2564 s0
  need s1 > 1 if s0 and s1 stay fixed. The ranking policy therefore has `service_gain`: a ranked
  unit's satisfaction score rises with the resolution it gains (a per-unit score shift in the
  callback, `govsim/agents/callback.py`).
- **Governance streets.** The synthetic city has streets of equal size, so the street listed for
  May has a May volume only a few percent above the average, not the 852 of the real street (Beijing's
  largest streets are several times the average); the fact is compared as an index (May = 100).
  Listed streets stay in the class for `governance_months` = 6 months (assumed) so that the
  response lasts after the street has left the top of the table.
- **Stylized facts (b) and (c) are reproduced by parameters fitted to them** (efficacy,
  prevention rate): the experiments show that the mechanisms deliver the published size through
  the whole model (repeat appeals, regression to the mean of a street chosen for its high May),
  with confidence intervals, and how the effect unfolds in time; they are not independent tests.
  The fits use seeds apart from the verification runs. The published 13% compares the 2020/21
  season with the one before; the experiment compares one season with and without the work.
- **Monthly counts.** Fact (c) compares monthly totals, as published; June has 30 days, hence
  the dip of both variants in June.
"""


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer replications, no full-scale check"
    )
    parser.add_argument("--fit", action="store_true", help="refit the scenario parameters first")
    parser.add_argument(
        "--fit-facts", action="store_true", help="refit the stylized-fact parameters first"
    )
    parser.add_argument("--fit-only", action="store_true", help="stop after fitting")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--reps", type=int, default=None, help="replications per scenario (default 5, quick 2)"
    )
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--skip-facts", action="store_true")
    parser.add_argument(
        "--full-scale-years",
        nargs="*",
        default=["beijing-2019"],
        choices=["beijing", "beijing-2019"],
        help="full mode: also simulate these scenarios' whole year at full scale, once "
        "(default beijing-2019; beijing's year is 24 million cases)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    mode = "quick" if args.quick else "full"
    reps = args.reps or (2 if args.quick else 5)
    fact_reps = 2 if args.quick else 4
    out = args.out or (
        calib.REPO
        / ("results/calibration-quick/calibration.md" if args.quick else "docs/calibration.md")
    )
    figdir = out.parent / "calibration"
    figdir.mkdir(parents=True, exist_ok=True)
    calib.SCALED_DIR.mkdir(parents=True, exist_ok=True)
    if args.fit:
        fit_scenarios(args.workers)
    for name in ("beijing", "beijing-2019"):  # keep the experiments' scaled scenario files in step
        calib.scaled_file(name).write_text(calib.scaled_file_text(name), encoding="utf-8")
    if args.fit_facts:
        fit_facts(args.workers)
    if args.fit_only:
        return 0
    runs = {}
    for name, root in (("beijing", 2024), ("beijing-2019", 2019)):
        t0 = time.perf_counter()
        runs[name] = scaled_runs(name, reps, root, args.workers)
        print(
            f"[verify] {name}: {reps} scaled years in {time.perf_counter() - t0:.0f} s", flush=True
        )
    t0 = time.perf_counter()
    haidian = calib.load("haidian", ["days=30"])
    runs["haidian"] = calib.execute(
        [
            SimTask(f"haidian r{r}", haidian, s, 1.0)
            for r, s in enumerate(calib.seeds(2013, max(2, reps - 2)))
        ],
        args.workers,
    )
    print(
        f"[verify] haidian: {len(runs['haidian'])} runs of 30 days in {time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    rows = (
        verify_beijing("beijing", runs["beijing"])
        + verify_beijing("beijing-2019", runs["beijing-2019"])
        + verify_haidian(runs["haidian"])
    )
    speed = sum(r["created"] for r in runs["beijing"]) / sum(
        r["sim_wall"] for r in runs["beijing"]
    )  # refined below
    sections = {
        "rows": rows,
        "reps": reps,
        "f": runs["beijing"][0]["scale"],
        "speed": speed,
        "notes": {
            "haidian": "Haidian is checked structurally (counts from the built city) and, as a consistency "
            "check, its simulated rates against Beijing's 2024 figures (30-day runs at full scale, "
            "from 4 March 2024). Its categories, rates per resident and quality model are Beijing's "
            "(`base: beijing.yaml`).\n"
        },
    }
    sections["overview"] = overview_figure(runs, figdir)
    if not args.quick:
        for name in args.full_scale_years:
            t0 = time.perf_counter()
            run = calib.run_task(
                SimTask(f"{name} full scale", calib.load(name), calib.seeds(77, 1)[0], 1.0)
            )
            rows += verify_full_scale(name, run)
            sections.setdefault("full_year", {})[name] = run
            print(
                f"[verify] {name}: one full-scale year in {time.perf_counter() - t0:.0f} s",
                flush=True,
            )
        t0 = time.perf_counter()
        copies, full = scale_check(args.workers, reps)
        sections["scale"] = scale_text(copies, full)
        full_runs = [full["full"], *sections.get("full_year", {}).values()]
        sections["speed"] = sum(r["created"] for r in full_runs) / sum(
            r["sim_wall"] for r in full_runs
        )
        print(f"[verify] scale check in {time.perf_counter() - t0:.0f} s", flush=True)
    if not args.skip_facts:
        t0 = time.perf_counter()
        a = fact_a(args.workers, fact_reps, figdir)
        b = fact_b(args.workers, fact_reps, figdir)
        c = fact_c(args.workers, 2 * fact_reps, figdir)  # one street per run: more runs
        print(f"[facts] in {time.perf_counter() - t0:.0f} s", flush=True)
        facts_md = facts_text(a, b, c, out)
    else:
        facts_md = "Not run (`--skip-facts`).\n"
    sections["facts"] = facts_md
    wall = time.perf_counter() - started
    write_report(out, mode, sections, wall, figdir)
    judged = [r for r in rows if r.passed is not None]
    failed = [r for r in judged if not r.passed]
    print(
        f"wrote {out} ({len(judged) - len(failed)}/{len(judged)} targets pass) in {wall / 60:.1f} min"
    )
    for r in failed:
        print(f"  FAIL {r.scenario}: {r.target}: {r.estimate.mean} vs {r.published}")
    return 0


def scale_text(copies: list[dict], full: dict) -> str:
    f = full["f"]
    fr = full["full"]
    rows = []
    for label, fn in (
        (
            "contacts per day per 1,000 residents",
            lambda r, s: sum(x["contacts"] for x in r["by_category"].values()) / r["days"] / s,
        ),
        (
            "consultation share",
            lambda r, s: (
                sum(x["consultations"] for x in r["by_category"].values())
                / sum(x["contacts"] for x in r["by_category"].values())
            ),
        ),
        ("response rate (work orders)", lambda r, s: calib.rate_of(r, "response")),
        ("resolution rate (work orders)", lambda r, s: calib.rate_of(r, "resolution")),
        ("satisfaction rate (work orders)", lambda r, s: calib.rate_of(r, "satisfaction")),
        ("abandoned calls per call", lambda r, s: r["abandoned"] / r["calls"]),
        ("operator utilisation", lambda r, s: r["hotline_utilisation"]),
    ):
        pop = 21_890_000 / 1000
        full_v = fn(fr, pop)
        est = over_replications([fn(r, pop * f) for r in copies])
        rows.append(
            [
                label,
                f"{full_v:.4g}",
                f"{est.mean:.4g} ({est.low:.4g} - {est.high:.4g})",
                f"{(est.mean - full_v) / full_v:+.2%}" if full_v else "",
            ]
        )
    return (
        f"Beijing 2024 at full scale (343 streets, one run of {full['days']:.0f} days from 4 March, "
        f"{fr['created']:,} cases, {full['wall']:.0f} s) against {len(copies)} runs of the 1:{1 / f:.1f} "
        "copy over the same days (mean and 95% CI). Differences within the copy's CI or far inside "
        "the targets' tolerances mean the copy stands for the city.\n\n"
        + md_table(
            ["quantity", "full city (one run)", "scaled copy (95% CI)", "copy vs full"], rows
        )
        + "\n\nThe copy's operators are fewer but staffed to the city's Halfin-Whitt parameter, so its "
        "utilisation is lower while callers wait as rarely as in the full city.\n"
    )


def facts_text(a: dict, b: dict, c: dict, out: Path) -> str:
    rel = lambda p: Path(p).resolve().relative_to(out.parent.resolve())
    L = []
    months = a["months"]
    ja = {r: a["cis"][("ranking", months[0])][r] for r in ("resolution", "satisfaction")}
    oc = {r: a["cis"][("ranking", months[-1])][r] for r in ("resolution", "satisfaction")}
    flat = {r: a["cis"][("no_ranking", months[-1])][r] for r in ("resolution", "satisfaction")}
    L.append(
        "### (a) Ranking lifts the 2019 rates (`experiments/calibration/fact_a_ranking.yaml`)\n"
    )
    L.append(
        "The 2019 scenario (scaled copy) from January to October 2019, starting from the January "
        "state (resolution level and satisfaction intercept set to the January figures), with the ranking "
        "policy (monthly league tables from the end of January; pressure closes a share of each unit's gap "
        "to 97% resolution each month, the shame list faster; `service_gain` raises satisfaction with "
        "it) against no ranking. Rates of work orders by month of creation.\n"
    )
    rows = []
    for r in ("resolution", "satisfaction"):
        rows.append(
            [
                r,
                f"{calib.JAN_2019[r]:.2%}",
                f"{ja[r].mean:.2%} ({ja[r].low:.2%} - {ja[r].high:.2%})",
                f"{calib.OCT_2019[r]:.2%}",
                f"{oc[r].mean:.2%} ({oc[r].low:.2%} - {oc[r].high:.2%})",
                f"{flat[r].mean:.2%} ({flat[r].low:.2%} - {flat[r].high:.2%})",
            ]
        )
    L.append(
        md_table(
            [
                "rate",
                "published Jan",
                "simulated Jan, ranking",
                "published Oct",
                "simulated Oct, ranking",
                "simulated Oct, no ranking",
            ],
            rows,
        )
    )
    L.append(f"\n![fact a]({rel(a['png'])})\n")
    rise_ok = all(oc[r].mean - flat[r].mean > 0.1 for r in ("resolution", "satisfaction"))
    L.append(
        f"Direction and size: {'reproduced' if rise_ok else 'NOT reproduced'} (ranking rises by "
        f"{(oc['resolution'].mean - ja['resolution'].mean) * 100:.1f} and "
        f"{(oc['satisfaction'].mean - ja['satisfaction'].mean) * 100:.1f} points; without ranking the "
        "rates stay flat). January and October are fitted (the January state and the improvement "
        "rate / service gain), so what the experiment shows is the path between them and the flat "
        "counterfactual.\n"
    )
    L.append("### (b) Proactive work on heating (`experiments/calibration/fact_b_heating.yaml`)\n")
    cut = b["cut"]
    L.append(
        "Beijing 2024 (scaled copy) from 1 October 2024 to 15 March 2025. Proactive variant: the "
        "monthly-topic policy takes heating as its topic at the end of October; after its lag "
        "(preparation) heating appeals fall by `efficacy`. Outcome: heating appeals (contacts, repeat "
        "appeals included) inside the heating season, paired by replication (common random numbers).\n"
    )
    L.append(
        md_table(
            ["quantity", "published", "simulated (95% CI)"],
            [
                [
                    "cut in heating-season heating appeals",
                    "13% (2020/21)",
                    f"{cut.mean:.1%} ({cut.low:.1%} - {cut.high:.1%}), n={cut.n}",
                ]
            ],
        )
    )
    L.append(f"\n![fact b]({rel(b['png'])})\n")
    ok = abs(cut.mean - 0.13) < 0.03
    L.append(f"Direction and size: {'reproduced' if ok else 'NOT reproduced'}.\n")
    L.append(
        "### (c) A governance-class street halves its appeals (`experiments/calibration/fact_c_governance.yaml`)\n"
    )
    gr = c["governance_response"]["ratio"]
    ro = c["ranking_only"]["ratio"]
    L.append(
        "The 2019 scenario (scaled copy) from May to October 2019 with monthly rankings from the end of "
        "May. The street with most appeals in May (the copy's share of Beijing's 10) enters the governance "
        "class; with the governance response its appeal rate falls each month it is in the class "
        "(`governance_prevention`), and it stays in the class for 6 months. Outcome: the listed street's "
        "work orders in October over May.\n"
    )
    L.append(
        md_table(
            [
                "quantity",
                "published",
                "governance response (95% CI)",
                "ranked, no response (95% CI)",
            ],
            [
                [
                    "October / May work orders of the listed street",
                    f"{276 / 852:.3f} (852 -> 276)",
                    f"{gr.mean:.3f} ({gr.low:.3f} - {gr.high:.3f}), n={gr.n}",
                    f"{ro.mean:.3f} ({ro.low:.3f} - {ro.high:.3f}), n={ro.n}",
                ]
            ],
        )
    )
    L.append(f"\n![fact c]({rel(c['png'])})\n")
    ok = gr.mean < 0.5
    L.append(
        f"More than halved within five months: {'reproduced' if ok else 'NOT reproduced'}. Without the "
        "response the street falls back only by regression to the mean (it was chosen for its high May).\n"
    )
    return "\n".join(L)


if __name__ == "__main__":
    sys.exit(main())
