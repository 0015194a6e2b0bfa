"""Numbers as ``summary.json`` writes them: rounded, None for what is not finite, quantiles."""

from __future__ import annotations

import numpy as np

QUANTILES = {"p50": 0.5, "p90": 0.9, "p99": 0.99}
"""The quantiles every distribution of the summary reports, by key."""


def quantile_summary(values: np.ndarray) -> dict[str, float | None]:
    """Mean and the QUANTILES of ``values`` (None when empty), rounded for JSON."""
    if len(values) == 0:
        return {"mean": None, **{k: None for k in QUANTILES}}
    return {
        "mean": round_number(values.mean()),
        **{k: round_number(np.quantile(values, q)) for k, q in QUANTILES.items()},
    }


def round_number(x: float | None) -> float | None:
    """``x`` to six decimals; None for None, NaN and infinities (JSON has no NaN)."""
    return None if x is None or not np.isfinite(x) else round(float(x), 6)
