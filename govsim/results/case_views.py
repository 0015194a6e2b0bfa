"""Case-level views of one run: the small tables the case-level figures draw.

Computed from a run's cases table, or from an experiment run replayed with its case table
kept (:mod:`govsim.experiments.rerun`): the rates per unit and month, the closed cases'
times to close, and the daily load per unit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from govsim.results.kpis_from_cases import assess, kpi_frame
from govsim.scenario.schema import Scenario

CLOSED_COLUMNS = ("urgency", "final_tier", "created", "hours")


def case_views(
    cases: pd.DataFrame, scenario: Scenario, horizon: float, warmup: float = 0.0, **keys: object
) -> dict[str, pd.DataFrame]:
    """The small tables the case-level figures need, computed from one run's cases.

    - ``kpis``: the three rates and composite per unit and month (cases created after warm-up);
    - ``closed``: urgency, closing tier, creation time and hours to close of each closed case;
    - ``loads``: cases closed per day at each unit (the unit of the tier that closed them).

    ``keys`` (variant, sample, replication) are added as columns.
    """
    after = cases[cases["created"] >= warmup]
    kpis = kpi_frame(after, scenario, horizon, assess(after, scenario, horizon), warmup)
    done = after[after["status"] == "closed"]
    closed = pd.DataFrame(
        {
            "urgency": done["urgency"].astype(str).to_numpy(),
            "final_tier": done["final_tier"].astype(str).to_numpy(),
            "created": done["created"].to_numpy(dtype=np.float32),
            "hours": (done["closed"] - done["created"]).to_numpy(dtype=np.float32),
        }
    )
    loads = unit_loads(done, max(horizon - warmup, 1e-9) / 24.0)
    return {
        name: _stamp(frame, keys)
        for name, frame in {"kpis": kpis, "closed": closed, "loads": loads}.items()
    }


def unit_loads(closed_cases: pd.DataFrame, days: float) -> pd.DataFrame:
    """Cases closed per day at each unit: grids, streets, districts, departments and the hotline."""
    from govsim.network.graph import HOTLINE_NAME

    frames = []
    tiers = closed_cases["final_tier"].astype(str)
    for tier in ("grid", "street", "district", "department"):
        units = closed_cases.loc[tiers == tier, tier].astype(str)
        counts = units.value_counts()
        frames.append(
            pd.DataFrame(
                {
                    "unit": counts.index.astype(str),
                    "tier": tier,
                    "per_day": counts.to_numpy(dtype=float) / days,
                }
            )
        )
    hotline = float((tiers == "hotline").sum()) / days
    frames.append(pd.DataFrame({"unit": [HOTLINE_NAME], "tier": ["hotline"], "per_day": [hotline]}))
    return pd.concat(frames, ignore_index=True)


def _stamp(frame: pd.DataFrame, keys: dict[str, Any]) -> pd.DataFrame:
    frame = frame.copy()
    for i, (key, value) in enumerate(keys.items()):
        frame.insert(i, key, value)
    return frame


def run_case_views(
    cases: pd.DataFrame, scenario: Scenario, variant: str | None = None
) -> dict[str, pd.DataFrame]:
    """:func:`case_views` of a whole run (no warm-up), keyed as variant ``scenario.name``."""
    return case_views(
        cases,
        scenario,
        scenario.days * 24.0,
        0.0,
        variant=variant or scenario.name,
        sample=0,
        replication=0,
    )
