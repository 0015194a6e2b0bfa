"""``govsim optimize``: ask Optuna for candidates, race their replications, re-check the front.

The loop, one batch at a time:

1. ask the sampler for ``search.batch`` candidates (all drawn before any of them is told,
   so the draws depend on the finished trials only, never on which run finished first);
2. complete each (fill lever), count its heads and yuan; the sampler has already moved a
   draw over a budget, or equal to an earlier trial's, to the nearest feasible point not
   tried yet (:meth:`Space.repair`); a candidate still infeasible is told at once with its
   constraint violations (Optuna's constraints: TPE and NSGA-II rank feasible before
   infeasible) and never simulated;
3. race the feasible ones: ``replications.initial`` runs each (every candidate on the same
   replication seeds: common random numbers), then ``step`` more per round for those not
   dominated with confidence by the front of the trials before the batch, up to ``max``;
   all runs of a round go to the executor together (local pool or Dask);
4. tell each candidate its estimates (means over replications) when its race ends.

Each round's run values are stored with the trial, so a study killed at any moment and
resumed (``--resume``) re-adopts its unfinished trials with their levers and runs, and
ends where an uninterrupted study would. At the end the Pareto front (on the search
estimates) is re-evaluated on fresh seeds, never used in the search, against the
winner's curse; with one objective, every candidate that cannot be told from the search
best is, until the ones left cannot be told apart (:mod:`govsim.search.selection`).
"""

from __future__ import annotations

import os
import socket
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.trial import FrozenTrial, TrialState

from govsim.core.io import atomic_write, resolve_out
from govsim.core.progress import Progress
from govsim.experiments.design import RunTask, replication_seeds, run_id
from govsim.experiments.executors import Executor, choose
from govsim.experiments.outcomes import measured
from govsim.experiments.runner import RunOutcome, perform
from govsim.scenario.loader import load_model
from govsim.search import objectives as obj
from govsim.search import selection
from govsim.search.lever_space import Candidate, Space, build_space
from govsim.search.racing import beaten, next_target
from govsim.search.records import (
    A,
    Evaluation,
    distinct,
    evaluation_of,
    finished,
    fresh_key,
    front_members,
    selection_key,
)
from govsim.search.storage import (
    DB,
    check_stored,
    claim,
    existing_study,
    fingerprint,
    open_storage,
    open_study,
    storage_url,
    write_study_yaml,
)
from govsim.search.study import Lever, Study

STALE_SECONDS = (
    900.0  # a trial of another host whose owner has not reported for this long is adopted
)
HEARTBEAT_SECONDS = 30.0


@dataclass
class StudyResult:
    out: Path
    tables: dict[str, pd.DataFrame]
    ran: int = 0
    errors: list[str] = field(default_factory=list)
    study: Study | None = None

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name in ("trials", "front", "runs"):
            return self.tables.get(name, pd.DataFrame())
        raise AttributeError(name)


def load_study(path: str | Path) -> Study:
    return load_model(path, Study)


def run_study(
    path: str | Path,
    *,
    executor: Executor | None = None,
    resume: bool = False,
    out: str | Path | None = None,
    trials: int | None = None,
    storage: str | None = None,
    progress: bool = True,
) -> StudyResult:
    """Run (or ``resume``) the study at ``path``; write and return its tables."""
    from govsim.search.tables import build_tables

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    path = Path(path)
    study = load_study(path)
    space = build_space(study, path)
    study = space.study
    target = resolve_out(  # checked and written as one path (``..`` and symlinks applied)
        out if out else ((path.parent / study.out) if study.out else Path("results") / study.name)
    )
    reps = study.replications
    seeds = replication_seeds(study.seed, reps.max + reps.fresh)
    print_fp = fingerprint(space, seeds)
    url = storage_url(target, storage or study.storage)
    with claim(target, print_fp):  # no other process creates a study here meanwhile
        if storage or study.storage or (target / DB).is_file():
            stored = existing_study(open_storage(url), study.name)
            if stored is not None:
                check_stored(stored, print_fp, resume, str(target))
        write_study_yaml(target, study, print_fp, _masked(url))
        storage_ = open_storage(url)
        ostudy = open_study(storage_, space, print_fp)
    search = StudyLoop(space, ostudy, storage_, seeds, executor or choose(), progress)
    session: Any = search.executor if hasattr(search.executor, "__enter__") else nullcontext()
    with session:
        search.run(trials or study.search.trials)
        search.final()
    tables = build_tables(space, search.trials(), seeds, search.fresh_attrs())
    write_tables(target, tables)
    return StudyResult(target, tables, search.ran, search.errors, study)


class StudyLoop:
    """The ask - race - tell loop over one Optuna study."""

    def __init__(
        self,
        space: Space,
        ostudy: optuna.Study,
        storage: optuna.storages.BaseStorage,
        seeds: list[int],
        executor: Executor,
        progress: bool,
    ) -> None:
        self.space = space
        self.study = space.study
        self.ostudy = ostudy
        self.storage = storage
        self.study_id = storage.get_study_id_from_name(ostudy.study_name)
        self._ids: dict[int, int] = {}
        self.search_seeds = seeds[: self.study.replications.max]
        self.fresh_seeds = seeds[self.study.replications.max :]
        self.executor = executor
        self.progress = progress
        self.owner = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "token": uuid.uuid4().hex[:12],
        }
        self.cache: dict[tuple[str, int, int], dict[str, float]] = {}
        self.ran = 0
        self.errors: list[str] = []
        self._beat = 0.0
        self._bar: Progress | None = None

    # -- the loop ---------------------------------------------------------------------------
    def run(self, n_target: int) -> None:
        trials = self.trials()
        self._fill_cache(trials)
        self._bar = _bar(
            n_target, sum(t.state.is_finished() for t in trials), self.progress, self.study.name
        )
        try:
            while True:
                trials = self.trials()
                batch = self._adopt(trials)
                if batch:
                    batch += self._top_up(batch, trials, n_target)
                elif len(trials) >= n_target:
                    break
                else:
                    batch = self._ask_batch(min(self.study.search.batch, n_target - len(trials)))
                self._evaluate(batch)
        finally:
            if self._bar is not None:
                self._bar.close()

    def _ask_batch(self, size: int, start: int | None = None) -> list[Evaluation]:
        batch: list[Evaluation] = []
        for _ in range(size):
            trial = self.ostudy.ask()
            self.storage.set_trial_user_attr(self._trial_id(trial.number), A + "owner", self.owner)
            start = trial.number if start is None else start
            batch.append(self._draw(trial, start))
        return batch

    def _draw(self, trial: optuna.trial.Trial, start: int) -> Evaluation:
        drawn = {lever.key: _suggest(trial, lever) for lever in self.space.drawn}
        candidate = self.space.candidate(drawn)
        for name, violation in candidate.violations.items():
            trial.set_constraint(name, violation)
        attrs = {
            "batch": start,
            "levers": candidate.levers,
            "headcount": candidate.headcount,
            "cost_yuan": candidate.cost_yuan,
            "violations": candidate.violations,
            "feasible": candidate.feasible,
            "heartbeat": time.time(),
        }
        for key, value in attrs.items():
            trial.set_user_attr(A + key, value)
        return Evaluation(trial.number, start, candidate, error=candidate.error)

    def _adopt(self, trials: list[FrozenTrial]) -> list[Evaluation]:
        """Unfinished trials whose process is gone: continue them as they were."""
        batch = []
        for t in trials:
            if t.state != TrialState.RUNNING or not self._orphan(t):
                continue
            self.storage.set_trial_user_attr(self._trial_id(t.number), A + "owner", self.owner)
            if A + "feasible" in t.user_attrs:
                batch.append(evaluation_of(t))
                continue
            # Killed while its levers were drawn: draw them again (same seed, same finished trials).
            trial = optuna.trial.Trial(self.ostudy, self._trial_id(t.number))
            batch.append(self._draw(trial, self._batch_of(t, trials)))
        return sorted(batch, key=lambda e: e.number)

    def _batch_of(self, t: FrozenTrial, trials: list[FrozenTrial]) -> int:
        """The batch of a trial killed before it was recorded: its predecessor's, if unfinished."""
        before = next((o for o in trials if o.number == t.number - 1), None)
        if (
            before is None
            or before.state != TrialState.RUNNING
            or A + "batch" not in before.user_attrs
        ):
            return t.number
        start = int(before.user_attrs[A + "batch"])
        return start if t.number - start < self.study.search.batch else t.number

    def _orphan(self, t: FrozenTrial) -> bool:
        owner = t.user_attrs.get(A + "owner")
        if owner is None:
            return True
        if owner.get("token") == self.owner["token"]:
            return False
        if owner.get("host") == self.owner["host"]:
            return owner.get("pid") == os.getpid() or not _alive(int(owner.get("pid", -1)))
        return time.time() - float(t.user_attrs.get(A + "heartbeat", 0.0)) > STALE_SECONDS

    def _top_up(
        self, batch: list[Evaluation], trials: list[FrozenTrial], n_target: int
    ) -> list[Evaluation]:
        """A batch cut short while it was being asked gets its missing trials, as if never cut."""
        start = min(e.batch for e in batch)
        if any(t.number > max(e.number for e in batch) for t in trials):
            return []
        members = [t for t in trials if t.user_attrs.get(A + "batch") == start or t.number == start]
        missing = min(self.study.search.batch, n_target - start) - len(members)
        return self._ask_batch(missing, start) if missing > 0 else []

    def _evaluate(self, batch: list[Evaluation]) -> None:
        start = min(e.batch for e in batch)
        front = self._front_scores(start)
        active = []
        for ev in batch:
            if ev.error is not None:
                self._fail(ev, ev.error)
            elif not ev.candidate.feasible:
                self._tell(ev, None)
            else:
                active.append(ev)
        reps = self.study.replications
        while active:
            running = []
            for ev in active:  # decide on the runs so far (a resumed trial may have some)
                if ev.reps() >= reps.initial and (
                    ev.reps() >= reps.max
                    or (
                        front
                        and beaten(
                            ev.scores(self.study), front, self.study.objectives, reps.confidence
                        )
                    )
                ):
                    self._tell(ev, ev.scores(self.study))
                else:
                    running.append(ev)
            if not running:
                break
            targets = {
                ev.number: next_target(ev.reps(), reps.initial, reps.step, reps.max)
                for ev in running
            }
            self._run(running, targets, fresh=False)
            active = []
            for ev in running:
                if ev.error is not None:
                    self._fail(ev, ev.error)
                else:
                    active.append(ev)

    def _front_scores(self, start: int) -> list[dict[str, np.ndarray]]:
        """Scores of the Pareto front of the finished, feasible trials numbered before ``start``."""
        done = [
            evaluation_of(t)
            for t in self.trials((TrialState.COMPLETE,))
            if t.number < start and finished(t)
        ]
        if not done:
            return []
        scores = [ev.scores(self.study) for ev in done]
        losses = np.array(
            [[o.sign * float(np.mean(s[o.outcome])) for o in self.study.objectives] for s in scores]
        )
        return [s for s, keep in zip(scores, obj.pareto_mask(losses), strict=True) if keep]

    # -- runs ---------------------------------------------------------------------------------
    def _run(self, evaluations: Iterable[Evaluation], targets: dict[int, int], fresh: bool) -> None:
        """Bring each evaluation to its target replications (from the cache, else by running)."""
        seeds = self.fresh_seeds if fresh else self.search_seeds
        tasks: list[RunTask] = []
        planned: set[tuple[str, int, int]] = set()
        evaluations = list(evaluations)
        for ev in evaluations:
            scenarios: dict[int, Any] = {}
            for sample in self.space.samples["sample"].astype(int):
                for r in range(targets[ev.number]):
                    key = (ev.candidate.key, sample, seeds[r])
                    if key in self.cache or key in planned:
                        continue
                    if sample not in scenarios:
                        scenarios[sample] = self.space.scenario(ev.candidate.levers, sample)
                    planned.add(key)
                    tasks.append(
                        RunTask(
                            run_id(("f" if fresh else "t") + str(ev.number), sample, r),
                            str(ev.number),
                            sample,
                            r,
                            seeds[r],
                            scenarios[sample],
                            self.space.warmup_hours,
                            tuple(self.study.outcomes),
                            companions=fresh,  # what is reported says if it settles
                        )
                    )
        failures: dict[str, str] = {}
        by_id = {t.run_id: t for t in tasks}
        for outcome in self.executor.map(perform, tasks):
            task = by_id[outcome.run_id]
            self.ran += 1
            ev_key = next(ev.candidate.key for ev in evaluations if str(ev.number) == task.variant)
            error = _run_error(outcome, self.study.outcomes)
            if error is None:
                assert outcome.metrics is not None
                self.cache[(ev_key, task.sample, task.seed)] = {
                    k: float(v) for k, v in outcome.metrics.items()
                }
            else:
                failures[ev_key] = (
                    f"run sample {task.sample}, replication {task.replication}, "
                    f"seed {task.seed}: {error}"
                )
            if not fresh:
                self._heartbeat(evaluations)
        for ev in evaluations:
            if ev.candidate.key in failures:
                ev.error = failures[ev.candidate.key]
                continue
            table: dict[str, list[list[float]]] = {}
            for outcome_name in measured(self.study.outcomes) if fresh else self.study.outcomes:
                table[outcome_name] = [
                    [
                        self.cache[(ev.candidate.key, s, seeds[r])][outcome_name]
                        for r in range(targets[ev.number])
                    ]
                    for s in self.space.samples["sample"].astype(int)
                ]
            if fresh:
                ev.fresh = table
                self.storage.set_study_user_attr(self.study_id, fresh_key(ev.number), table)
            else:
                ev.values = table
                self.storage.set_trial_user_attr(self._trial_id(ev.number), A + "values", table)
        if not fresh:
            self._heartbeat(evaluations, force=True)

    def _heartbeat(self, evaluations: list[Evaluation], force: bool = False) -> None:
        now = time.time()
        if not force and now - self._beat < HEARTBEAT_SECONDS:
            return
        self._beat = now
        for ev in evaluations:
            self.storage.set_trial_user_attr(self._trial_id(ev.number), A + "heartbeat", now)

    def _fill_cache(self, trials: list[FrozenTrial]) -> None:
        """Runs already stored: equal candidates on equal seeds need no new run."""
        fresh = self.fresh_attrs()
        for t in trials:
            levers = t.user_attrs.get(A + "levers")
            if levers is None:
                continue
            key = Candidate(levers).key
            tables = (
                (t.user_attrs.get(A + "values"), self.search_seeds),
                (fresh.get(fresh_key(t.number)), self.fresh_seeds),
            )
            for table, seeds in tables:
                if not table or not all(o in table for o in self.study.outcomes):
                    continue
                for s, sample in enumerate(self.space.samples["sample"].astype(int)):
                    for r in range(len(table[self.study.outcomes[0]][s])):
                        self.cache[(key, int(sample), seeds[r])] = {
                            o: table[o][s][r]
                            for o in table  # fresh: the companions too
                        }

    # -- telling -------------------------------------------------------------------------------
    def _tell(self, ev: Evaluation, scores: dict[str, np.ndarray] | None) -> None:
        if scores is None:
            # Infeasible: never simulated. Its values are placeholders that TPE and NSGA-II do
            # not read (both rank infeasible trials by their constraint violation alone).
            values = [0.0] * len(self.study.objectives)
        else:
            estimates = {k: _interval(v) for k, v in scores.items()}
            self.storage.set_trial_user_attr(self._trial_id(ev.number), A + "estimates", estimates)
            values = [estimates[o.outcome][0] for o in self.study.objectives]
        self.ostudy.tell(ev.number, values, skip_if_finished=True)
        self._advance()

    def _fail(self, ev: Evaluation, error: str) -> None:
        self.errors.append(f"trial {ev.number}: {error.splitlines()[0]}")
        self.storage.set_trial_user_attr(self._trial_id(ev.number), A + "error", error)
        self.ostudy.tell(ev.number, state=TrialState.FAIL, skip_if_finished=True)
        if self._bar is not None:
            self._bar.write(f"govsim: trial {ev.number} failed: {error.splitlines()[0]}")
        self._advance()

    def _advance(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def fresh_attrs(self) -> dict:
        return self.storage.get_study_user_attrs(self.study_id)

    def trials(self, states: tuple[TrialState, ...] | None = None) -> list[FrozenTrial]:
        """Trials read from the database (Optuna's cache misses attributes set after a tell)."""
        return self.storage.get_all_trials(self.study_id, deepcopy=False, states=states)

    def _trial_id(self, number: int) -> int:
        if number not in self._ids:
            self._ids[number] = self.storage.get_trial_id_from_study_id_trial_number(
                self.study_id, number
            )
        return self._ids[number]

    # -- the final front ----------------------------------------------------------------------
    def final(self) -> None:
        """One objective: select among the contenders on fresh seeds (govsim.search.selection).
        More: re-evaluate the front members on fresh seeds (``replications.final`` each)."""
        if len(self.study.objectives) == 1:
            self._select()
            return
        members = front_members(self.study, self.trials((TrialState.COMPLETE,)), self.fresh_attrs())
        need = [ev for ev in members if ev.reps(fresh=True) < self.study.replications.final]
        if need:
            self._run(need, {ev.number: self.study.replications.final for ev in need}, fresh=True)
        for ev in need:
            if ev.error is not None:
                self.errors.append(f"fresh runs of trial {ev.number}: {ev.error.splitlines()[0]}")

    def _select(self) -> None:
        """Screen the finished candidates, then eliminate on fresh seeds; store the outcome."""
        reps, objective = self.study.replications, self.study.objectives[0]
        done = distinct(
            evaluation_of(t, self.fresh_attrs())
            for t in self.trials((TrialState.COMPLETE,))
            if finished(t)
        )
        if not done:
            return
        by_number = {ev.number: ev for ev in done}
        search = {
            ev.number: objective.sign * ev.scores(self.study)[objective.outcome] for ev in done
        }
        names = selection.contenders(search, reps.confidence, reps.contenders)
        plan = selection.Plan.of(len(names), reps.final, reps.fresh, reps.confidence)
        if self.progress:
            print(
                f"govsim: {self.study.name}: {len(names)} of {len(done)} candidates cannot be told "
                "from the search best; re-running them on fresh seeds",
                file=sys.stderr,
                flush=True,
            )
        while True:
            losses = {n: self._fresh_loss(by_number[n]) for n in names}
            state = selection.eliminate(losses, plan)
            if state.target is None:
                break
            need = [by_number[n] for n in state.alive if by_number[n].reps(True) < state.target]
            self._run(need, {ev.number: state.target for ev in need}, fresh=True)
            for ev in need:
                if ev.error is not None:
                    line = ev.error.splitlines()[0]
                    self.errors.append(f"fresh runs of trial {ev.number}: {line}")
            names = [n for n in names if by_number[n].error is None]
            if not names:
                return
        record = {
            "contenders": names,
            "alive": state.alive,
            "dropped": {str(k): v for k, v in state.dropped.items()},
            "best": state.best(losses),
            "looks": plan.looks,
            "alpha": plan.alpha,
            "confidence": reps.confidence,
        }
        self.storage.set_study_user_attr(self.study_id, selection_key(), record)

    def _fresh_loss(self, ev: Evaluation) -> np.ndarray:
        if not ev.fresh:
            return np.zeros(0)
        objective = self.study.objectives[0]
        return objective.sign * ev.scores(self.study, fresh=True)[objective.outcome]


def write_tables(target: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Each table as ``target/<name>.parquet``, written atomically."""
    for name, table in tables.items():
        atomic_write(target / f"{name}.parquet", _writer(table))


def _writer(table: pd.DataFrame) -> Any:
    return lambda path: table.to_parquet(path, index=False)


def _suggest(trial: optuna.trial.Trial, lever: Lever) -> Any:
    """The sampler's value (the distributions match :func:`storage.distribution`)."""
    if lever.choices is not None:
        return trial.suggest_categorical(lever.key, lever.choices)
    assert lever.range is not None
    low, high = lever.range
    if lever.integer:
        step = int(lever.step) if lever.step else 1
        return trial.suggest_int(lever.key, int(low), int(high), step=step, log=lever.log)
    return trial.suggest_float(lever.key, low, high, step=lever.step, log=lever.log)


def _interval(scores: np.ndarray) -> list[float]:
    ci = obj.estimate(scores)
    return [ci.mean, ci.low, ci.high, ci.n]


def _run_error(outcome: RunOutcome, objectives: Sequence[str]) -> str | None:
    """Why a run cannot be scored: its error, or an objective it left undefined (a companion
    may be: ``settled`` is NaN for a run too short to test)."""
    if outcome.error is not None:
        return outcome.error
    assert outcome.metrics is not None
    undefined = [k for k in objectives if not np.isfinite(outcome.metrics[k])]
    return f"outcome {undefined} is undefined (NaN)" if undefined else None


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _masked(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for display
        return url


def _bar(total: int, done: int, progress: bool, label: str) -> Progress | None:
    """A bar on a terminal; elsewhere (a log file) a line on stderr at every tenth of the trials."""
    if not progress:
        return None
    return Progress(total, desc=label, unit="trial", initial=min(done, total))
