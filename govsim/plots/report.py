"""``govsim report DIR``: one self-contained HTML page of a run, an experiment or a study.

The page holds the scenario (or experiment definition), the summary tables and every
figure of ``govsim plot``, embedded as base64 PNG: it needs no other file and no network,
so it can be mailed or archived as it is.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import yaml

from govsim.core.errors import UserInputError
from govsim.core.io import FolderInUse, atomic_write, check_output_file, resolve_out, shown
from govsim.plots.figures import MadeFigure, make_figures
from govsim.plots.style import metric_style
from govsim.results.loading import ExperimentData, Results, RunData, StudyData, load
from govsim.results.settling import after as settled_after

CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 1200px;
       color: #222; padding: 0 1em; line-height: 1.4; }
h1 { border-bottom: 2px solid #1f77b4; padding-bottom: .2em; }
h2 { margin-top: 2em; color: #1f4e79; }
table { border-collapse: collapse; margin: .5em 0 1.5em; font-size: 90%; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right; }
th { background: #eef3f8; } td:first-child, th:first-child { text-align: left; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
table.text td, table.text th { text-align: left; }
figcaption { font-size: 90%; color: #555; }
pre { background: #f6f8fa; padding: 1em; overflow-x: auto; font-size: 80%; }
.meta { color: #666; font-size: 90%; } nav a { margin-right: 1em; }
.warning { background: #fdecea; border-left: 4px solid #c0392b; padding: .4em .8em; }
"""


def write_report(
    folder: str | Path,
    out: str | Path | None = None,
    *,
    replay: bool = True,
    workers: int | None = None,
    progress: bool = True,
    force: bool = False,
) -> Path:
    """Draw the figures of ``folder`` (into ``folder/figures/``) and write the HTML page; return
    its path.

    ``out`` is checked first (:func:`govsim.core.io.check_output_file`): ``report.html`` in a
    results folder is govsim's and replaced; any other existing file only with ``force``,
    and never a results folder's other files.
    """
    data = load(folder)
    given = str(out) if out else str(data.path / "report.html")
    target = resolve_out(given)
    try:
        check_output_file(target, replace=force, own=("report.html",))
    except FolderInUse as exc:
        raise UserInputError(exc.reason, source=shown(given, target)) from None
    figures = make_figures(
        data, formats=("png", "svg"), replay=replay, workers=workers, progress=progress
    )
    page = render(data, figures)
    atomic_write(target, lambda p: Path(p).write_text(page, encoding="utf-8"))
    return Path(given)


def render(data: Results, figures: Sequence[MadeFigure]) -> str:
    """The HTML page of ``data`` with ``figures`` embedded."""
    if isinstance(data, RunData):
        kind, sections = "run", _run_sections(data)
    elif isinstance(data, StudyData):
        kind, sections = "study", _study_sections(data)
    else:
        kind, sections = "experiment", _experiment_sections(data)
    sections.append(("Figures", "".join(_figure(f) for f in figures)))
    nav = "".join(f'<a href="#{_anchor(t)}">{html.escape(t)}</a>' for t, _ in sections)
    body = "".join(
        f'<h2 id="{_anchor(t)}">{html.escape(t)}</h2>{content}' for t, content in sections
    )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>govsim {kind}: {html.escape(data.name)}</title><style>{CSS}</style></head><body>"
        f"<h1>govsim {kind}: {html.escape(data.name)}</h1>"
        f'<p class="meta">{html.escape(str(data.path))} &middot; report written {stamp}</p>'
        f"<nav>{nav}</nav>{body}</body></html>\n"
    )


def _run_sections(data: RunData) -> list[tuple[str, str]]:
    s = data.summary
    scenario = data.scenario
    about = pd.DataFrame(
        {
            "": ["name", "description", "days", "seed", "start date", "policies"],
            "value": [
                scenario.name,
                scenario.description,
                f"{scenario.days:g}",
                scenario.seed,
                str(scenario.start_date),
                ", ".join(p.type for p in scenario.policies) or "none",
            ],
        }
    )
    counts = pd.DataFrame(
        {
            "": ["created", "closed", "abandoned", "open at end", "repeat appeals"],
            "cases": [
                s["created"],
                s["closed"],
                s["abandoned"],
                s["open_at_end"],
                s["repeat_cases"],
            ],
        }
    )
    rates = pd.DataFrame(
        {
            "": ["response", "resolution", "satisfaction"],
            "rate (%)": [
                _pct(s["rates"].get(k)) for k in ("response", "resolution", "satisfaction")
            ],
        }
    )
    ttc = pd.DataFrame([s["time_to_close_hours"]]).rename(index={0: "hours"}).reset_index(names="")
    tiers = pd.DataFrame(
        {
            "tier": list(s["share_closed_by_tier"]),
            "closed here (%)": [_pct(v) for v in s["share_closed_by_tier"].values()],
            "staff utilisation (%)": [
                _pct(s["utilisation"].get(t)) for t in s["share_closed_by_tier"]
            ],
        }
    )
    tables = (
        _table(counts)
        + _table(rates)
        + "<h3>Time to close (closed cases)</h3>"
        + _table(ttc, 1)
        + _censoring_html(s)
        + "<h3>Tiers</h3>"
        + _table(tiers)
        + _equity_html(s)
    )
    yaml_text = (data.path / "scenario.yaml").read_text(encoding="utf-8")
    return [
        (
            "Scenario",
            _table(about.map(_plain), text=True)
            + _details("Fully resolved scenario (scenario.yaml)", yaml_text),
        ),
        ("Summary", tables),
    ]


def _equity_html(s: dict) -> str:
    """The summary's equity block: the most backlogged street against the median street and
    the indices across streets (empty for a summary written before it was)."""
    block = s.get("equity")
    if not block:
        return ""
    top = block["most_backlogged"]
    rows = [
        {
            "across streets": name.replace("_", " "),
            "Gini": block[name]["gini"],
            "Theil": block[name]["theil"],
            "worst decile / median": block[name]["worst_decile_over_median"],
            "streets (left out)": f"{block[name]['streets']} ({block[name]['excluded']})",
        }
        for name in ("time_to_close", "backlog_per_10k", "satisfaction")
    ]
    over = block["time_to_close"].get("share_over_limit")
    text = (
        f"<p>Most backlogged street: {html.escape(str(top['street']))}, "
        f"{top['open_at_end']} work orders open at the end "
        f"({_times(top['open_over_median'])} the median street's), median time to close "
        f"{_times(top['time_to_close_over_median'])} the median street's. Streets whose "
        f"median work order closes past its limit: {_pct(over)}%. Time to close is each "
        f"street's median; streets with fewer than {block['min_closed']} closed work orders are "
        "left out (docs/outputs.md).</p>"
    )
    return "<h3>Equity across streets</h3>" + text + _table(pd.DataFrame(rows), 3)


def _times(ratio: float | None) -> str:
    return "n/a times" if ratio is None else f"{ratio:.2f} times"


def _censoring_html(s: dict) -> str:
    """What the closed-only time to close leaves out and whether the backlog settled (empty
    for a summary written before these figures were)."""
    parts = []
    censored = s.get("time_to_close_censoring")
    if censored:
        ages = censored["open_age_hours"]
        frame = pd.DataFrame(
            {
                "": [
                    "still open at end (% of cases created)",
                    "open cases' age, mean (h)",
                    "open cases' age, p90 (h)",
                    "open cases' age, max (h)",
                    f"restricted mean time to close (h, Kaplan-Meier to "
                    f"{censored['restricted_to_hours']:g} h)",
                ],
                "value": [
                    _pct(censored["open_share"]),
                    ages["mean"],
                    ages["p90"],
                    ages["max"],
                    censored["restricted_mean_hours"],
                ],
            }
        )
        parts.append(_table(frame, 1))
    settling = s.get("settling")
    if settling and settling["settled"] is not None:
        after = settled_after(settling["warmup_hours"])
        if settling["settled"]:
            parts.append(f"<p>Backlog settled: no tier's backlog grows {after}.</p>")
        else:
            growing = ", ".join(
                f"{html.escape(t)} (+{settling['tiers'][t]['slope_per_day']:.1f} open cases a day)"
                for t in settling["growing"]
            )
            parts.append(
                f'<p class="warning"><strong>Not settled:</strong> the backlog grows {after} '
                f"at {growing}; the time to close of the closed cases depends on the horizon."
                "</p>"
            )
    return "".join(parts)


def _settling_html(data: ExperimentData) -> str:
    """The variants whose backlog does not settle, named above the summary (empty if none)."""
    from govsim.results.settling import by_variant as settling

    first = data.summary[data.summary["sample"] == data.summary["sample"].min()]
    verdicts = settling(first)
    bad = verdicts[~verdicts["settled"]] if len(verdicts) else verdicts
    if not len(bad):
        return ""
    named = ", ".join(
        f"{html.escape(str(r.variant))} ({r.growing} of {r.runs} runs grow)"
        for r in bad.itertuples()
    )
    return (
        f'<p class="warning"><strong>Not settled:</strong> {named}: the backlog grows after '
        "the warm-up in more runs than false alarms explain; the time to close of the closed "
        "cases depends on the horizon.</p>"
    )


def _experiment_sections(data: ExperimentData) -> list[tuple[str, str]]:
    spec = {k: v for k, v in data.experiment.items() if k != "fingerprint"}
    about = pd.DataFrame(
        {
            "": [
                "name",
                "description",
                "base scenario",
                "replications",
                "days",
                "warm-up days",
                "baseline",
            ],
            "value": [
                spec.get("name"),
                spec.get("description", ""),
                spec.get("scenario"),
                spec.get("replications"),
                spec.get("days"),
                spec.get("warmup_days"),
                spec.get("baseline"),
            ],
        }
    )
    sections = [
        (
            "Experiment",
            _table(about.map(_plain), text=True)
            + _table(data.variants[["variant", "description"]], text=True)
            + _details(
                "Experiment as run (experiment.yaml)", yaml.safe_dump(spec, sort_keys=False)
            ),
        )
    ]
    from govsim.experiments.rerun import experiment_scenario

    scenario = experiment_scenario(data)
    if scenario is not None:
        text = yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
        sections[0] = (
            sections[0][0],
            sections[0][1]
            + _details(f"Baseline variant's resolved scenario ({scenario.name})", text),
        )
    if len(data.summary):
        sections.append(
            (
                "Summary",
                "<p>Mean [95% CI] across replications, per variant.</p>"
                + _settling_html(data)
                + _table(_summary_pivot(data)),
            )
        )
    if len(data.paired):
        sections.append(
            (
                "Paired differences",
                f"<p>Variant minus {html.escape(data.baseline)}, paired by "
                "replication (common random numbers): mean [95% CI].</p>"
                + _table(_paired_pivot(data)),
            )
        )
    if data.errors:
        failed = pd.DataFrame(
            [
                {k: e.get(k) for k in ("variant", "sample", "replication", "seed")}
                for e in data.errors
            ]
        )
        sections.append(("Failed runs", _table(failed)))
    return sections


def _study_sections(data: StudyData) -> list[tuple[str, str]]:
    spec = {k: v for k, v in data.study.items() if k != "fingerprint"}
    trials = data.trials
    states = trials["state"].value_counts().to_dict() if len(trials) else {}
    about = pd.DataFrame(
        {
            "": ["name", "description", "base", "levers", "objectives", "trials", "replications"],
            "value": [
                spec.get("name"),
                spec.get("description", ""),
                spec.get("scenario") or spec.get("experiment"),
                ", ".join(data.levers),
                ", ".join(f"{o} ({'min' if m else 'max'})" for o, m in data.objectives),
                ", ".join(f"{n} {s}" for s, n in states.items()),
                f"search {spec.get('replications', {}).get('initial')}-"
                f"{spec.get('replications', {}).get('max')} (racing), "
                f"front {spec.get('replications', {}).get('final')} on fresh seeds",
            ],
        }
    )
    sections = [
        (
            "Study",
            _table(about.map(_plain), text=True)
            + _details("Study as run (study.yaml)", yaml.safe_dump(spec, sort_keys=False)),
        )
    ]
    if len(data.front):
        rows = []
        for _, row in data.front.iterrows():
            item: dict[str, object] = {"trial": int(row["trial"])}
            item.update({key: _plain(row[key]) for key in data.levers})
            for name, _minimise in data.objectives:
                style = metric_style(name)
                label = f"{style.label} ({style.unit})"
                item[label] = _interval(
                    row[name], row[f"{name}_ci_low"], row[f"{name}_ci_high"], style.scale
                )
                item[f"{label}, search"] = _interval(
                    row[f"{name}_search"], float("nan"), float("nan"), style.scale
                )
            if "fresh_verdict" in row:
                item["fresh verdict"] = row["fresh_verdict"]
            if "backlog_settles" in row and row["backlog_settles"] is not pd.NA:
                item["backlog"] = (
                    "settles"
                    if row["backlog_settles"]
                    else f"NOT SETTLED: grows in {int(row['runs_growing'])} fresh runs"
                )
            rows.append(item)
        sections.append(
            (
                "Front",
                "<p>The Pareto front of the search, re-evaluated on fresh seeds: mean [95% CI]; "
                "the search estimate beside it (its optimism is the winner's curse)"
                + (
                    "; one objective: the returned best of the selection below.</p>"
                    if len(data.selection)
                    else ".</p>"
                )
                + _table(pd.DataFrame(rows)),
            )
        )
    if len(data.selection) and data.objectives:
        sections.append(("Selection", _selection_section(data)))
    return sections


def _selection_section(data: StudyData) -> str:
    """The contenders re-run on fresh seeds and the indifference set (one objective)."""
    name = data.objectives[0][0]
    style = metric_style(name)
    label = f"{style.label} ({style.unit})"
    rows = []
    for _, row in data.selection.iterrows():
        item: dict[str, object] = {"trial": int(row["trial"])}
        item.update({key: _plain(row[key]) for key in data.levers})
        item[label] = _interval(
            row[name], row[f"{name}_ci_low"], row[f"{name}_ci_high"], style.scale
        )
        item["minus the best"] = _interval(
            row["difference"], row["difference_ci_low"], row["difference_ci_high"], style.scale
        )
        item["fresh replications"] = int(row["replications"])
        item["verdict"] = (
            "best" if row["best"] else "cannot be told apart" if row["indifferent"] else "worse"
        )
        rows.append(item)
    tied = int(data.selection["indifferent"].sum())
    return (
        f"<p>The candidates not worse than the search best with confidence, re-run on fresh "
        f"seeds until told apart: {tied} of {len(data.selection)} cannot be told apart (the "
        "indifference set). The differences from the best are paired, with their interval at "
        "the level of the elimination's comparisons (docs/optimize.md).</p>"
        + _table(pd.DataFrame(rows))
    )


def _summary_pivot(data: ExperimentData) -> pd.DataFrame:
    rows = data.summary[data.summary["sample"] == data.summary["sample"].min()]
    return _pivot(rows, "mean", "ci_low", "ci_high", data.variant_names)


def _paired_pivot(data: ExperimentData) -> pd.DataFrame:
    rows = data.paired[data.paired["sample"] == data.paired["sample"].min()]
    return _pivot(
        rows,
        "mean_diff",
        "ci_low",
        "ci_high",
        [v for v in data.variant_names if v != data.baseline],
        difference=True,
    )


def _pivot(
    rows: pd.DataFrame,
    mean: str,
    low: str,
    high: str,
    variants: list[str],
    difference: bool = False,
) -> pd.DataFrame:
    table: dict[str, dict[str, str]] = {}
    for _, row in rows.iterrows():
        style = metric_style(str(row["metric"]))
        unit = ("pp" if style.unit == "%" else style.unit) if difference else style.unit
        label = f"{style.label} ({unit})"
        table.setdefault(label, {})[str(row["variant"])] = _interval(
            row[mean], row[low], row[high], style.scale
        )
    frame = pd.DataFrame(table).T
    frame = frame[[v for v in variants if v in frame.columns]]
    return frame.reset_index(names="outcome")


def _interval(mean: float, low: float, high: float, scale: float) -> str:
    if pd.isna(mean):
        return "n/a"
    text = f"{mean * scale:,.2f}"
    if pd.notna(low) and pd.notna(high) and abs(low) != float("inf"):
        text += f" [{low * scale:,.2f}, {high * scale:,.2f}]"
    return text


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}"


def _table(frame: pd.DataFrame, digits: int = 3, text: bool = False) -> str:
    """An HTML table; ``text`` left-aligns every cell (descriptions rather than numbers)."""
    return frame.to_html(
        index=False,
        border=0,
        na_rep="n/a",
        float_format=lambda x: f"{x:,.{digits}f}",
        escape=True,
        classes="text" if text else None,
    )


def _plain(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value if value is not None else "")


def _details(summary: str, text: str) -> str:
    return (
        f"<details><summary>{html.escape(summary)}</summary>"
        f"<pre>{html.escape(text)}</pre></details>"
    )


def _figure(made: MadeFigure) -> str:
    png = base64.b64encode(made.path("png").read_bytes()).decode("ascii")
    caption = html.escape(made.caption)
    return (
        f'<figure id="fig-{made.name}"><img src="data:image/png;base64,{png}" alt="{caption}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _anchor(title: str) -> str:
    return title.lower().replace(" ", "-")
