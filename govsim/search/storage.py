"""Where a study lives: the Optuna storage, the seeded sampler, and the output folder's claim.

Storage. Optuna's RDB storage, on SQLite (``optuna.db`` in the output folder) by
default: a real database, so every told trial is committed the moment it is told, a
killed study loses nothing finished, and several processes on one machine can work on
one study. The same class takes a PostgreSQL URL for processes on several machines
(SQLite must not be shared over a network file system). The journal file storage would
also survive kills, but RDB is the one backend that serves both the laptop and the
cluster, and it can be opened with sqlite3 or optuna-dashboard.

Determinism. An Optuna sampler draws from one random generator that lives in memory,
so a resumed study would draw differently from an uninterrupted one. The sampler here
is rebuilt for every trial with a seed derived from (study seed, trial number): NSGA-II
and TPE keep everything else in the storage, so trial n gets the same levers whether or
not the study was killed before it, as long as it sees the same finished trials (trials
are drawn in fixed batches; see :mod:`govsim.search.optimizer`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import yaml
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.samplers import BaseSampler
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from govsim.core.errors import UserInputError
from govsim.core.io import atomic_write
from govsim.search.lever_space import Space, point_key
from govsim.search.study import Lever, Study

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

FINGERPRINT = "govsim.fingerprint"
DB = "optuna.db"
LOCK = ".optimize.lock"  # held while a process creates the study in its folder


class SeededSampler(BaseSampler):
    """An Optuna sampler rebuilt for each trial, seeded by (seed, trial number).

    With ``repair``, the sampler draws every lever of ``space`` together and hands the draw,
    with the points of the earlier trials, to ``repair``, which returns the nearest
    feasible point not tried yet (:meth:`Space.repair`): the trial's parameters are the
    repaired values, so the sampler learns from what was run, and no trial is spent over
    a budget or on a repeat.
    """

    def __init__(
        self,
        factory: Callable[[int], BaseSampler],
        seed: int,
        repair: Callable[[dict[str, Any], set[str]], dict[str, Any]] | None = None,
        space: dict[str, BaseDistribution] | None = None,
    ) -> None:
        self._factory = factory
        self._seed = seed
        self._inner = factory(seed % 2**32)  # replaced before each trial; numpy takes 32 bits
        self._repair = repair
        self._space = space or {}

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self._inner = self._factory(trial_seed(self._seed, trial.number))
        self._inner.before_trial(study, trial)

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        if self._repair is not None and self._space:
            return dict(self._space)
        return self._inner.infer_relative_search_space(study, trial)

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if self._repair is None or not self._space:
            return self._inner.sample_relative(study, trial, search_space)
        inner = self._inner.infer_relative_search_space(study, trial)
        values = self._inner.sample_relative(
            study, trial, {k: d for k, d in inner.items() if k in search_space}
        )
        for name, distribution in search_space.items():
            if name not in values:
                values[name] = self._inner.sample_independent(study, trial, name, distribution)
        tried = {
            point_key({k: t.params.get(k) for k in search_space})
            for t in study.get_trials(deepcopy=False)
            if t.number != trial.number and t.params
        }
        return self._repair(values, tried)

    def sample_independent(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self._inner.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(
        self,
        study: optuna.Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._inner.after_trial(study, trial, state, values)


def distribution(lever: Lever) -> BaseDistribution:
    """The Optuna distribution of a lever (as ``trial.suggest_*`` makes it)."""
    if lever.choices is not None:
        return CategoricalDistribution(lever.choices)
    assert lever.range is not None
    low, high = lever.range
    if lever.integer:
        step = int(lever.step) if lever.step else 1
        return IntDistribution(int(low), int(high), log=lever.log, step=step)
    return FloatDistribution(low, high, log=lever.log, step=lever.step)


def trial_seed(seed: int, number: int) -> int:
    return int(np.random.SeedSequence([seed, number]).generate_state(1)[0])


def sampler_for(
    study: Study,
    repair: Callable[[dict[str, Any], set[str]], dict[str, Any]] | None = None,
    space: dict[str, BaseDistribution] | None = None,
) -> SeededSampler:
    search = study.search
    seed = search.seed if search.seed is not None else study.seed

    def factory(s: int) -> BaseSampler:
        if search.sampler == "nsga2":
            return optuna.samplers.NSGAIISampler(population_size=search.population, seed=s)
        if search.sampler == "random":
            return optuna.samplers.RandomSampler(seed=s)
        # constant liar: trials drawn in one batch avoid each other while they run
        return optuna.samplers.TPESampler(
            n_startup_trials=search.startup_trials, seed=s, constant_liar=search.batch > 1
        )

    return SeededSampler(factory, seed, repair, space)


def storage_url(target: Path, url: str | None) -> str:
    return url or f"sqlite:///{(target / DB).resolve()}"


def open_storage(url: str) -> optuna.storages.RDBStorage:
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite:///"):
        kwargs["engine_kwargs"] = {"creator": _sqlite_connector(url[len("sqlite:///") :])}
    from sqlalchemy.exc import IntegrityError

    try:
        try:
            return optuna.storages.RDBStorage(url, **kwargs)
        except IntegrityError:  # another process created the tables at the same moment: they exist
            return optuna.storages.RDBStorage(url, **kwargs)
    except Exception as exc:  # noqa: BLE001 - a bad URL or an unreachable server is user input
        raise UserInputError(
            f"cannot open the Optuna storage ({type(exc).__name__}: {exc})", source=url
        ) from None


def _sqlite_connector(path: str) -> Callable[[], sqlite3.Connection]:
    """SQLite in write-ahead-log mode with normal sync: a commit survives a killed process (not
    a power cut) and costs no fsync, which made the database the slowest part of a study."""

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(
            path, timeout=60
        )  # wait up to 60 s for another process's write
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    return connect


def existing_study(storage: optuna.storages.RDBStorage, name: str) -> optuna.Study | None:
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        return None


def check_stored(study: optuna.Study, fingerprint: str, resume: bool, where: str) -> None:
    """Refuse a stored study of another definition, or finished trials without ``--resume``."""
    recorded = study.user_attrs.get(FINGERPRINT)
    if recorded is not None and recorded != fingerprint:
        raise UserInputError(
            f"the storage holds a different definition of study '{study.study_name}'; choose "
            "another --out (or --storage, or rename the study)",
            source=where,
        )
    if not resume:  # trials or not: another process may have just created it and be running
        raise UserInputError(
            "the storage already holds this study (with its trials, or being run by another "
            "process); add --resume to continue or join it, or choose another --out",
            source=where,
        )


def open_study(storage: optuna.storages.RDBStorage, space: Space, fingerprint: str) -> optuna.Study:
    """Create or load the study; its sampler repairs draws over a budget (see SeededSampler)."""
    study = space.study
    distributions = {lever.key: distribution(lever) for lever in space.drawn}
    directions = [
        StudyDirection.MINIMIZE if o.minimise else StudyDirection.MAXIMIZE for o in study.objectives
    ]
    ostudy = optuna.create_study(
        study_name=study.name,
        storage=storage,
        directions=directions,
        sampler=sampler_for(study, space.repair, distributions),
        load_if_exists=True,
    )
    if FINGERPRINT not in ostudy.user_attrs:
        ostudy.set_user_attr(FINGERPRINT, fingerprint)
    return ostudy


def fingerprint(space: Space, seeds: Sequence[int]) -> str:
    """What the trials depend on: a change to it makes stored trials meaningless."""
    study = space.study.model_dump(mode="json", exclude={"out", "storage", "description"})
    study["search"].pop("trials", None)  # --trials may extend a study
    parts = {
        "study": study,
        "base": space.base_scenario.model_dump_json(),
        "samples": space.samples.to_json(),
        "seeds": list(seeds),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


@contextmanager
def claim(target: Path, fingerprint: str) -> Iterator[None]:
    """Refuse an output folder that holds something else than this study; else hold it.

    The checks are made twice: before anything is written (bad input writes nothing), and
    again under an exclusive lock on ``target/.optimize.lock``, held while the caller
    creates the study. Two processes started together on one fresh folder would both pass
    the first check; the lock lets one through, and the other stops with one message. The
    lock is the operating system's (``flock``): it goes with its process, so a killed
    process leaves none behind, only the empty lock file.
    """
    _check_folder(target, fingerprint)
    made = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    with _locked(target / LOCK, target):
        try:
            _check_folder(target, fingerprint)
            yield
        except BaseException:
            if made and not any(p.name != LOCK for p in target.iterdir()):
                shutil.rmtree(target, ignore_errors=True)  # nothing of ours to keep
            raise


def _check_folder(target: Path, fingerprint: str) -> None:
    if target.exists() and not target.is_dir():
        raise UserInputError("the output path exists and is not a folder", source=str(target))
    recorded = target / "study.yaml"
    if recorded.is_file():
        try:
            previous = (yaml.safe_load(recorded.read_text(encoding="utf-8")) or {}).get(
                "fingerprint"
            )
        except yaml.YAMLError:
            previous = None
        if previous != fingerprint:
            raise UserInputError(
                "the folder holds a different study (its study.yaml differs); choose another --out",
                source=str(target),
            )
    elif target.is_dir() and any(not _ours(p.name) for p in target.iterdir()):
        raise UserInputError(
            "the folder is not empty and holds no study; choose another --out", source=str(target)
        )


def _ours(name: str) -> bool:
    """The lock, or a file being written atomically (by another process creating the study)."""
    return name == LOCK or (name.startswith(".") and name.endswith(".tmp"))


@contextmanager
def _locked(path: Path, target: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing), or refuse at once."""
    busy = UserInputError(
        "another govsim optimize is creating a study in this folder; once it runs, join it "
        "with --resume, or choose another --out",
        source=str(target),
    )
    if fcntl is None:  # no flock (Windows): the lock is the file itself, created exclusively
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            raise busy from None
        try:
            yield
        finally:
            path.unlink(missing_ok=True)
        return
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise busy from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def write_study_yaml(target: Path, study: Study, fingerprint: str, url: str) -> None:
    data = {
        "fingerprint": fingerprint,
        "storage": url,
        **study.model_dump(mode="json", exclude={"storage"}),
    }
    text = "# The study as run (written by govsim optimize).\n" + yaml.safe_dump(
        data, sort_keys=False
    )
    atomic_write(target / "study.yaml", lambda p: Path(p).write_text(text, encoding="utf-8"))
