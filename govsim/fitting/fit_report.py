"""The fit report: a Markdown page beside the fitted scenario, with figures of fit against log.

Every figure shows what the log holds beside what the fitted model expects of the same
log (in-sample): a check of the fit, not a prediction.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import stats

from govsim.core.io import atomic_write, output_folder
from govsim.fitting.arrivals import ArrivalFit
from govsim.fitting.estimation import Estimate, NotFitted, fmt
from govsim.fitting.handling import DurationFit
from govsim.fitting.satisfaction import predicted_shares
from govsim.fitting.waits import Calibration

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DPI = 110


@dataclass
class ReportInputs:
    log: str
    base: str
    fitted: str
    rows: int
    first_contacts: int
    start: pd.Timestamp
    days: int
    settle_days: float
    wall_seconds: float
    estimates: list[Estimate]
    base_values: dict[str, float | None]
    not_fitted: list[NotFitted]
    arrivals: ArrivalFit
    durations: list[DurationFit]
    satisfaction: pd.DataFrame | None
    warnings: list[str]
    category_names: list[str]
    calibration: Calibration | None = None
    city_note: str = ""


def render(inputs: ReportInputs, figures_dir: Path | None) -> tuple[str, dict[str, bytes]]:
    """The report's Markdown and its figures as PNG bytes by file name (nothing written yet)."""
    pngs: dict[str, bytes] = {}
    if figures_dir is not None:
        for name, draw in _figures(inputs).items():
            pngs[name] = _png(draw)
    rel = figures_dir.name if figures_dir is not None else ""
    lines = [
        f"# Fit of `{inputs.fitted}` to `{inputs.log}`",
        "",
        f"Written by `govsim fit` in {inputs.wall_seconds:.1f} s. Base scenario `{inputs.base}`: "
        "its structure and every key not listed below are kept. Each value listed comes from "
        "the log (estimated directly, with a 95% confidence interval of the fit to this log) or "
        "from simulation (calibrated so that the fitted city gives the log's figures back, with "
        "the range of the near-best candidates: not a confidence interval); what the log "
        'cannot give is kept from the base ("Not fitted"). The figures set what the log '
        "holds beside what the fitted model expects of the same log: a check of the fit, not a "
        "prediction.",
        "",
        f"- log: {inputs.rows:,} appeals, {inputs.first_contacts:,} first contacts (rows without "
        f"`repeat_of`), {inputs.days} days from {inputs.start.date()} (the fitted `start_date` "
        "and `days`)",
        "- settled cases (shares, handling times, callbacks): created at least "
        f"{inputs.settle_days:g} days "
        "before the log's end",
        "",
        *(["## Warnings", "", *[f"- {w}" for w in inputs.warnings], ""] if inputs.warnings else []),
        "## Fitted values",
        "",
        "| key | base | fitted | interval | n | method |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for e in inputs.estimates:
        base = inputs.base_values.get(e.path)
        interval = "range" if "interval" in e.extra else "95% CI"
        lines.append(
            f"| `{e.path}` | {fmt(base) if isinstance(base, (int, float)) else (base or '')} | "
            f"{fmt(e.value)} | {interval} [{fmt(e.low)}, {fmt(e.high)}] | {e.n:,} | {e.method} |"
        )
    lines += [
        "",
        "## Not fitted (kept from the base scenario)",
        "",
        "| key | why |",
        "| --- | --- |",
    ]
    for item in inputs.not_fitted:
        lines.append(f"| `{item.key}` | {item.reason} |")
    lines += _calibration_section(inputs.calibration)
    lines += _street_section(inputs.arrivals, inputs.city_note)
    lines += _duration_section(inputs.durations)
    if pngs:
        lines += ["", "## Figures", ""]
        for name in pngs:
            lines += [f"![{name}]({rel}/{name})", ""]
    return "\n".join(lines) + "\n", pngs


def write_report(
    markdown: str, pngs: dict[str, bytes], report_path: Path, figures_dir: Path | None
) -> list[Path]:
    written = []
    if figures_dir is not None and pngs:
        with output_folder(figures_dir) as folder:  # replaced in one step, never a mix
            for name, data in pngs.items():
                atomic_write(folder / name, functools.partial(_write_bytes, data))
                written.append(figures_dir / name)
    atomic_write(report_path, lambda tmp: Path(tmp).write_text(markdown, encoding="utf-8"))
    return [report_path, *written]


def _write_bytes(data: bytes, path: str) -> None:
    Path(path).write_bytes(data)


def _calibration_section(calibration: Calibration | None) -> list[str]:
    """The waits calibrated by simulation: the log's stage figures beside the runs'."""
    lines = ["", "## Waits: calibrated by simulation", ""]
    if calibration is None:
        return [
            *lines,
            "Not run (`--calibrate 0`): the delays and staff behind the waits are the base's, "
            "so times to close may not come back (run with `--calibrate N`).",
        ]
    if calibration.figures.empty:
        return [*lines, *[f"- {item.key}: {item.reason}" for item in calibration.not_fitted]]
    lines += [
        'The log\'s stages (docs/caselog.md, "Waits: calibrated by simulation") beside runs of the '
        "fitted city with the base's staff and delays and with the calibrated ones (means over "
        "the common seeds; the same window of creation times in log and runs). "
        + " ".join(calibration.notes),
        "",
        "| figure (hours, but the visits under way) | log | base | calibrated |",
        "| --- | --- | --- | --- |",
    ]
    for name, row in calibration.figures.iterrows():
        lines.append(
            f"| {name} | {fmt(row['log'])} | {fmt(row['base'])} | {fmt(row['calibrated'])} |"
        )
    return lines


def round_trip_section(
    table: pd.DataFrame, n: int, summary: str, notes: list[str], seconds: float
) -> list[str]:
    """The "Round trip" section: the log's headline figures against the fitted city's, drawn
    and replayed (:func:`govsim.fitting.round_trip.round_trip`'s table, in its order)."""
    lines = [
        "",
        "## Round trip",
        "",
        f"The fitted scenario run {n} times with arrivals drawn from the fitted rates and {n} "
        "times with the log's own first contacts replayed (`arrivals.replay`), the same seeds "
        f"for both, in {seconds:.1f} s. Each run is exported as a log and measured over the "
        "log's window as the log is (closing figures: cases created at least the settle days "
        "before the end). Mean over runs [95% t-interval]; verdict: within the tolerance of "
        "the log's value (`ok`) or not (`off`); in PI: the log's value lies within the runs' "
        "95% prediction interval of one more run (the log is one draw of its city; "
        "docs/caselog.md). A figure that does not come back may be set by a value kept from "
        "the base (see Not fitted).",
        "",
        *[f"- {note}" for note in notes],
        f"- **{summary}**",
        "",
        "| figure | log | drawn [95% CI] | drawn | in PI | replayed [95% CI] | replayed | in PI "
        "| tolerance |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, row in table.iterrows():
        cells = [f"{name}", _cell(row["log"])]
        for variant in ("drawn", "replayed"):
            cells += [
                f"{_cell(row[variant])} [{_cell(row[f'{variant} low'])}, "
                f"{_cell(row[f'{variant} high'])}]",
                str(row[f"{variant} verdict"]),
                str(row[f"{variant} inside PI"]),
            ]
        cells.append(str(row["tolerance"]))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def insert_section(markdown: str, section: list[str]) -> str:
    """``markdown`` with ``section`` before its figures (at the end if it has none)."""
    head, mark, figures = markdown.partition("\n\n## Figures\n")
    body = "\n" + "\n".join(section)
    if not mark:
        return markdown.rstrip("\n") + body + "\n"
    return head + body + mark + figures


def _cell(x: float) -> str:
    return "-" if np.isnan(x) else fmt(x)


def _street_section(fit: ArrivalFit, city_note: str = "") -> list[str]:
    test = fit.proportionality
    lines = [
        "",
        "## Arrival rates per street and category",
        "",
        "The model's rate per street is population-proportional (a street's appeals are its share "
        "of the city's residents). Likelihood-ratio test of that against free street rates: "
        f"G2 = {test.get('G2', float('nan')):.1f} on {test.get('df', 0):.0f} df, "
        f"p = {test.get('p', float('nan')):.3g}"
        " (a small p says the log's streets differ by more than their populations; the fitted "
        "scenario still has city-wide rates, as the model does). Here: "
        + (city_note or "the base's city is kept")
        + ".",
        "",
        "| street | category | first contacts | expected | rate | 95% CI |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in fit.streets.itertuples():
        lines.append(
            f"| {row.street} | {row.category} | {row.first_contacts:,} | {row.expected:.1f} | "
            f"{fmt(cast(float, row.rate))} | [{fmt(cast(float, row.low))}, "
            f"{fmt(cast(float, row.high))}] |"
        )
    return lines


def _duration_section(durations: list[DurationFit]) -> list[str]:
    lines = [
        "",
        "## Durations: the three families compared",
        "",
        "| key | sample | family | AIC | mean [95% CI] | cv [95% CI] |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for fit in durations:
        for cand in fit.candidates:
            mark = " (chosen)" if cand is fit.chosen else ""
            m, c = cand.mean, cand.cv
            lines.append(
                f"| `{'.'.join(map(str, fit.key))}` | {len(fit.sample):,} | {cand.kind}{mark} | "
                f"{cand.aic:,.1f} | {fmt(m[0])} [{fmt(m[1])}, {fmt(m[2])}] | "
                f"{fmt(c[0])} [{fmt(c[1])}, {fmt(c[2])}] |"
            )
    return lines


# -- figures ----------------------------------------------------------------------------------
def _png(draw: Callable[[Figure], None]) -> bytes:
    figure = Figure(figsize=(7.5, 4.2), dpi=DPI, layout="constrained")
    draw(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _figures(inputs: ReportInputs) -> dict[str, Callable[[Figure], None]]:
    fit = inputs.arrivals
    days = fit.observed.shape[0]
    out: dict[str, Callable[[Figure], None]] = {}

    def daily(figure: Figure) -> None:
        ax = figure.subplots()
        observed = fit.observed.sum(axis=(1, 2))
        expected = fit.expected.sum(axis=(1, 2))
        x = inputs.start + pd.to_timedelta(np.arange(days), unit="D")
        low, high = stats.poisson.ppf(0.025, expected), stats.poisson.ppf(0.975, expected)
        ax.fill_between(
            x, low, high, color="C0", alpha=0.2, step="mid", label="fitted: 95% Poisson range"
        )
        ax.plot(x, expected, color="C0", label="fitted: expected")
        ax.plot(x, observed, "o", ms=3, color="k", label="log")
        ax.set(title="First contacts per day", ylabel="first contacts")
        ax.tick_params(axis="x", labelrotation=30)
        ax.legend(fontsize=8)

    def intraday(figure: Figure) -> None:
        ax = figure.subplots()
        ax.bar(np.arange(24), fit.observed.sum(axis=(0, 2)) / days, color="0.75", label="log")
        ax.plot(
            np.arange(24), fit.expected.sum(axis=(0, 2)) / days, "o-", color="C0", label="fitted"
        )
        ax.set(
            title="First contacts by hour of day (mean per day)",
            xlabel="hour",
            ylabel="first contacts",
        )
        ax.legend(fontsize=8)

    def weekday(figure: Figure) -> None:
        ax = figure.subplots()
        wd = (inputs.start.weekday() + np.arange(days)) % 7
        per_day_obs = fit.observed.sum(axis=(1, 2))
        per_day_exp = fit.expected.sum(axis=(1, 2))
        obs = [per_day_obs[wd == w].mean() if (wd == w).any() else np.nan for w in range(7)]
        exp = [per_day_exp[wd == w].mean() if (wd == w).any() else np.nan for w in range(7)]
        ax.bar(np.arange(7), obs, color="0.75", label="log")
        ax.plot(np.arange(7), exp, "o-", color="C0", label="fitted")
        ax.set_xticks(np.arange(7), WEEKDAYS)
        ax.set(title="First contacts by weekday (mean per day)", ylabel="first contacts")
        ax.legend(fontsize=8)

    def weekly(figure: Figure) -> None:
        names = list(inputs.category_names)
        columns = 5
        rows = -(-len(names) // columns)
        axes = figure.subplots(rows, columns, sharex=True, squeeze=False)
        weeks = np.arange(days) // 7
        for c, name in enumerate(names):
            ax = axes[c // columns][c % columns]
            obs = np.bincount(weeks, weights=fit.observed[..., c].sum(axis=1))
            exp = np.bincount(weeks, weights=fit.expected[..., c].sum(axis=1))
            x = np.arange(len(exp))
            low, high = stats.poisson.ppf(0.025, exp), stats.poisson.ppf(0.975, exp)
            ax.fill_between(x, low, high, color="C0", alpha=0.2)
            ax.plot(x, exp, color="C0")
            ax.plot(x, obs, "o", ms=2.5, color="k")
            ax.set_title(name, fontsize=7)
            ax.tick_params(labelsize=6)
        for extra in range(len(names), rows * columns):
            axes[extra // columns][extra % columns].set_visible(False)
        figure.suptitle(
            "First contacts per week of the log, by category: log (dots), fitted with its 95% "
            "Poisson range",
            fontsize=8,
        )

    out.update(
        {
            "arrivals_daily.png": daily,
            "arrivals_weekly_by_category.png": weekly,
            "arrivals_intraday.png": intraday,
            "arrivals_weekday.png": weekday,
        }
    )
    for duration in inputs.durations:
        out[f"duration_{'_'.join(map(str, duration.key))}.png"] = _duration_figure(duration)
    if inputs.satisfaction is not None:
        coefficients = {
            str(e.key[-1]): e.value
            for e in inputs.estimates
            if e.key[:2] == ("feedback", "satisfaction")
        }
        if len(coefficients) == 5:
            out["satisfaction.png"] = _satisfaction_figure(inputs.satisfaction, coefficients)
    return out


def _duration_figure(duration: DurationFit) -> Callable[[Figure], None]:
    def draw(figure: Figure) -> None:
        ax = figure.subplots()
        x = duration.sample
        edges = np.geomspace(max(x.min(), 1e-3), x.max(), 40)
        ax.hist(x, bins=list(edges), density=True, color="0.75", label=f"log ({len(x):,})")
        grid = np.sqrt(edges[:-1] * edges[1:])
        for cand in duration.candidates:
            mean, cv = cand.mean[0], cand.cv[0]
            if cand.kind == "exponential":
                pdf = stats.expon.pdf(grid, scale=mean)
            elif cand.kind == "gamma":
                shape = 1 / cv**2
                pdf = stats.gamma.pdf(grid, shape, scale=mean / shape)
            else:
                s2 = np.log1p(cv**2)
                pdf = stats.lognorm.pdf(grid, np.sqrt(s2), scale=mean * np.exp(-s2 / 2))
            style = "-" if cand is duration.chosen else ":"
            ax.plot(grid, pdf, style, label=f"{cand.kind} (AIC {cand.aic:,.0f})")
        ax.set_xscale("log")
        ax.set(
            title=f"{'.'.join(map(str, duration.key))}: {duration.label}",
            xlabel="hours",
            ylabel="density",
        )
        ax.legend(fontsize=8)

    return draw


def _satisfaction_figure(
    table: pd.DataFrame, coefficients: dict[str, float]
) -> Callable[[Figure], None]:
    def draw(figure: Figure) -> None:
        ax = figure.subplots()
        predicted = predicted_shares(table, coefficients)
        groups = pd.Series(np.where(table["resolved"].fillna(0) > 0, "resolved", "not resolved"))
        late = pd.cut(
            table["lateness"],
            [-0.01, 0.0, 0.5, 1.0, 2.0, np.inf],
            labels=["on time", "<0.5", "0.5-1", "1-2", ">2"],
        )
        key = groups.astype(str) + ", " + late.astype(str).astype(str)
        labels = [k for k in pd.unique(key) if (key == k).sum() >= 20]
        labels.sort()
        x = np.arange(len(labels))
        for level, colour in ((0, "C2"), (1, "C1")):
            observed = [(table["rating"][key == k] == level).mean() for k in labels]
            fitted = [predicted[(key == k).to_numpy(), level].mean() for k in labels]
            name = "satisfied" if level == 0 else "basic"
            ax.bar(
                x + (level - 0.5) * 0.4,
                observed,
                width=0.4,
                color=colour,
                alpha=0.5,
                label=f"log: {name}",
            )
            ax.plot(x + (level - 0.5) * 0.4, fitted, "k_", ms=14, mew=2)
        ax.plot([], [], "k_", ms=14, mew=2, label="fitted")
        ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=8)
        ax.set(
            title="Callback ratings by outcome and lateness (overrun of the limit)", ylabel="share"
        )
        ax.legend(fontsize=8)

    return draw
