"""Community deliberation (议事协商) and small projects (民意立项): do they cut the appeals of
shared problems, and leave a household's own problems alone? (issue 29, part 3c)

Runs the baseline city (``scenarios/baseline.yaml``, problems on) for 90 days with
deliberation off and on at the schema's defaults (halls in 97% of communities, 004 and 002;
a hall settles a building's or a compound's reported problem with probability 0.3, 14 days
after its first report; one project a community a month from the month's most reported
building or compound problem with 2 reports or more, fixed with probability 0.8 within 30
days: all assumed), the same seeds for both arms, and compares per seed, after a 14-day
warm-up, the appeals, repeat appeals and open problems of shared scope (building, compound:
the touched kind) and of the rest (household and street scope), and the rest's mean hours to
close (figures and intervals as experiments/party/area_units.py computes them).

The named outcome: appeals, repeat appeals and open problems of shared scope fall; the
household's and street's intervals should cover 0.

Usage: ``python experiments/party/deliberation.py [--seeds 6] [--days 90] [--workers 2]
[--out FILE.json]`` (about a minute and a half on two cores).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from area_units import main

ON = ["deliberation.enabled=true"]
SHARED = ("building", "compound")


def by_scope(cases: pd.DataFrame, problems: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Cases and problems of shared scope (a case by its problem's scope)."""
    shared = problems["scope"].isin(SHARED)
    ids = set(problems.loc[shared, "problem_id"].astype(int))
    return cases["problem_id"].isin(ids), shared


if __name__ == "__main__":
    main(ON, by_scope, "deliberation", (__doc__ or "").splitlines()[0])
