"""Policy search and scenario discovery.

``govsim optimize STUDY.yaml`` (:func:`run_study`): multi-objective search over scenario
levers under budgets, with common random numbers, racing and a fresh-seed check of the
front, on Optuna; ``govsim discover EXPERIMENT_DIR`` (:func:`discover`): PRIM boxes over
an experiment's sampled uncertainties. See docs/optimize.md.
"""

from govsim.search.optimizer import StudyResult, load_study, run_study
from govsim.search.study import Study

__all__ = ["Study", "StudyResult", "load_study", "run_study"]
