"""govsim: event-driven simulation of multi-tier urban governance (Beijing's 12345 system).

Quick use::

    import govsim
    scenario = govsim.load_scenario("scenarios/baseline.yaml", ["days=10"])
    result = govsim.simulate(scenario)
    result.cases.head()
    data = govsim.load("results/baseline")      # a run, experiment or study folder, as DataFrames
"""

from govsim.errors import LedgerError, UserInputError
from govsim.loading import ExperimentData, RunData, StudyData, load
from govsim.run_result import RunResult
from govsim.scenario import Scenario, load_scenario
from govsim.simulate import simulate

__all__ = [
    "ExperimentData",
    "LedgerError",
    "RunData",
    "RunResult",
    "Scenario",
    "StudyData",
    "UserInputError",
    "load",
    "load_scenario",
    "simulate",
]
__version__ = "0.1.0"
