"""Experiments: replications, policy variants, sweeps and sensitivity, on any backend.

``govsim experiment run EXP.yaml`` or :func:`run_experiment`; see docs/experiments.md.
"""

from govsim.experiments.analysis import paired_differences, replications_needed, summarise
from govsim.experiments.experiment import ExperimentResult, load_experiment, run_experiment
from govsim.experiments.schema import Experiment

__all__ = [
    "Experiment",
    "ExperimentResult",
    "load_experiment",
    "paired_differences",
    "replications_needed",
    "run_experiment",
    "summarise",
]
