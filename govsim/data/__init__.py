"""Bring your own data: the case-log format, export of runs as logs, replay, and fitting.

- :mod:`govsim.data.caselog`: the format (one row per appeal) and its validation;
- :mod:`govsim.data.places`: checking a log's places and categories against a scenario;
- :mod:`govsim.fitting.export`: a run folder's cases as a case log;
- :mod:`govsim.data.replay`: a log's appeals as the arrivals of a run;
- :mod:`govsim.fitting`: a scenario fitted to a log, with confidence intervals.

Reference: ``docs/caselog.md``; tutorial: ``docs/tutorial-data.md``.
"""

from govsim.data.caselog import CaseLog, LogError, read_log

__all__ = ["CaseLog", "LogError", "read_log"]
