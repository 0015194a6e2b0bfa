"""Shares with Wilson 95% CIs: consultations, department routing, lowest closing tier, resolution,
callback reach and redials, each counted on the cases whose outcome the log shows.

How the model makes them (``govsim/engine/run.py``, ``govsim/engine/agents/``), and so what
is counted:

- ``consultation_share``: a hotline or online contact the operator answers closes at tier
  ``hotline``, any other becomes a work order (``dispatched``). Counted over contacts that
  were not abandoned and got either outcome; patrol finds are never consultations.
- ``department_route_share``: a work order from a call or form goes straight to the owning
  department, and closes there, with this share (a whistled case closes at the street).
  Counted over settled work orders of categories with a department.
- ``closable_at``: a territorial work order closes at the lowest tier that can close it;
  a street that whistles for a department closes a case that would have gone to the
  district, so with ``whistles`` the tier is street if not whistled, district if whistled.
  Counted over settled, closed, non-department work orders. A work order of unclear
  jurisdiction that the district takes after the dispute (``unclear_jurisdiction`` x
  ``jurisdiction.district_fallback``, the base's: the log has no dispute record) closes at
  the district whatever its lowest tier, and the fitted city sends it there again: these
  shares, and the department routing, are counted without them (:func:`_undisputed`).
- ``resolution_probability``: valid callbacks saying resolved, by closing tier.
- ``callback_reach``: settled closed cases that have a valid callback.
- ``redial_probability``: settled abandoned calls that a repeat refers to.

"Settled": created (closed, for callbacks) at least ``--settle-days`` before the log's end,
so that slow outcomes are not missing from the count.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from govsim.core.codes import CHANNELS, TERRITORIAL_TIERS, TIERS
from govsim.fitting.data import FitData
from govsim.fitting.estimation import Estimate, NotFitted, share

HOTLINE, GRID, STREET, DISTRICT, DEPARTMENT = range(5)
PATROL = CHANNELS.index("patrol")


def fit_shares(data: FitData) -> tuple[list[Estimate], list[NotFitted]]:
    estimates: list[Estimate] = []
    missing: list[NotFitted] = []
    names = [c.name for c in data.scenario.categories]
    category = data.codes.category
    closed = data.times.get("closed", np.full(data.n, np.nan))
    is_closed = np.isfinite(closed)
    settled = data.settled
    tier = data.tier
    has_tier = data.has("closing_tier")

    # Consultation share.
    if has_tier or data.has("dispatched"):
        abandoned = np.isfinite(data.times.get("abandoned_at", np.full(data.n, np.nan)))
        dispatched = np.isfinite(data.times.get("dispatched", np.full(data.n, np.nan)))
        consulted = (tier == HOTLINE) if has_tier else (is_closed & ~dispatched)
        work_order = dispatched | ((tier > HOTLINE) if has_tier else False)
        known = (data.channel != PATROL) & ~abandoned & (consulted | work_order)
        for c, name in enumerate(names):
            rows = known & (category == c)
            if rows.any():
                estimates.append(
                    share(
                        ("categories", name, "consultation_share"),
                        int((rows & consulted).sum()),
                        int(rows.sum()),
                        "share of answered calls and forms closed by the operator",
                    )
                )
    else:
        missing.append(
            NotFitted(
                "categories.*.consultation_share", "the log has neither closing_tier nor dispatched"
            )
        )

    if not has_tier:
        missing.append(
            NotFitted(
                "categories.*.department_route_share, closable_at; feedback.resolution_probability",
                "the log has no closing_tier",
            )
        )
    else:
        work = settled & is_closed & (tier > HOTLINE)
        for c, spec in enumerate(data.scenario.categories):
            rows = work & (category == c)
            fallback = disputed_to_district(data, c)
            if spec.department is not None:
                routable = rows & (data.channel != PATROL)
                if routable.any():
                    estimate = share(
                        ("categories", spec.name, "department_route_share"),
                        int((routable & (tier == DEPARTMENT)).sum()),
                        int(routable.sum()),
                        "share of settled work orders closed by the department",
                    )
                    estimates.append(_undisputed(estimate, fallback, None))
            territorial = rows & (tier != DEPARTMENT)
            # Of the non-department closures, the share that are disputes the district took.
            taken = fallback * int(rows.sum()) / max(int(territorial.sum()), 1)
            estimates += [
                _undisputed(e, min(taken, 1.0), str(e.key[-1]) == "district")
                for e in _closable(data, territorial, c, spec.name, missing)
            ]
        callbacks = np.isfinite(data.resolved)
        for t, name in enumerate(TIERS):
            rows = callbacks & (tier == t)
            if rows.any():
                estimates.append(
                    share(
                        ("feedback", "resolution_probability", name),
                        int((data.resolved[rows] == 1).sum()),
                        int(rows.sum()),
                        "share of valid callbacks saying resolved",
                    )
                )

    reached = _reached(data)
    if reached is None:
        missing.append(
            NotFitted(
                "feedback.callback_reach", "the log has no callback, resolved or satisfaction"
            )
        )
    else:
        rows = is_closed & (closed <= data.end - data.settle_hours)
        if rows.any():
            estimates.append(
                share(
                    ("feedback", "callback_reach"),
                    int((rows & reached).sum()),
                    int(rows.sum()),
                    "share of settled closed cases with a valid callback",
                )
            )
    estimates += _redials(data, missing)
    return estimates, missing


def disputed_to_district(data: FitData, c: int) -> float:
    """Share of category ``c``'s work orders the model sends to the district after a dispute:
    its ``unclear_jurisdiction`` times ``jurisdiction.district_fallback``, both kept from the
    base (the log has no dispute record), so the fitted city applies them again."""
    scenario = data.scenario
    return scenario.categories[c].unclear_jurisdiction * scenario.jurisdiction.district_fallback


def _undisputed(estimate: Estimate, taken: float, district: bool | None) -> Estimate:
    """A share among orders of which ``taken`` went to the district after a dispute, as the
    share among those that did not (what the scenario's key means: the fitted city sends
    the disputed ones to the district again). ``district``: the estimate is the district's
    closing share (True), another closing tier's (False), or a share of all orders (None).
    The CI is mapped alike (``taken`` is the base's, not estimated)."""
    if taken <= 0 or taken >= 1:
        return estimate

    def undo(x: float) -> float:
        return float(np.clip((x - taken) / (1 - taken) if district else x / (1 - taken), 0, 1))

    return replace(
        estimate,
        value=undo(estimate.value),
        low=undo(estimate.low),
        high=undo(estimate.high),
        method=f"{estimate.method}, less the disputes the district takes "
        f"({taken:.3g} of them: unclear_jurisdiction x district_fallback, the base's)",
    )


def _closable(
    data: FitData, rows: np.ndarray, c: int, name: str, missing: list[NotFitted]
) -> list[Estimate]:
    tier = data.tier
    whistles = data.counts.get("whistles")
    may_whistle = (
        data.scenario.whistle.enabled and data.scenario.categories[c].department is not None
    )
    if whistles is None and may_whistle and (rows & (tier == STREET)).any():
        missing.append(
            NotFitted(
                f"categories.{name}.closable_at",
                "streets may whistle and the log has no whistles column: a street "
                "closure may be a whistled district case",
            )
        )
        return []
    if not rows.any():
        return []
    whistled = (whistles > 0) if whistles is not None else np.zeros(data.n, dtype=bool)
    needed = np.where(tier == GRID, 0, np.where((tier == STREET) & ~whistled, 1, 2))
    n = int(rows.sum())
    return [
        share(
            ("categories", name, "closable_at", level),
            int((rows & (needed == i)).sum()),
            n,
            "share of settled territorial work orders by lowest closing tier",
        )
        for i, level in enumerate(TERRITORIAL_TIERS)
    ]


def _reached(data: FitData) -> np.ndarray | None:
    if "callback" in data.times:
        return np.isfinite(data.times["callback"])
    if data.has("resolved") or data.has("satisfaction"):
        return np.isfinite(data.resolved) | (data.satisfaction >= 0)
    return None


def _redials(data: FitData, missing: list[NotFitted]) -> list[Estimate]:
    if not (data.has("repeat_of", "abandoned_at")):
        missing.append(
            NotFitted("hotline.redial_probability", "the log has no repeat_of or abandoned_at")
        )
        return []
    abandoned = data.times["abandoned_at"]
    frame = data.log.frame
    rows = np.isfinite(abandoned) & (abandoned <= data.end - data.settle_hours)
    if not rows.any():
        return []
    repeated = frame["case_id"].isin(frame["repeat_of"].dropna()).to_numpy()
    return [
        share(
            ("hotline", "redial_probability"),
            int((rows & repeated).sum()),
            int(rows.sum()),
            "share of settled abandoned calls redialled",
        )
    ]
