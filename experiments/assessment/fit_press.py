"""Fit how many residents units press to the 2021 third-party survey (issue 28).

Issue 28 asks that, in the Beijing 2021 setting, the city-wide measured satisfaction exceed
the true one by about what a 2021 third-party survey found: 91.31% against the system's
92%, **0.69 points** (Beijing Youth Daily 2021-12-20; docs/sources.md), "with the parameter
that sets it documented". With the schema's assumed pressing (``assessment.press``:
``share_max`` 0.8) the refitted Beijing 2019 city gives 7.10 and 7.14 points (seeds 1 and
2): units press nearly the largest share of their unfixed cases (0.74 of them on the honour
list, 0.80 elsewhere), because a resident whose problem was not fixed now answers
"resolved" with probability 0.2 only.

This fits that one parameter, as a **fit** (not a prediction), set before its first run:

- *parameter*: ``assessment.press.share_max`` (probability: the largest share of a unit's
  cases not fixed whose resident it presses at the callback); ``press_shift`` (1.0 log-odds)
  and ``press_resolved`` (0.95), what pressing does to one resident, stay assumed. One
  figure identifies one parameter: the same gap could come from fewer residents pressed
  harder, and docs/policies.md says so;
- *setting*: rd_shame_honour.py's ``behaviour`` setting (``beijing_2019_ranked.yaml``: Beijing
  2019 at full scale, problems on, the mechanism at its defaults, no audits, 330 days), the
  2019 city standing for 2021 as in satisfaction_gap.py;
- *fit seed*: 3 (the gap check and the RD use seeds 1 and 2);
- *steps*: secant steps on ``share_max`` through the origin (no pressing, no gap) and then
  through the last two runs, from 0.8, until the fit seed's city-wide gap is within
  ``TOLERANCE`` (0.25 points) of 0.69 or after ``MAX_RUNS`` (4) runs; the share is rounded
  to 3 decimals.

Then, unchanged: the fitted share goes into ``beijing_2019_ranked.yaml``;
``satisfaction_gap.py`` on seeds 1 and 2 checks the issue's "under 2 points" on seeds the
fit did not see; and the RD (``rd_shame_honour.py --setting behaviour``) is rerun once with
it, every other parameter as before.

Usage: ``python experiments/assessment/fit_press.py`` (a run takes about 5 minutes of one
core). Prints each run's share and gap, and the fitted share.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from rd_shame_honour import SCENARIO, SETTINGS  # noqa: E402
from satisfaction_gap import PUBLISHED_GAP, gaps  # noqa: E402

import govsim  # noqa: E402

FIT_SEED = 3
DAYS = 330
START = 0.8
"""The schema's assumed share_max, where the steps start."""
TOLERANCE = 0.25
"""Points of satisfaction: how near the fit seed's gap must come to the published 0.69."""
MAX_RUNS = 4
PRESS = {"cost": 0.02, "detect": 0.5}
"""The press option's other two fields, at the schema's defaults (a YAML or override of the
option gives all three)."""


def gap(share_max: float) -> float:
    """The fit seed's city-wide measured minus true satisfaction (points) at ``share_max``."""
    press = {"share_max": share_max, **PRESS}
    overrides = [f"days={DAYS}", *SETTINGS["behaviour"], f"assessment.press={press}"]
    result = govsim.simulate(govsim.load_scenario(SCENARIO, overrides), seed=FIT_SEED)
    measured, true = gaps(result.tables["assessment"])["city"]
    return float(measured - true)


def main() -> None:
    target = PUBLISHED_GAP
    points = [(0.0, 0.0)]  # no pressing, no gap
    share = START
    for _ in range(MAX_RUNS):
        g = gap(share)
        print(f"share_max {share:.3f}: gap {g:+.3f} points (target {target:.2f})", flush=True)
        points.append((share, g))
        if abs(g - target) <= TOLERANCE:
            break
        (s0, g0), (s1, g1) = points[-2:]
        share = round(min(1.0, max(0.001, s1 + (target - g1) * (s1 - s0) / (g1 - g0))), 3)
    best = min(points[1:], key=lambda p: abs(p[1] - target))
    verdict = "within" if abs(best[1] - target) <= TOLERANCE else "NOT within"
    print(f"fitted share_max {best[0]:.3f} (gap {best[1]:+.3f}, {verdict} {TOLERANCE} points)")


if __name__ == "__main__":
    main()
