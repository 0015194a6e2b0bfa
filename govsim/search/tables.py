"""The study's tables, built from the Optuna storage alone.

- ``trials.parquet``: one row per trial: state, levers (one column per lever key), head
  count, cost, replications used, each outcome's estimate with its 95% CI, whether it is
  on the search front;
- ``front.parquet``: the front re-evaluated on fresh seeds: the search estimate next to
  the fresh one (the drop between them is the winner's curse), 95% CIs, and with
  uncertainties the mean and 90th percentile over the sampled scenarios and the maximum
  regret against the other front members; with two or more objectives each member's fresh
  verdict; with one objective the returned best of the selection;
- ``selection.parquet`` (one objective): the contenders re-run on fresh seeds, their paired
  difference from the returned best, and the indifference set;
- ``runs.parquet``: every run value (trial, phase, sample, replication, seed, metric, value);
- ``samples.parquet``: the sampled scenarios of the uncertainties (when there are any).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from optuna.trial import FrozenTrial, TrialState

from govsim.results.settling import verdict
from govsim.search import objectives as obj
from govsim.search.lever_space import Space
from govsim.search.racing import dominated_by
from govsim.search.records import (
    A,
    Evaluation,
    evaluation_of,
    finished,
    fresh_key,
    front_members,
    selection_key,
)
from govsim.search.study import Study


def build_tables(
    space: Space, trials: Sequence[FrozenTrial], seeds: Sequence[int], fresh: dict
) -> dict[str, pd.DataFrame]:
    """The tables of a study from its trials and study attributes (``fresh``: fresh runs)."""
    study = space.study
    members = front_members(study, trials, fresh)
    on_front = {ev.number for ev in members}
    record = fresh.get(selection_key()) if len(study.objectives) == 1 else None
    chosen = members
    if record is not None:
        by_number = {t.number: evaluation_of(t, fresh) for t in trials}
        chosen = [by_number[int(record["best"])]]
    tables = {
        "trials": _trials(study, trials, on_front),
        "front": _front(study, chosen),
        "runs": _runs(study, trials, space, seeds, fresh),
    }
    if record is not None:
        tables["selection"] = _selection(study, record, by_number)
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
        row = _candidate(study, ev)
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
        if len(study.objectives) > 1:
            verdicts = _verdicts(study, members, losses)
            for column in ("dominated_by", "confidently_dominated", "tie_with", "fresh_verdict"):
                frame[column] = [v[column] for v in verdicts]
            frame["dominated_by"] = frame["dominated_by"].astype("Int64")
            frame["tie_with"] = frame["tie_with"].astype("Int64")
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


def _verdicts(study: Study, members: list[Evaluation], losses: np.ndarray) -> list[dict]:
    """Each front member's fate on the fresh seeds, paired against the other members.

    ``dominated_by``: a member that dominates it on the fresh means; ``confidently_dominated``:
    whether one does with confidence (racing's rule at ``replications.confidence``);
    ``tie_with``: a member better on some objective with confidence while this one is better
    on none with confidence (its place on the front rests on differences within the noise).
    """
    level = study.replications.confidence
    scores = [ev.scores(study, fresh=True) for ev in members]
    out = []
    for i in range(len(members)):
        above = [
            j
            for j in range(len(members))
            if j != i and np.all(losses[j] <= losses[i]) and np.any(losses[j] < losses[i])
        ]
        sure = [
            j
            for j in range(len(members))
            if j != i and dominated_by(scores[i], scores[j], study.objectives, level)
        ]
        ties = [j for j in range(len(members)) if j != i and _outdone(study, scores[i], scores[j])]
        verdict = "stays on the front"
        if sure:
            verdict = f"dominated by trial {members[sure[0]].number} with confidence: off the front"
        elif above:
            verdict = (
                f"dominated by trial {members[above[0]].number} on the fresh means, "
                "not with confidence"
            )
        elif ties:
            verdict = (
                f"on the front, but not told apart from trial {members[ties[0]].number}, "
                "which is better with confidence on some objective"
            )
        out.append(
            {
                "dominated_by": members[above[0]].number if above else None,
                "confidently_dominated": bool(sure),
                "tie_with": members[ties[0]].number if ties and not sure else None,
                "fresh_verdict": verdict,
            }
        )
    return out


def _outdone(study: Study, a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    """``b`` is better than ``a`` with confidence on some objective, ``a`` on none."""
    level = study.replications.confidence
    somewhere = False
    for o in study.objectives:
        x, y = a[o.outcome], b[o.outcome]
        n = min(len(x), len(y))
        ci = obj.estimate(o.sign * (x[:n] - y[:n]), level)  # a's loss minus b's
        if ci.high < 0:
            return False
        somewhere = somewhere or ci.low > 0
    return somewhere


def _selection(study: Study, record: dict, by_number: dict[int, Evaluation]) -> pd.DataFrame:
    """The contenders re-run on fresh seeds: estimates, the paired difference from the returned
    best, and whether each is in the indifference set."""
    objective = study.objectives[0]
    name = objective.outcome
    best = by_number[int(record["best"])]
    alpha = float(record["alpha"])
    dropped = {int(k): int(v) for k, v in record["dropped"].items()}
    alive = {int(k) for k in record["alive"]}
    rows = []
    for number in record["contenders"]:
        ev = by_number[int(number)]
        row = _candidate(study, ev)
        row[f"{name}_search"] = _estimates(study, ev, fresh=False)[name]
        fresh = _estimates(study, ev, fresh=True)
        row.update({k: fresh[k] for k in (name, f"{name}_ci_low", f"{name}_ci_high")})
        a, b = ev.scores(study, fresh=True)[name], best.scores(study, fresh=True)[name]
        n = min(len(a), len(b))
        diff = obj.estimate(a[:n] - b[:n], 1 - 2 * alpha)
        row.update(
            {
                "difference": diff.mean,
                "difference_ci_low": diff.low,
                "difference_ci_high": diff.high,
                "indifferent": ev.number in alive,
                "best": ev.number == best.number,
                "dropped_at": dropped.get(ev.number),
            }
        )
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["dropped_at"] = frame["dropped_at"].astype("Int64")
    return _tidy(frame, study)


def _candidate(study: Study, ev: Evaluation) -> dict[str, object]:
    """A row's opening: the trial, its levers, what it costs and the replications run."""
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
    row.update(_settling(ev))
    return row


def _settling(ev: Evaluation) -> dict[str, object]:
    """Whether the candidate's backlog settles on its fresh runs (measured beside a time to
    close): the mean open share at the end, the runs whose backlog grows, and the verdict
    (:func:`govsim.results.settling.verdict`; None where no fresh run could be tested)."""
    if "settled" not in ev.fresh:
        return {}
    flags = np.array(ev.fresh["settled"], dtype=float).ravel()
    tested = flags[np.isfinite(flags)]
    growing = int((tested == 0).sum())
    settles = verdict(len(tested), growing)[1] if len(tested) else None
    return {
        "open_share": float(np.nanmean(ev.fresh["open_share"])),
        "runs_growing": growing,
        "backlog_settles": settles,
    }


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
    if "backlog_settles" in frame:
        frame["backlog_settles"] = frame["backlog_settles"].astype("boolean")
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
