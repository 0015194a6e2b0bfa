"""Plausible bounds on every number of a scenario or experiment, in one place.

Each bound is far beyond any real city (so every shipped scenario passes with room) and
close enough that a slip of the keyboard (a rate of ``1e12``, ``days: 1.0e9``, a
``cv`` of ``1e300``) is refused with a located message before anything runs, instead
of overflowing or allocating terabytes inside the run. What a plausible scenario costs
in memory and time is then checked by :mod:`govsim.engine.cost`. The field descriptions
(and so ``docs/scenarios.md``) show each bound beside the key.
"""

from __future__ import annotations

MAX_DAYS = 3660
"""Simulated horizon (days): ten years."""
MAX_HOURS = 87_600.0
"""Any duration, time limit or mean delay (hours): ten years."""
MAX_CV = 100.0
"""Coefficient of variation of a duration (sd / mean); 1 is exponential-like, 3 is heavy."""
MIN_INTERVAL_HOURS = 0.01
"""Shortest time-series sampling interval (hours, 36 seconds)."""
MAX_POPULATION = 100_000_000
"""Residents of a city or a grid: four times Beijing's 21.9 million (2020 census)."""
MAX_DISTRICTS = 1_000
"""Districts in a city (Beijing: 16)."""
MAX_STREETS = 100_000
"""Streets and townships in a city (Beijing: 343)."""
MAX_GRIDS = 1_000_000
"""Grids in a city (Beijing: 3,100+ communities; Haidian: 643 grids)."""
MAX_UNIT_STAFF = 100_000
"""People on duty in one unit (a grid, street, district, or call-takers in one hour;
Beijing: 650 call-takers at the peak hour)."""
MAX_HEADCOUNT = 1_000_000
"""Headcount of a city-wide body or sunk-staff group (Haidian sank 13,922 staff)."""
MAX_RATE = 1_000.0
"""Appeals per 1,000 residents per day: every resident appealing every day (Beijing: ~3)."""
MAX_MULTIPLIER = 1_000.0
"""Arrival-rate multiplier of a season or surge (Beijing's heating season: 10)."""
MAX_SHAPE = 1_000_000.0
"""A value of an intraday or weekday shape (relative rates, rescaled to mean 1)."""
MAX_PRIORITY = 99
"""Queue priority levels (one first-come-first-served line each; scenarios use 0-3)."""
MAX_SCORE = 100.0
"""Size of a satisfaction-model coefficient (log-odds; beyond 40 the logistic is 0 or 1)."""
MAX_SEED = 2**63 - 1
"""Largest root seed (replication seeds are 63-bit)."""
MAX_REPLICATIONS = 10_000
"""Replications per variant and sample of an experiment."""
MAX_TRIALS = 100_000
"""Trials of one study (candidates drawn by the search; the shipped study has 40), and any
count of trials in its sampler's settings."""
MAX_SAMPLES = 100_000
"""Samples of an LHS design, base samples of Sobol, trajectories of Morris."""
MAX_RUNS = 1_000_000
"""Runs of one experiment (variants x samples x replications), checked before the design is
built."""
MAX_GRID_VALUES = 10_000
"""Values of one swept uncertainty."""
NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"
"""A scenario or experiment name: a folder name, never '.', '..' or hidden."""
