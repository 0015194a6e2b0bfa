"""govsim: event-driven simulation of multi-tier urban governance (Beijing's 12345 system).

Quick use::

    import govsim
    scenario = govsim.load_scenario("scenarios/baseline.yaml", ["days=10"])
    result = govsim.simulate(scenario)
    result.cases.head()
    data = govsim.load("results/baseline")      # a run, experiment or study folder, as DataFrames

The names below are imported on first use, so ``import govsim`` (and the ``govsim``
command, which starts by importing this package) is quick: the command line installs
its Ctrl-C handling before numpy, pandas and SimPy are loaded.
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING, Any

from govsim.core.errors import LedgerError, UserInputError

if TYPE_CHECKING:
    from govsim.results.loading import ExperimentData, RunData, StudyData, load
    from govsim.results.run_tables import RunResult
    from govsim.scenario import Scenario, load_scenario
    from govsim.simulate import simulate

_LAZY = {
    "ExperimentData": "govsim.results.loading",
    "RunData": "govsim.results.loading",
    "StudyData": "govsim.results.loading",
    "load": "govsim.results.loading",
    "RunResult": "govsim.results.run_tables",
    "Scenario": "govsim.scenario",
    "load_scenario": "govsim.scenario",
    "simulate": "govsim.simulate",
}

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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'govsim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """Keeps ``govsim.simulate`` the function when the submodule of that name is imported
    (the import system sets a package's attribute to each submodule it loads)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
