"""The study's tables, built from the Optuna storage alone.

- ``trials.parquet``: one row per trial: state, levers (one column per lever key), head
  count, cost, replications used, each outcome's estimate with its 95% CI, whether it is
  on the search front;
- ``front.parquet``: the front re-evaluated on fresh seeds: the search estimate next to
  the fresh one (the drop between them is the winner's curse), 95% CIs, and with
  uncertainties the mean and 90th percentile over the sampled scenarios and the maximum
  regret against the other front members;
- ``runs.parquet``: every run value (trial, phase, sample, replication, seed, metric, value);
- ``samples.parquet``: the sampled scenarios of the uncertainties (when there are any).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from optuna.trial import FrozenTrial, TrialState

from govsim.search import objectives as obj
from govsim.search.levers import Space
from govsim.search.records import A, Evaluation, evaluation_of, finished, fresh_key, front_members
from govsim.search.study import Study


def build_tables(
    space: Space, trials: Sequence[FrozenTrial], seeds: Sequence[int], fresh: dict
) -> dict[str, pd.DataFrame]:
    """The tables of a study from its trials and study attributes (``fresh``: fresh runs)."""
    study = space.study
    members = front_members(study, trials, fresh)
    on_front = {ev.number for ev in members}
    tables = {
        "trials": _trials(study, trials, on_front),
        "front": _front(study, members),
        "runs": _runs(study, trials, space, seeds, fresh),
    }
    if study.uncertainties:
        tables["samples"] = space.samples
    return tables


def _trials(study: Study, trials: Sequence[FrozenTrial], on_front: set[int]) -> pd.DataFrame:
    rows = []
    for t in sorted(trials, key=lambda t: t.number):
        ev = evaluation_of(t)
        row: dict[str, object] = {
            "trial": t.number,
            "state": _state(t),
            "batch": ev.batch,
            "feasible": bool(t.user_attrs.get(A + "feasible", False)),
        }
        row.update(
            {
                lever.key: ev.candidate.levers.get(lever.key, t.params.get(lever.key))
                for lever in study.levers
            }
        )
        row.update(
            {
                "headcount": ev.candidate.headcount,
                "cost_yuan": ev.candidate.cost_yuan,
                "replications": ev.reps() if ev.values else 0,
            }
        )
        row.update(_estimates(study, ev, fresh=False) if finished(t) else {})
        row["pareto"] = t.number in on_front
        row["error"] = (
            str(t.user_attrs.get(A + "error", "")).splitlines()[0]
            if A + "error" in t.user_attrs
            else ""
        )
        rows.append(row)
    columns = [
        "trial",
        "state",
        "batch",
        "feasible",
        *[lv.key for lv in study.levers],
        "headcount",
        "cost_yuan",
        "replications",
        *_estimate_columns(study),
        "pareto",
        "error",
    ]
    return _tidy(pd.DataFrame(rows, columns=columns), study)


def _front(study: Study, members: list[Evaluation]) -> pd.DataFrame:
    members = [ev for ev in members if ev.fresh and all(o in ev.fresh for o in study.outcomes)]
    regrets: dict[str, dict[int, float]] = {}
    multi = bool(members) and len(next(iter(members[0].fresh.values()))) > 1
    if multi:
        for o in study.objectives:
            regrets[o.outcome] = obj.max_regret(
                {ev.number: _array(ev.fresh, o.outcome, ev.reps(True)) for ev in members}, o.sign
            )
    rows = []
    for ev in members:
        row: dict[str, object] = {"trial": ev.number}
        row.update({lever.key: ev.candidate.levers.get(lever.key) for lever in study.levers})
        row.update(
            {
                "headcount": ev.candidate.headcount,
                "cost_yuan": ev.candidate.cost_yuan,
                "replications_search": ev.reps(),
                "replications": ev.reps(True),
            }
        )
        search = _estimates(study, ev, fresh=False)
        row.update({f"{o.outcome}_search": search[o.outcome] for o in study.objectives})
        row.update(_estimates(study, ev, fresh=True))
        if multi:
            for o in study.objectives:
                mean, tail = obj.across_samples(_array(ev.fresh, o.outcome, ev.reps(True)), o.sign)
                row.update(
                    {
                        f"{o.outcome}_sample_mean": mean,
                        f"{o.outcome}_sample_p90": tail,
                        f"{o.outcome}_max_regret": regrets[o.outcome][ev.number],
                    }
                )
        rows.append(row)
    frame = pd.DataFrame(rows)
    if len(frame):
        losses = np.array(
            [
                [o.sign * float(frame.loc[i, o.outcome]) for o in study.objectives]
                for i in frame.index
            ]
        )
        frame["pareto_fresh"] = obj.pareto_mask(losses)
    else:
        frame = pd.DataFrame(
            columns=[
                "trial",
                *[lv.key for lv in study.levers],
                "headcount",
                "cost_yuan",
                "replications_search",
                "replications",
                *_estimate_columns(study),
                "pareto_fresh",
            ]
        )
    return _tidy(frame, study)


def _runs(
    study: Study, trials: Sequence[FrozenTrial], space: Space, seeds: Sequence[int], fresh: dict
) -> pd.DataFrame:
    search_seeds, fresh_seeds = seeds[: study.replications.max], seeds[study.replications.max :]
    samples = list(space.samples["sample"].astype(int))
    rows = []
    for t in sorted(trials, key=lambda t: t.number):
        phases = (
            ("search", t.user_attrs.get(A + "values"), search_seeds),
            ("fresh", fresh.get(fresh_key(t.number)), fresh_seeds),
        )
        for phase, table, phase_seeds in phases:
            table = table or {}
            for metric, per_sample in table.items():
                for s, values in zip(samples, per_sample, strict=True):
                    rows += [
                        (t.number, phase, s, r, phase_seeds[r], metric, float(v))
                        for r, v in enumerate(values)
                    ]
    return pd.DataFrame(
        rows, columns=["trial", "phase", "sample", "replication", "seed", "metric", "value"]
    )


def _estimates(study: Study, ev: Evaluation, fresh: bool) -> dict[str, float]:
    table = ev.fresh if fresh else ev.values
    n = ev.reps(fresh)
    signs = {o.outcome: o.sign for o in study.objectives}
    row: dict[str, float] = {}
    for name in study.outcomes:
        robustness = study.robustness if name in signs else "mean"
        ci = obj.estimate(obj.robust(_array(table, name, n), signs.get(name, 1.0), robustness))
        row.update({name: ci.mean, f"{name}_ci_low": ci.low, f"{name}_ci_high": ci.high})
    return row


def _estimate_columns(study: Study) -> list[str]:
    return [c for name in study.outcomes for c in (name, f"{name}_ci_low", f"{name}_ci_high")]


def _array(table: dict[str, list[list[float]]], name: str, n: int) -> np.ndarray:
    return np.array([row[:n] for row in table[name]], dtype=float)


def _state(t: FrozenTrial) -> str:
    if t.state == TrialState.COMPLETE:
        return "complete" if t.user_attrs.get(A + "feasible") else "infeasible"
    return {
        TrialState.FAIL: "failed",
        TrialState.RUNNING: "running",
        TrialState.PRUNED: "pruned",
        TrialState.WAITING: "waiting",
    }.get(t.state, str(t.state))


def _tidy(frame: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Lever columns of one type each (mixed choices become text), as parquet needs."""
    for lever in study.levers:
        if lever.key not in frame:
            continue
        if lever.kind == "int":
            frame[lever.key] = frame[lever.key].astype("Int64")
        elif lever.kind == "float":
            frame[lever.key] = frame[lever.key].astype(float)
        elif len({type(c) for c in lever.choices or []}) > 1:
            frame[lever.key] = frame[lever.key].map(lambda v: None if v is None else str(v))
    return frame
