"""Policy search and scenario discovery.

``govsim optimize STUDY.yaml`` (:func:`run_study`): multi-objective search over scenario
levers under budgets, with common random numbers, racing and a fresh-seed check of the
front, on Optuna; ``govsim discover EXPERIMENT_DIR`` (:func:`govsim.search.prim.discover`):
PRIM boxes over an experiment's sampled uncertainties. See docs/optimize.md.

The names below are imported on first use, so the command line does not load Optuna
for every other command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govsim.search.optimizer import StudyResult, load_study, run_study
    from govsim.search.study import Study

__all__ = ["Study", "StudyResult", "load_study", "run_study"]


def __getattr__(name: str) -> Any:
    if name in ("StudyResult", "load_study", "run_study"):
        from govsim.search import optimizer

        return getattr(optimizer, name)
    if name == "Study":
        from govsim.search.study import Study

        return Study
    raise AttributeError(name)
