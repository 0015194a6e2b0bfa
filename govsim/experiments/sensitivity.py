"""Global sensitivity analysis with SALib: which uncertain parameters move the outcomes.

``sobol`` (Saltelli sampling, first-order S1 and total ST indices) or ``morris``
(elementary effects, mu* and sigma) over the ``range`` uncertainties; each sample's
outcome is its mean over replications.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd

from govsim.experiments.schema import Experiment


def problem(experiment: Experiment) -> dict[str, Any]:
    """SALib's problem definition of the experiment's ``range`` uncertainties."""
    ranges = [u for u in experiment.uncertainties if u.kind == "range"]
    return {
        "num_vars": len(ranges),
        "names": [u.key for u in ranges],
        "bounds": [list(u.bounds) for u in ranges],
    }


def salib_samples(experiment: Experiment) -> np.ndarray:
    """Parameter values (not unit-scaled) of the SALib design."""
    spec = problem(experiment)
    n = experiment.sampling.samples
    if experiment.sampling.method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(spec, n, calc_second_order=False, seed=experiment.seed)
    from SALib.sample import morris

    return morris.sample(spec, n, seed=experiment.seed)


def analyse(experiment: Experiment, results: pd.DataFrame, samples: pd.DataFrame) -> pd.DataFrame:
    """Sensitivity indices per variant and outcome (tidy: variant, metric, parameter, index, value,
    conf)."""
    spec = problem(experiment)
    method = experiment.sampling.method
    x = samples[spec["names"]].to_numpy(dtype=float)
    rows = []
    means = results.groupby(["variant", "metric", "sample"], observed=True)["value"].mean()
    for key, per_sample in means.groupby(level=["variant", "metric"]):
        variant, metric = cast(tuple[str, str], key)  # the group key of two levels
        y = per_sample.droplevel([0, 1]).reindex(samples["sample"]).to_numpy(dtype=float)
        if not np.all(np.isfinite(y)) or np.ptp(y) == 0:
            continue
        if method == "sobol":
            from SALib.analyze import sobol

            found = sobol.analyze(spec, y, calc_second_order=False, seed=experiment.seed)
            indices: dict[str, tuple[str, str | None]] = {
                "S1": ("S1", "S1_conf"),
                "ST": ("ST", "ST_conf"),
            }
        else:
            from SALib.analyze import morris

            found = morris.analyze(spec, x, y, seed=experiment.seed)
            indices = {"mu_star": ("mu_star", "mu_star_conf"), "sigma": ("sigma", None)}
        for index, (key, conf) in indices.items():
            for j, name in enumerate(spec["names"]):
                rows.append(
                    {
                        "variant": variant,
                        "metric": metric,
                        "parameter": name,
                        "index": index,
                        "value": float(found[key][j]),
                        "conf": float(found[conf][j]) if conf else np.nan,
                    }
                )
    return pd.DataFrame(rows)
