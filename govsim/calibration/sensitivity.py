"""The conclusions' sensitivity to the assumed parameters: the table and figure of the report.

Reads the stored Morris screening (``experiments/sensitivity/screening.json``, written by
``python experiments/sensitivity/assumed.py``: :mod:`govsim.experiments.screening`) and says,
for each conclusion of the shipped policy comparison (a policy's paired difference against
its reference in one outcome), which assumed parameters can flip it.

The criterion (:func:`flips`). A conclusion has the nominal paired difference ``E`` (mean over
the nominal seeds) with its 95% interval; its *sign* is that of ``E`` when the interval
excludes 0, else it has none. A parameter's ``mu*`` is the mean absolute change of the
difference over its whole +-50% range (SALib's elementary effects, in the outcome's unit), so
moving it from its value to one end of the range shifts the difference by about ``mu*/2``. A
parameter **can flip** a signed conclusion when

1. ``mu*/2 >= |E|``: half its range moves the difference by at least the conclusion's size,
   and
2. ``mu* - conf(mu*) > mu*`` of the dummy factor (which changes only the seeds, so its
   ``mu*`` is what fresh random numbers do to the difference): its effect stands above the
   runs' noise.

Beside it the table gives the mean difference over the design points where the parameter sits
at its low and at its high end (the other parameters anywhere in their ranges): an end whose
mean has the other sign shows the flip in the runs themselves. A conclusion without a sign
("no measurable effect") lists the parameters that pass 2 and move the difference by at least
its interval's half-width (``mu*/2 >=`` half-width): they can make an effect appear.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from govsim.experiments.screening import DUMMY

ROOT = Path(__file__).resolve().parents[2]
RESULT = ROOT / "experiments" / "sensitivity" / "screening.json"
FIGURE = ROOT / "docs" / "calibration" / "sensitivity_morris.png"

UNITS = {
    "backlog_mean": ("backlog (open cases)", 1.0, "{:+,.1f}"),
    "time_to_close_cross_department": ("cross-department time to close (h)", 1.0, "{:+,.1f}"),
    "true_fix_rate": ("true fix rate (points)", 100.0, "{:+.2f}"),
    "resolution_gap": ("resolution gap, measured - true (points)", 100.0, "{:+.2f}"),
}


def load(path: Path = RESULT) -> dict[str, Any] | None:
    """The stored screening, or None if it has not been run."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def sign(conclusion: dict[str, Any]) -> int:
    """+1 or -1 when the 95% interval excludes 0, else 0."""
    low, high = conclusion["ci_low"], conclusion["ci_high"]
    if low is None or high is None:
        return 0
    return 1 if low > 0 else -1 if high < 0 else 0


def candidates(document: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (conclusion, parameter) whose half range reaches the conclusion's size
    (criterion 1), with ``above_noise`` (criterion 2) and ``seen`` (an end's mean has the other
    sign), largest mu* first within a conclusion."""
    indices = document["indices"]
    rows = []
    for c in document["conclusions"]:
        mine = [
            i for i in indices if i["contrast"] == c["contrast"] and i["outcome"] == c["outcome"]
        ]
        dummy = next((i["mu_star"] for i in mine if i["parameter"] == DUMMY), 0.0)
        s = sign(c)
        size = abs(c["mean"]) if s else (c["ci_high"] - c["ci_low"]) / 2
        found = []
        for i in mine:
            if i["parameter"] == DUMMY or i["mu_star"] / 2 < size:
                continue
            ends = [e for e in (i["low_mean"], i["high_mean"]) if e is not None]
            found.append(
                {
                    **i,
                    "sign": s,
                    "effect": c["mean"],
                    "dummy": dummy,
                    "above_noise": i["mu_star"] - i["mu_star_conf"] > dummy,
                    "seen": bool(s) and any(e * s < 0 for e in ends),
                }
            )
        rows.extend(sorted(found, key=lambda r: -r["mu_star"]))
    return rows


def flips(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The (conclusion, parameter) pairs that can flip it: both criteria of the module
    docstring."""
    return [r for r in candidates(document) if r["above_noise"]]


def _fmt(outcome: str, value: float | None) -> str:
    if value is None:
        return "-"
    _, scale, form = UNITS.get(outcome, (outcome, 1.0, "{:+.3g}"))
    return form.format(value * scale)


def _mu(outcome: str, value: float) -> str:
    return _fmt(outcome, value).lstrip("+")


def table(document: dict[str, Any] | None = None) -> str:
    """The sensitivity section's Markdown: provenance, the conclusions with the parameters that
    can flip them, and the largest mu* per conclusion."""
    document = document if document is not None else load()
    if document is None:
        return (
            "No screening stored: run `python experiments/sensitivity/assumed.py` "
            "(about half an hour of one core).\n"
        )
    p = document["provenance"]
    lines = [
        f"Morris screening (SALib) of the shipped policy comparison (`{p['comparison']}`): "
        f"{p['factors']} assumed parameters (each at +-{p['spread']:.0%} of its value; shares "
        "clipped to [0, 1], whole numbers rounded) and a dummy, "
        f"{p['trajectories']} trajectories on {p['levels']} levels ({p['points']} points), "
        f"{p['replications']} seed per point and {p['nominal_replications']} at the nominal "
        f"point, {p['days']:g} days after {p['warmup_days']} days' warm-up, "
        f"{p['runs']:,} runs ({p['date']}, {p['wall_seconds'] / 60:.0f} min on "
        f"{p.get('workers', 1)} worker; `{p['command']}`). Outcomes: paired differences at the "
        "same seed. A parameter can flip a conclusion when half its range moves the difference "
        "by at least the conclusion's size (mu*/2 >= |E|) and its effect stands above the "
        "dummy's (mu* - conf > mu* of the dummy, a change of seeds); those that reach it only "
        "within the noise are counted apart (the screening cannot rule them out). Beside each "
        "conclusion: the share of the design's points (every assumed parameter somewhere in "
        "its range, one seed) where the difference has the nominal sign; "
        "`govsim.calibration.sensitivity`.",
        "",
        "| conclusion | outcome | nominal difference (95% CI) | same sign at the design's "
        "points (10th-90th percentile) | can flip it: parameter (mu*; mean at its low / high "
        "end) | reach it within the noise |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    rows = candidates(document)
    for c in document["conclusions"]:
        o = c["outcome"]
        label = UNITS.get(o, (o,))[0]
        mine = [r for r in rows if r["contrast"] == c["contrast"] and r["outcome"] == o]
        above = [r for r in mine if r["above_noise"]]
        within = [r for r in mine if not r["above_noise"]]
        s = sign(c)
        shown = "; ".join(
            f"`{f['parameter']}` ({_mu(o, f['mu_star'])}; {_fmt(o, f['low_mean'])} / "
            f"{_fmt(o, f['high_mean'])}{', flipped at an end' if f['seen'] else ''})"
            for f in above[:4]
        )
        shown += f"; and {len(above) - 4} more" if len(above) > 4 else ""
        if not above:
            shown = "none"
        elif not s:
            shown = "no sign to flip; can make an effect appear: " + shown
        noise = (
            f"{len(within)} (largest `{within[0]['parameter']}`, {_mu(o, within[0]['mu_star'])})"
            if within
            else "0"
        )
        nominal = f"{_fmt(o, c['mean'])} ({_fmt(o, c['ci_low'])}, {_fmt(o, c['ci_high'])})" + (
            "" if s else ", no sign"
        )
        share = c.get("points_same_sign")
        spread = (
            f"{share:.0%} ({_fmt(o, c['points_p10'])} to {_fmt(o, c['points_p90'])})"
            if share is not None
            else "-"
        )
        lines.append(f"| {c['contrast']} | {label} | {nominal} | {spread} | {shown} | {noise} |")
    lines += [
        "",
        "Largest mu* per conclusion (sigma beside it: interactions and curvature; the dummy's "
        "mu* is the noise floor):",
        "",
        "| conclusion | outcome | dummy mu* | largest mu* (sigma) |",
        "| --- | --- | --- | --- |",
    ]
    for c in document["conclusions"]:
        o = c["outcome"]
        mine = [
            i for i in document["indices"] if i["contrast"] == c["contrast"] and i["outcome"] == o
        ]
        dummy = next((i["mu_star"] for i in mine if i["parameter"] == DUMMY), 0.0)
        top = sorted((i for i in mine if i["parameter"] != DUMMY), key=lambda i: -i["mu_star"])
        shown = "; ".join(
            f"`{i['parameter']}` {_mu(o, i['mu_star'])} ({_mu(o, i['sigma'])})" for i in top[:3]
        )
        lines.append(f"| {c['contrast']} | {UNITS.get(o, (o,))[0]} | {_mu(o, dummy)} | {shown} |")
    return "\n".join(lines) + "\n"


def figure(document: dict[str, Any], path: Path = FIGURE) -> Path:
    """mu* against sigma per outcome (the Morris plot), one colour per conclusion, the dummy
    as a black cross, the three largest mu* of each panel named."""
    from govsim.calibration.figures import _pyplot, _save

    plt = _pyplot()
    outcomes = list(dict.fromkeys(c["outcome"] for c in document["conclusions"]))
    contrasts = list(dict.fromkeys(c["contrast"] for c in document["conclusions"]))
    fig, axes = plt.subplots(2, 2, figsize=(13, 10))
    for ax, o in zip(axes.flat, outcomes, strict=False):
        label, scale, _ = UNITS.get(o, (o, 1.0, ""))
        rows = [i for i in document["indices"] if i["outcome"] == o]
        for k, contrast in enumerate(contrasts):
            mine = [i for i in rows if i["contrast"] == contrast and i["parameter"] != DUMMY]
            ax.scatter(
                [i["mu_star"] * scale for i in mine],
                [i["sigma"] * scale for i in mine],
                s=14,
                color=f"C{k}",
                alpha=0.7,
                label=contrast,
            )
        dummies = [i for i in rows if i["parameter"] == DUMMY]
        ax.scatter(
            [i["mu_star"] * scale for i in dummies],
            [i["sigma"] * scale for i in dummies],
            marker="x",
            color="black",
            s=40,
            label="dummy (noise)",
        )
        for i in sorted((i for i in rows if i["parameter"] != DUMMY), key=lambda i: -i["mu_star"])[
            :3
        ]:
            ax.annotate(
                i["parameter"],
                (i["mu_star"] * scale, i["sigma"] * scale),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
        ax.set_xlabel(f"mu* ({label})")
        ax.set_ylabel("sigma")
        ax.set_title(label, fontsize=10)
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("Morris screening of the policy comparison's paired differences", fontsize=11)
    fig.tight_layout()
    return _save(fig, path, 110)


def section(report: Path, path: Path = RESULT, figure_path: Path = FIGURE) -> str:
    """The report's sensitivity section: the table from the stored screening and, when it has
    been drawn, the Morris plot linked relative to ``report``. The screening is not re-run here
    (about 20 minutes of one core): ``govsim calibrate`` reports what is stored, with its date."""
    text = table(load(path))
    if figure_path.is_file():
        link = Path(os.path.relpath(figure_path, report.parent)).as_posix()
        text += f"\n![Morris screening: mu* against sigma per outcome]({link})\n"
    return text
