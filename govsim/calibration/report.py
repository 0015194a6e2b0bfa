"""docs/calibration.md: the method, every target with its role (input, fitted, predicted), CI
and verdict, the predictions (the headline: a fitted figure is not a prediction), the fitted
parameters, the stylized facts and the known gaps. Written by ``govsim calibrate``, never by
hand."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govsim.calibration.facts import GovernanceFact, HeatingFact, RankingFact
from govsim.calibration.files import CalibrationFiles, write_text
from govsim.calibration.predictions import PREDICTION_SOURCES, Prediction, Verdict, source_of
from govsim.calibration.scaling import SCALED_STREETS
from govsim.calibration.targets import (
    GOVERNANCE_STREET,
    HEATING_CUT,
    JAN_2019,
    OCT_2019,
    SOURCES,
    VOLUME,
)
from govsim.calibration.verify import Check, ScaleCheck
from govsim.core.intervals import Interval
from govsim.scenario.loader import load_scenario

if TYPE_CHECKING:
    from govsim.calibration.predict_years import ScaleRow

SECTIONS = (
    ("beijing", "Beijing 2024 (`scenarios/beijing.yaml`)"),
    ("beijing-2019", "Beijing 2019 (`scenarios/beijing-2019.yaml`)"),
    ("haidian", "Haidian (`scenarios/haidian.yaml`)"),
)
NOTES_BY_SCENARIO = {
    "haidian": "Haidian is checked structurally (counts from the built city) and, as a "
    "consistency check, its simulated rates against Beijing's 2024 figures (30-day runs at full "
    "scale, from 4 March 2024). Its categories, rates per resident and quality model are "
    "Beijing's (`base: beijing.yaml`).\n"
}


@dataclass(frozen=True)
class Facts:
    """The three stylized facts and their figures."""

    ranking: RankingFact
    heating: HeatingFact
    governance: GovernanceFact
    figures: dict[str, Path]


@dataclass(frozen=True)
class ReportInputs:
    """What the report shows, gathered by :func:`govsim.calibration.calibrate.calibrate`."""

    mode: str
    checks: list[Check]
    reps: int
    scale: float
    speed: float
    """Cases simulated per second (one core)."""
    overview: Path
    scale_check: ScaleCheck | None
    facts: Facts | None
    fit_records: list[dict[str, Any]]
    wall: float
    predictions: list[Verdict] | None = None
    """The predictions' verdicts, in report order; None: not run (``--skip-predictions``)."""
    prediction_figures: dict[str, Path] = field(default_factory=dict)
    """``predictions``: the panel of every prediction; ``calibration``: the calibration plot."""
    sensitivity: str | None = None
    """The sensitivity of the policy conclusions (Markdown, its own section); None: not run."""
    out_of_sample: list[Verdict] | None = None
    """Runs in another year with that year's fit replaced (not predictions: their figure is
    one a calibrated scenario is fitted to); None: not run."""
    scale_rows: list[ScaleRow] | None = None
    """Haidian at full scale against the city's scaled copy; None: not run."""


def md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    out += ["| " + " | ".join(str(c).replace("|", "/") for c in r) + " |" for r in rows]
    return "\n".join(out)


def _relative(path: Path, folder: Path) -> str:
    resolved, base = Path(path).resolve(), folder.resolve()
    return str(resolved.relative_to(base)) if resolved.is_relative_to(base) else str(path)


def current_fitted_values(files: CalibrationFiles) -> list[list[str]]:
    """The fitted values as they are in the scenario files now (what the verification ran)."""
    beijing = load_scenario(files.scenario("beijing"))
    rows = []
    for s in (beijing, load_scenario(files.scenario("beijing-2019"))):
        rows += [
            [
                s.name,
                "categories.*.rate",
                ", ".join(f"{c.name} {c.rate:.4g}" for c in s.categories),
            ],
            [
                s.name,
                "categories.*.consultation_share",
                ", ".join(f"{c.name} {c.consultation_share:.3f}" for c in s.categories),
            ],
            [
                s.name,
                "feedback.resolution_probability",
                ", ".join(f"{k} {v}" for k, v in s.feedback.resolution_probability.items()),
            ],
            [s.name, "hotline.operators", str(s.hotline.operators)],
        ]
    sat = beijing.feedback.satisfaction
    rows.append(
        [
            "beijing (inherited by beijing-2019, haidian)",
            "feedback.satisfaction",
            f"intercept {sat.intercept}, resolved_effect {sat.resolved_effect}",
        ]
    )
    haidian = load_scenario(files.scenario("haidian"))
    rows.append(["haidian", "hotline.operators", str(haidian.hotline.operators)])
    return rows


def _short(v: Any) -> str:
    if isinstance(v, dict):
        return ", ".join(f"{k} {x}" for k, x in v.items())
    return str(v)


def report_text(inputs: ReportInputs, files: CalibrationFiles, out: Path) -> str:
    """The Markdown of docs/calibration.md."""
    checks = inputs.checks
    lines: list[str] = ["# Calibration\n"]
    command = "govsim calibrate" + (" --quick" if inputs.mode == "quick" else "")
    lines.append(
        f"Generated by `{command}`: do not edit by hand, rerun it. "
        f"Mode: **{inputs.mode}**; wall time {inputs.wall / 60:.1f} min on this machine.\n"
    )
    lines.append(headline(inputs))
    lines.append(
        "\nEvery target has a **role**: *input* (written into the scenario: a count, a shape, "
        "a window, the operator plan's peak), *fitted* (a parameter was solved against it or "
        "against a figure that determines it; the full-scale re-runs of a fitted figure and "
        "Haidian's checks against Beijing's fitted rates are fitted too) or *predicted* (used "
        "in no fit, directly or through a fitted parameter). Only predictions test the model; "
        "a fitted target reproduced shows that the fit and the runs agree.\n"
    )
    sources = Path(os.path.relpath(files.root / "docs" / "sources.md", out.parent)).as_posix()
    lines.append(
        f"The published figures and their sources are in [sources.md]({sources}). "
        "Tolerances (issue 6): volumes and shares within 5% "
        "relative, rates within 2 percentage points; counts exactly; each prediction states "
        "its own. A target passes when the simulated mean is within tolerance; its 95% CI "
        "(Student t over independent replications) is shown beside it.\n"
    )
    lines.append("Sources (cited in the tables by their key):\n")
    lines.extend(f"- `{s.code}` {s.text}" for s in SOURCES.values())
    cited = {v.prediction.published.source for v in inputs.predictions or []}
    lines.extend(f"- `{s.code}` {s.text}" for k, s in PREDICTION_SOURCES.items() if k in cited)
    lines.append("\n## Method\n")
    lines.append(
        METHOD_TEXT.format(
            streets=SCALED_STREETS,
            reps=inputs.reps,
            f=inputs.scale,
            inv=1 / inputs.scale,
            speed=inputs.speed,
            minutes=VOLUME["beijing"].value / inputs.speed / 60,
        )
    )
    lines.append(f"\n![calibration overview]({_relative(inputs.overview, out.parent)})\n")
    for scenario, title in SECTIONS:
        lines.append(f"\n## {title}\n")
        lines.append(NOTES_BY_SCENARIO.get(scenario, ""))
        lines.append(
            md_table(
                [
                    "target",
                    "role",
                    "published",
                    "source",
                    "simulated",
                    "95% CI",
                    "tolerance",
                    "result",
                    "how",
                ],
                [c.cells() for c in checks if c.scenario == scenario],
            )
        )
    lines.append("\n## Predictions\n")
    lines.append(predictions_text(inputs, out))
    if inputs.out_of_sample is not None or inputs.scale_rows is not None:
        lines.append("\n## Out-of-sample runs\n")
        lines.append(out_of_sample_text(inputs))
    if inputs.scale_check is not None:
        lines.append("\n## Check: the scaled copy against the full city\n")
        lines.append(scale_text(inputs.scale_check))
    lines.append("\n## Fitted parameters\n")
    lines.append(
        "Parameters with no published value that were set against the targets above. How each "
        "was fitted (from `experiments/calibration/fitted.json`, written by `--fit` / "
        "`--fit-facts`):\n"
    )
    lines.append(
        md_table(
            [
                "scenario",
                "parameter",
                "fitted value",
                "method",
                "fit residual",
                "change in the last iteration",
            ],
            [
                [
                    r["scenario"],
                    r["parameter"],
                    _short(r["value"]),
                    r["method"],
                    r.get("residual", ""),
                    r.get("change_over_last_iteration", ""),
                ]
                for r in inputs.fit_records
            ],
        )
    )
    lines.append(
        "\nValues as they are in the scenario files now (what the verification above ran):\n"
    )
    lines.append(md_table(["scenario", "parameter", "value"], current_fitted_values(files)))
    lines.append(ASSUMED_TEXT)
    lines.append("\n## Stylized facts\n")
    lines.append(facts_text(inputs.facts, out) if inputs.facts else "Not run (`--skip-facts`).\n")
    if inputs.sensitivity is not None:
        lines.append("\n## Sensitivity of the conclusions\n")
        lines.append(inputs.sensitivity)
    lines.append("\n## Notes and known gaps\n")
    lines.append(NOTES_TEXT)
    return "\n".join(lines) + "\n"


def table_predictions(checks: Sequence[Check]) -> list[Check]:
    """Judged rows marked predicted that are no registered prediction's run (counted too)."""
    return [
        c for c in checks if c.role == "predicted" and c.passed is not None and not c.prediction
    ]


def headline(inputs: ReportInputs) -> str:
    """Predictions first (what tests the model), then the fitted targets and the inputs."""
    out = []
    verdicts = inputs.predictions
    rows = table_predictions(inputs.checks)
    if verdicts is None:
        out.append("**Predictions not run** (`--skip-predictions`).")
        verdicts = []
    hits = sum(v.hit for v in verdicts) + sum(bool(c.passed) for c in rows)
    total = len(verdicts) + len(rows)
    if total or inputs.predictions is not None:
        out.append(f"**{hits} of {total} predictions within tolerance.**")
    misses = [
        f"- {p.target}: published {_value(p, p.published.value)}, simulated "
        f"{_value(p, v.estimate.mean)} ({p.tolerance.text()}): "
        + (p.miss_means or "see the prediction below.")
        for v in verdicts
        if not v.hit
        for p in [v.prediction]
    ] + [
        f"- {c.scenario}: {c.target}: published {c.published}, simulated "
        f"{c.cells()[4]} ({c.tolerance}); a row of the {c.scenario} table."
        for c in rows
        if not c.passed
    ]
    if misses:
        out += ["Missed, and what each miss says about the model:\n", *misses, ""]
    for role, verb in (("fitted", "fitted targets reproduced"), ("input", "inputs as written")):
        judged = [c for c in inputs.checks if c.role == role and c.passed is not None]
        failed = [f"{c.scenario}: {c.target}" for c in judged if not c.passed]
        out.append(
            f"{len(judged) - len(failed)} of {len(judged)} {verb}"
            + (f" (not: {', '.join(failed)})." if failed else ".")
        )
    own = [c for c in inputs.checks if c.role == "predicted" and c.prediction]
    if own:
        out.append(
            f"The tables' {len(own)} rows marked predicted with a prediction's key are that "
            "prediction's runs, counted once, under Predictions."
        )
    return "\n".join(out) + "\n"


def _value(prediction: Prediction, value: float) -> str:
    return prediction.fmt.format(value)


def _simulated_cells(verdict: Verdict) -> list[str]:
    """The simulated mean and its 95% CI, in the prediction's format."""
    p, e = verdict.prediction, verdict.estimate
    return [_value(p, e.mean), f"{_value(p, e.low)} - {_value(p, e.high)} (n={e.n})"]


def predictions_text(inputs: ReportInputs, out: Path) -> str:
    """Each prediction: the figure, its source and tolerance, the setting, why no fit touched
    it, the simulated mean with its 95% CI, hit or miss; the figures."""
    verdicts = inputs.predictions
    if verdicts is None:
        return "Not run (`--skip-predictions`).\n"
    if not verdicts:
        return "No predictions are defined.\n"
    lines = [
        "Published figures that no fit touched, each stated with its tolerance and setting "
        "before it was first run (the commit order shows it; a miss stays a miss). "
        f"Replications: {inputs.reps} (quick mode: fewer).\n",
        md_table(
            ["target", "role", "published", "source", "simulated", "95% CI", "tolerance", "result"],
            [
                [
                    v.prediction.target,
                    "predicted",
                    _value(v.prediction, v.prediction.published.value),
                    source_of(v.prediction.published.source).code,
                    *_simulated_cells(v),
                    v.prediction.tolerance.text(),
                    "hit" if v.hit else "**MISS**",
                ]
                for v in verdicts
            ],
        ),
        "",
    ]
    for v in verdicts:
        p = v.prediction
        source = source_of(p.published.source)
        lines.append(
            f"- **{p.target}** (`{p.key}`): published {_value(p, p.published.value)} "
            f"({p.published.unit}; {source.code} {source.text}), tolerance "
            f"{p.tolerance.text()}. *Setting:* {p.setting} *Why no fit touched it:* "
            f"{p.untouched}" + (f" *A miss would say:* {p.miss_means}" if p.miss_means else "")
        )
    rows = table_predictions(inputs.checks)
    if rows:
        lines.append(
            "\nRows of the tables above marked predicted (a published figure no fit uses, "
            "judged with the table's tolerance), counted in the headline:\n"
        )
        lines.append(
            md_table(
                ["scenario", "target", "published", "simulated", "tolerance", "result"],
                [
                    [c.scenario, c.target, c.published, c.cells()[4], c.tolerance, c.cells()[7]]
                    for c in rows
                ],
            )
        )
    for key, title in (("predictions", "predictions"), ("calibration", "calibration plot")):
        if key in inputs.prediction_figures:
            lines.append(f"\n![{title}]({_relative(inputs.prediction_figures[key], out.parent)})\n")
    return "\n".join(lines) + "\n"


def out_of_sample_text(inputs: ReportInputs) -> str:
    """Another year (a calibrated year's fit replaced by the other year's) and another scale
    (Haidian against the city): judged like predictions, counted apart from them."""
    lines = []
    if inputs.out_of_sample:
        lines.append(
            "**Another year.** The same model with one year's fitted quality carried to another "
            "year whose inputs (volume, mix, consultation share, hotline) are its own. The "
            "published figure is one the other year's fit uses, so these runs are not counted "
            "among the predictions.\n"
        )
        lines.append(
            md_table(
                ["run", "published", "simulated", "95% CI", "tolerance", "result"],
                [
                    [
                        v.prediction.target,
                        _value(v.prediction, v.prediction.published.value),
                        *_simulated_cells(v),
                        v.prediction.tolerance.text(),
                        "within" if v.hit else "**outside**",
                    ]
                    for v in inputs.out_of_sample
                ],
            )
        )
        for v in inputs.out_of_sample:
            p = v.prediction
            lines.append(
                f"\n- `{p.key}`. *Setting:* {p.setting}. *Why:* {p.untouched}. "
                f"*Outside the tolerance it says:* {p.miss_means}"
            )
    if inputs.scale_rows:
        lines.append(
            "\n**Another scale.** Haidian at full scale (its own structure: 643 grids, 13,922 "
            "sunk staff, 29 streets and towns) with Beijing's fitted parameters, against the "
            "city's 1:16.3 copy over the same 30 days. No Haidian figure is published; the "
            "question is whether the model's per-resident volumes and rates carry from the city "
            "to a district.\n"
        )
        lines.append(
            md_table(
                ["quantity", "Haidian (95% CI)", "city copy (95% CI)", "Haidian vs city"],
                [
                    [
                        r.quantity,
                        f"{r.haidian.mean:.4g} ({r.haidian.low:.4g} - {r.haidian.high:.4g})",
                        f"{r.city.mean:.4g} ({r.city.low:.4g} - {r.city.high:.4g})",
                        f"{r.difference:+.2%}",
                    ]
                    for r in inputs.scale_rows
                ],
            )
        )
    return "\n".join(lines) + "\n"


def write_report(inputs: ReportInputs, files: CalibrationFiles, out: Path) -> Path:
    """Write docs/calibration.md (or ``out``) atomically."""
    text = report_text(inputs, files, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text(out, text)
    return out


def scale_text(check: ScaleCheck) -> str:
    rows = []
    for label, full_v, est in check.rows():
        rows.append(
            [
                label,
                f"{full_v:.4g}",
                f"{est.mean:.4g} ({est.low:.4g} - {est.high:.4g})",
                f"{(est.mean - full_v) / full_v:+.2%}" if full_v else "",
            ]
        )
    f = check.scale
    return (
        f"Beijing 2024 at full scale (343 streets, one run of {check.days:.0f} days from 4 March, "
        f"{check.full.created:,} cases, {check.full.wall:.0f} s) against {len(check.copies)} runs "
        f"of the 1:{1 / f:.1f} copy over the same days (mean and 95% CI). Differences within the "
        "copy's CI or far inside the targets' tolerances mean the copy stands for the city.\n\n"
        + md_table(
            ["quantity", "full city (one run)", "scaled copy (95% CI)", "copy vs full"], rows
        )
        + "\n\nThe copy's operators are fewer but staffed to the city's Halfin-Whitt parameter, "
        "so its utilisation is lower while callers wait as rarely as in the full city.\n"
    )


def _ci(e: Interval, fmt: str) -> str:
    return f"{fmt.format(e.mean)} ({fmt.format(e.low)} - {fmt.format(e.high)})"


def facts_text(facts: Facts, out: Path) -> str:
    a, b, c = facts.ranking, facts.heating, facts.governance
    lines = []
    rates = ("resolution", "satisfaction")
    january = {r: a.cis[("ranking", a.months[0])][r] for r in rates}
    october = {r: a.cis[("ranking", a.months[-1])][r] for r in rates}
    flat = {r: a.cis[("no_ranking", a.months[-1])][r] for r in rates}
    lines.append(
        "### (a) Ranking lifts the 2019 rates (`experiments/calibration/fact_a_ranking.yaml`)\n"
    )
    lines.append(
        "The 2019 scenario (scaled copy) from January to October 2019, starting from the January "
        "state (resolution level and satisfaction intercept set to the January figures), with the "
        "ranking policy (monthly league tables from the end of January; pressure closes a share of "
        "each unit's gap to 97% resolution each month, the shame list faster; `service_gain` "
        "raises satisfaction with it) against no ranking. Rates of work orders by month of "
        "creation.\n"
    )
    rows = [
        [
            r,
            "fitted",
            f"{JAN_2019[r].value:.2%}",
            _ci(january[r], "{:.2%}"),
            f"{OCT_2019[r].value:.2%}",
            _ci(october[r], "{:.2%}"),
            _ci(flat[r], "{:.2%}"),
        ]
        for r in rates
    ]
    lines.append(
        md_table(
            [
                "rate",
                "role",
                "published Jan",
                "simulated Jan, ranking",
                "published Oct",
                "simulated Oct, ranking",
                "simulated Oct, no ranking",
            ],
            rows,
        )
    )
    lines.append(f"\n![fact a]({_relative(facts.figures['a'], out.parent)})\n")
    rise_ok = all(october[r].mean - flat[r].mean > 0.1 for r in rates)
    lines.append(
        f"Direction and size: {'reproduced' if rise_ok else 'NOT reproduced'} (ranking rises by "
        f"{(october['resolution'].mean - january['resolution'].mean) * 100:.1f} and "
        f"{(october['satisfaction'].mean - january['satisfaction'].mean) * 100:.1f} points; "
        "without ranking the rates stay flat). January and October are fitted (the January state "
        "and the improvement rate / service gain), so what the experiment shows is the path "
        "between them and the flat counterfactual.\n"
    )
    lines.append(
        "### (b) Proactive work on heating (`experiments/calibration/fact_b_heating.yaml`)\n"
    )
    cut = b.cut
    lines.append(
        "Beijing 2024 (scaled copy) from 1 October 2024 to 15 March 2025. Proactive variant: the "
        "monthly-topic policy takes heating as its topic at the end of October; after its lag "
        "(preparation) heating problems fall by `efficacy` and the programme fixes that share of "
        "the open ones. Outcome: heating work orders created inside the heating season, paired "
        "by replication (common random numbers). The published figure is winter 2024's 61% fall "
        "of heating orders, attributed to proactive work; `efficacy` is **fitted** to it, so "
        "this is a fit, not a prediction. The 13.2% fall of 2020/21 (the heating platform's "
        "year-on-year figure, before the monthly topic and the proactive-governance guidance of "
        "November 2021) is not attributed to proactive work and not used.\n"
    )
    lines.append(
        md_table(
            ["quantity", "role", "published", "simulated (95% CI)"],
            [
                [
                    "cut in heating-season heating work orders",
                    "fitted",
                    f"{HEATING_CUT.value:.0%} (winter 2024)",
                    f"{cut.mean:.1%} ({cut.low:.1%} - {cut.high:.1%}), n={cut.n}",
                ]
            ],
        )
    )
    lines.append(f"\n![fact b]({_relative(facts.figures['b'], out.parent)})\n")
    ok = abs(cut.mean - HEATING_CUT.value) < 0.03
    lines.append(f"Direction and size: {'reproduced' if ok else 'NOT reproduced'}.\n")
    lines.append(
        "### (c) A governance-class street halves its appeals "
        "(`experiments/calibration/fact_c_governance.yaml`)\n"
    )
    gr, ro = c.ratio["governance_response"], c.ratio["ranking_only"]
    may, october_count = GOVERNANCE_STREET["2019-05"].value, GOVERNANCE_STREET["2019-10"].value
    lines.append(
        "The 2019 scenario (scaled copy) from May to October 2019 with monthly rankings from the "
        "end of May. The street with most appeals in May (the copy's share of Beijing's 10) "
        "enters the governance class; with the governance response its appeal rate falls each "
        "month it is in the class (`governance_prevention`), and it stays in the class for 6 "
        "months. Outcome: the listed street's work orders in October over May.\n"
    )
    lines.append(
        md_table(
            [
                "quantity",
                "role",
                "published",
                "governance response (95% CI)",
                "ranked, no response (95% CI)",
            ],
            [
                [
                    "October / May work orders of the listed street",
                    "fitted",
                    f"{october_count / may:.3f} ({may:.0f} -> {october_count:.0f})",
                    f"{_ci(gr, '{:.3f}')}, n={gr.n}",
                    f"{_ci(ro, '{:.3f}')}, n={ro.n}",
                ]
            ],
        )
    )
    lines.append(f"\n![fact c]({_relative(facts.figures['c'], out.parent)})\n")
    ok = gr.mean < 0.5
    lines.append(
        f"More than halved within five months: {'reproduced' if ok else 'NOT reproduced'}. "
        "Without the response the street falls back only by regression to the mean (it was "
        "chosen for its high May). October is fitted; the months between are predictions "
        "(under Predictions above).\n"
    )
    return "\n".join(lines)


METHOD_TEXT = """\
A year of Beijing at 2024 volume is 24 million cases: at the {speed:,.0f} cases per second the
full-scale runs below simulated on this machine, {minutes:.0f} minutes per run (one core, the
simulation alone). The calibration therefore does not simulate the full city's year many
times. Instead:

- **Expected values from the arrival model.** Annual volume, category mix and consultation
  share are computed exactly from the scenario: the arrival model (population x rate x
  weekday x season, docs/model.md) integrated day by day over the year, times the number of
  contacts per first contact (repeat appeals of unsatisfied residents, redials after a hang-up,
  abandoned calls excluded) measured in simulation.
- **A population-scaled copy for everything simulated.** The copy has {streets} of the 343
  streets, in one district (a Beijing district has 21.4 streets), with residents, grids,
  district staff and every department's staff scaled by the same factor f = {f:.5f}
  (1 : {inv:.1f}); staff per grid and per street are unchanged, so every grid, street and
  district carries the load it carries in the full city. The hotline is one pool, and a pool
  of 1/16 the operators at the same utilisation makes callers wait and hang up far more
  (4% of 2019 calls abandoned in the copy against none in the city): the copy's operators
  per hour therefore keep the city's Halfin-Whitt parameter (operators - load) / sqrt(load),
  so callers wait as rarely as in the city. Counts are divided by f to stand for the city.
  The copy is checked against the full city on a shortened horizon below.
- **Replications.** {reps} replications of a whole simulated year (2024: 366 days, 2019: 365)
  of the scaled copy per scenario, seeds spawned from fixed roots (numpy SeedSequence), 95%
  Student-t intervals over replications. Haidian (3.4 million residents) runs at full scale.
- **Rates** are those of work orders (dispatched cases), as the published three rates assess
  the units that handle appeals: response = first response within the urgency limit over
  responses due; resolution and satisfaction over valid callbacks ("basically satisfied"
  counts 0.9). The rates of all contacts (consultations included, what `summary.json` prints)
  are listed for comparison.
- **Fitting.** `--fit` runs one pilot year of each scaled copy, computes expected values from
  it (contacts per first contact by category and, with problems on, contacts per problem at the
  city's own time to close; the closing tier, lateness, hand-offs and true fix of every valid
  work order) and solves for the unpublished parameters in closed form or with scipy,
  writes them into the scenario files and repeats once with new pilots (the fits move
  volumes a little through repeat appeals). The verification runs above are independent of the
  pilots (other seeds).
"""

ASSUMED_TEXT = """
Assumed, not fitted (no published figure; each is marked "assumed" in its scenario file):
staff per grid, street and district and of each department; handling times; whistle
probabilities and deadlines (except Pinggu's 30 minutes); callback reach 90%; repeat
probability 30%; caller patience 3 min; the intraday and weekday shapes (their peaks are
the published ones); the heating season's size (10x) and heating's share of utilities (30% in
season); the spread of consultation shares between categories and of resolution between tiers;
the satisfaction model's lateness and hand-off effects; Haidian's case share of the sunk staff
(40%); the 40-hour week behind the operator headcount; the problems' scopes, reporting rates,
report delays (the schema's defaults); the "resolved" answers after a fix (98%) and without
one (20%), on which the split of the fitted resolution into true fixes and closures on paper
rests; the coordination shares (joint departments, unclear jurisdiction).
"""

NOTES_TEXT = """\
- **2019 annual rates versus the January-October path.** The published 2019 figures (resolution
  75%, satisfaction 87% for the year) and the monthly path (53% / 65% in January, 74% / 85% in
  October) cannot both be monthly averages of one year: the January-October path averages about
  66%. `beijing-2019.yaml` is calibrated to the annual figures (the year's quality as a
  constant); fact (a) starts from the January state, set in the experiment file.
- **Consultations in 2019.** 58.5% consultations is the average of January 2019 to November
  2021; 2019 alone had 6.96 million contacts of which 2.52 million appeals, i.e. 63.8%
  consultations. The 2019 scenario uses the 2019 figure; the 58.5% is applied to 2024.
- **Calls per operator.** 80-100 calls per operator per 8-hour shift cannot hold beside 650 on
  duty at the peak hour if every call is a resident's contact (at most about 58 answered calls
  a shift at 65,000 contacts a day), and 80 calls of 6 minutes fill 8 hours. The reading kept:
  operators also make the callbacks on every work order; the shift plan is fitted to 650 at
  the peak and 90 calls (answered calls and callbacks) a shift, and the assumption that all
  1,700 operators answer calls 40 hours a week gives way (the plan's hours are within the
  payroll). The model spends no operator time on callbacks.
- **COVID in 2024.** COVID is a 2020 category (9.8% of 2020's contacts) and no 2024 share is
  published: neither the 2024 nor the 2019 scenario has an epidemic category, and the other
  categories keep their 2020 proportions (issue 30; earlier reports kept COVID at 9.8% in 2024).
- **Satisfaction needed a unit-level lever.** With the satisfaction model alone, the rise from
  64.61% to 85.39% while resolution rose from 53.09% to 74.36% is impossible: satisfaction of a
  resolved case is at most 1, so 0.6461 = 0.5309 s1 + 0.4691 s0 and 0.8539 = 0.7436 s1 + 0.2564 s0
  need s1 > 1 if s0 and s1 stay fixed. The ranking policy therefore has `service_gain`: a ranked
  unit's satisfaction score rises with the resolution it gains (a per-unit score shift in the
  callback, `govsim/engine/agents/verification.py`).
- **Governance streets.** The synthetic city has streets of equal size, so the street listed for
  May has a May volume only a few percent above the average, not the 852 of the real street
  (Beijing's largest streets are several times the average); the fact is compared as an index
  (May = 100). Listed streets stay in the class for `governance_months` = 6 months (assumed) so
  that the response lasts after the street has left the top of the table.
- **Stylized facts (b) and (c) are reproduced by parameters fitted to them** (efficacy,
  prevention rate): the experiments show that the mechanisms deliver the published size through
  the whole model (repeat appeals, regression to the mean of a street chosen for its high May),
  with confidence intervals, and how the effect unfolds in time; they are not independent tests.
  The fits use seeds apart from the verification runs. The published 61% compares winter 2024
  with the winter before; the experiment compares one season with and without the work.
- **Monthly counts.** Fact (c) compares monthly totals, as published; June has 30 days, hence
  the dip of both variants in June.
"""
