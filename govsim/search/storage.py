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
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import yaml
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial, TrialState

from govsim.errors import UserInputError
from govsim.io import atomic_write
from govsim.search.levers import Space
from govsim.search.study import Study

FINGERPRINT = "govsim.fingerprint"
DB = "optuna.db"


class SeededSampler(BaseSampler):
    """An Optuna sampler rebuilt for each trial, seeded by (seed, trial number)."""

    def __init__(self, factory: Callable[[int], BaseSampler], seed: int) -> None:
        self._factory = factory
        self._seed = seed
        self._inner = factory(seed % 2**32)  # replaced before each trial; numpy takes 32 bits

    def before_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self._inner = self._factory(trial_seed(self._seed, trial.number))
        self._inner.before_trial(study, trial)

    def infer_relative_search_space(
        self, study: optuna.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return self._inner.infer_relative_search_space(study, trial)

    def sample_relative(
        self, study: optuna.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return self._inner.sample_relative(study, trial, search_space)

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


def trial_seed(seed: int, number: int) -> int:
    return int(np.random.SeedSequence([seed, number]).generate_state(1)[0])


def sampler_for(study: Study) -> SeededSampler:
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

    return SeededSampler(factory, seed)


def storage_url(target: Path, url: str | None) -> str:
    return url or f"sqlite:///{(target / DB).resolve()}"


def open_storage(url: str) -> optuna.storages.RDBStorage:
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite:///"):
        kwargs["engine_kwargs"] = {"creator": _sqlite_connector(url[len("sqlite:///") :])}
    try:
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
    if study.get_trials(deepcopy=False) and not resume:
        raise UserInputError(
            "the storage already holds trials of this study; add --resume to continue it, or "
            "choose another --out",
            source=where,
        )


def open_study(storage: optuna.storages.RDBStorage, study: Study, fingerprint: str) -> optuna.Study:
    directions = [
        StudyDirection.MINIMIZE if o.minimise else StudyDirection.MAXIMIZE for o in study.objectives
    ]
    ostudy = optuna.create_study(
        study_name=study.name,
        storage=storage,
        directions=directions,
        sampler=sampler_for(study),
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


def claim(target: Path, fingerprint: str) -> None:
    """Refuse an output folder that holds something else than this study (read-only check)."""
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
    elif target.is_dir() and any(target.iterdir()):
        raise UserInputError(
            "the folder is not empty and holds no study; choose another --out", source=str(target)
        )


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
