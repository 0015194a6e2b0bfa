"""``govsim.load``, ``govsim plot`` and the plot functions, on a short run and tiny experiments.

Every figure family is checked for what a reader relies on: title, axis labels, a legend
(or colour bar) naming the expected variants, bands that contain their mean, limits at
the scenario's values, and no label outside the figure.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path
from xml.etree import ElementTree

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import BASELINE
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

import govsim
import govsim.plots as gp
from govsim.app.cli import main
from govsim.experiments import run_experiment
from govsim.experiments.executors import choose
from govsim.experiments.rerun import replay
from govsim.plots import style
from govsim.plots.figures import figure_specs
from govsim.plots.frames import band, tidy_timeseries
from govsim.plots.inputs import inputs_for, policy_graph
from govsim.plots.league import league_matrix
from govsim.results.loading import NotAResultsFolder

VARIANTS = ["baseline", "whistle_blowing", "all_combined"]
RUN_FIGURES = {
    "backlog",
    "flows",
    "rates",
    "reported_vs_true",
    "time_to_close",
    "bunching",
    "tiers",
    "league",
    "equity",
    "equity_map",
    "network",
}
RUN_ONLY = {"network", "equity", "equity_map"}
"""Drawn from a run's own tables (an experiment draws the network once per variant)."""
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def write_experiment(folder: Path, spec: dict) -> Path:
    path = folder / f"{spec['name']}.yaml"
    path.write_text(yaml.safe_dump({"scenario": str(BASELINE), **spec}, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A 35-day baseline run: two months of appeals (from 4 March)."""
    out = tmp_path_factory.mktemp("plots") / "run"
    assert main(["run", str(BASELINE), "--days", "35", "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def experiment_dir(tmp_path_factory) -> Path:
    """Three variants, a two-point grid sweep, three replications, eight days."""
    folder = tmp_path_factory.mktemp("plots_exp")
    path = write_experiment(
        folder,
        {
            "name": "tiny_comparison",
            "seed": 11,
            "replications": 3,
            "days": 8,
            "warmup_days": 1,
            "variants": {
                "baseline": {},
                "whistle_blowing": {"policies": [{"type": "whistle_blowing", "probability": 0.8}]},
                "all_combined": {
                    "policies": [
                        {"type": "dispatch_reform", "direct_to_street": True},
                        {"type": "whistle_blowing", "probability": 0.8},
                    ]
                },
            },
            "uncertainties": [{"key": "staffing.street_staff", "values": [4, 6]}],
            "outcomes": [
                "backlog_mean",
                "time_to_close_mean",
                "satisfaction_rate",
                "share_closed_low",
            ],
        },
    )
    result = run_experiment(path, executor=choose(workers=2), out=folder / "out", progress=False)
    assert not result.errors
    return folder / "out"


@pytest.fixture(scope="module")
def experiment_inputs(experiment_dir: Path):
    """The experiment's plot inputs, its runs replayed in this process (cached in DIR/replay/)."""
    return inputs_for(govsim.load(experiment_dir), progress=False, workers=1)


@pytest.fixture(scope="module")
def sensitivity_dir(tmp_path_factory) -> Path:
    """A Morris design over two parameters (6 samples), two replications, three days."""
    folder = tmp_path_factory.mktemp("plots_sens")
    path = write_experiment(
        folder,
        {
            "name": "tiny_sensitivity",
            "seed": 5,
            "replications": 2,
            "days": 3,
            "variants": {"baseline": {}},
            "uncertainties": [
                {"key": "staffing.street_staff", "range": [3, 7], "integer": True},
                {"key": "handling.street.mean", "range": [4, 12]},
            ],
            "sampling": {"method": "morris", "samples": 2},
            "outcomes": ["backlog_mean", "time_to_close_mean"],
        },
    )
    run_experiment(path, executor=choose(workers=1), out=folder / "out", progress=False)
    return folder / "out"


# govsim.load


def test_load_run_reads_every_table(run_dir: Path) -> None:
    data = govsim.load(run_dir)
    assert isinstance(data, govsim.RunData) and data.kind == "run"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert data.summary == summary
    assert len(data.cases) == summary["created"]
    assert data.scenario.name == "baseline" and data.scenario.days == 35
    assert set(data.timeseries["tier"].astype(str)) >= {"city", "grid", "street"}
    assert set(data.kpis["unit_type"]) >= {"city", "street"}
    flat = data.summary_table.set_index("key")["value"]
    assert flat["rates.response"] == summary["rates"]["response"]


def test_load_experiment_reads_every_table(experiment_dir: Path) -> None:
    data = govsim.load(experiment_dir)
    assert isinstance(data, govsim.ExperimentData) and data.kind == "experiment"
    assert data.variant_names == VARIANTS and data.baseline == "baseline"
    # variants x samples x replications x (4 outcomes + the 2 measured beside a time to
    # close: open_share and settled)
    assert len(data.results) == 3 * 2 * 3 * (4 + 2)
    assert set(data.results["metric"]) >= {"open_share", "settled"}
    assert set(data.paired["variant"]) == {"whistle_blowing", "all_combined"}
    assert "staffing.street_staff" in data.sweep.columns
    assert data.sensitivity.empty and data.errors == []


@pytest.mark.parametrize("command", ["plot", "report"])
def test_neither_run_nor_experiment_is_an_input_error(tmp_path: Path, command: str, capsys) -> None:
    (tmp_path / "notes.txt").write_text("not results")
    with pytest.raises(NotAResultsFolder) as caught:
        govsim.load(tmp_path)
    assert isinstance(caught.value, ValueError)
    assert main([command, str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "neither a run folder" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # nothing written
    assert main([command, str(tmp_path / "missing"), "--quiet"]) == 2


# govsim plot: files


def assert_valid_figure_files(folder: Path, names: set[str]) -> None:
    assert {p.stem for p in folder.glob("*.png")} == names
    assert {p.stem for p in folder.glob("*.svg")} == names
    for name in names:
        png = folder / f"{name}.png"
        assert png.read_bytes()[:8] == PNG_MAGIC
        pixels = mpimg.imread(png)
        assert pixels.shape[0] > 200 and pixels.shape[1] > 300
        assert pixels.std() > 0.01  # not a blank canvas
        root = ElementTree.parse(folder / f"{name}.svg").getroot()
        assert root.tag.endswith("svg")


def test_a_summary_only_run_folder_plots_without_its_case_figures(tmp_path: Path, capsys) -> None:
    """A run kept without its case table has no loads for the network figure: the figures
    its tables hold are drawn, the network is left out, no error (was a traceback)."""
    out = tmp_path / "run"
    args = ["run", str(BASELINE), "--days", "3", "--out", str(out), "--quiet"]
    assert main([*args, "--set", "output.cases_table=false"]) == 0
    assert main(["plot", str(out), "--quiet"]) == 0
    drawn = {p.stem for p in (out / "figures").glob("*.png")}
    assert "network" not in drawn and {"equity", "equity_map", "league"} <= drawn


@pytest.mark.slow
def test_plot_cli_writes_every_run_figure(run_dir: Path, capsys) -> None:
    assert main(["plot", str(run_dir)]) == 0
    assert "wrote 11 figures" in capsys.readouterr().out  # with reported-against-true (problems)
    assert_valid_figure_files(run_dir / "figures", RUN_FIGURES)


@pytest.mark.slow
def test_plot_cli_writes_every_experiment_figure(experiment_dir: Path) -> None:
    assert main(["plot", str(experiment_dir), "--quiet", "--workers", "1"]) == 0
    expected = (
        (RUN_FIGURES - RUN_ONLY)
        | {"paired", "sweep_staffing.street_staff"}
        | {f"network_{v}" for v in VARIANTS}
    )
    assert_valid_figure_files(experiment_dir / "figures", expected)
    # The replayed runs are cached for the next plot or report.
    key = json.loads((experiment_dir / "replay" / "key.json").read_text())
    assert len(key["runs"]) == 3 * 3  # sample 0: variants x replications


def test_without_replay_an_experiment_gets_what_its_tables_hold(experiment_dir: Path) -> None:
    specs = figure_specs(inputs_for(govsim.load(experiment_dir), replay=False))
    assert {spec.name for spec in specs} == {
        "backlog",
        "flows",
        "paired",
        "sweep_staffing.street_staff",
    }


def test_sensitivity_figure_ranks_the_parameters(sensitivity_dir: Path, tmp_path: Path) -> None:
    data = govsim.load(sensitivity_dir)
    specs = {spec.name: spec for spec in figure_specs(inputs_for(data, replay=False))}
    assert {"sensitivity", "sweep_staffing.street_staff", "sweep_handling.street.mean"} <= set(
        specs
    )
    assert specs["sensitivity"].build().axes
    ax = gp.plot_sensitivity(data.sensitivity, "backlog_mean")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    mu = data.sensitivity.query("metric == 'backlog_mean' and index == 'mu_star'").set_index(
        "parameter"
    )["value"]
    assert labels == list(mu.sort_values(ascending=False).index)  # most influential on top
    assert "mu*" in ax.get_xlabel() and ax.get_legend() is not None


def test_replay_reproduces_the_stored_runs(sensitivity_dir: Path, tmp_path: Path) -> None:
    """A replayed run matches results.parquet; a changed result is reported, not hidden."""
    data = govsim.load(sensitivity_dir)
    replayed = replay(data, workers=1, progress=False, cache=False)
    assert replayed is not None and replayed.mismatches == 0
    assert set(replayed.kpis["replication"]) == {0, 1} and set(replayed.kpis["sample"]) == {0}
    assert (replayed.closed["created"] >= 0).all() and (replayed.closed["hours"] >= 0).all()
    copy = tmp_path / "copy"
    shutil.copytree(sensitivity_dir, copy)
    results = pd.read_parquet(copy / "results.parquet")
    results.loc[0, "value"] += 1.0  # as if the model had changed since the experiment ran
    results.to_parquet(copy / "results.parquet", index=False)
    with pytest.warns(UserWarning, match="1 replayed runs differ"):
        assert replay(govsim.load(copy), workers=1, progress=False, cache=False).mismatches == 1


# Every figure: titles, labels, legends, nothing clipped


def _figures(data) -> dict[str, Figure]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no font, layout or tick warnings either
        inputs = inputs_for(data, progress=False, workers=1)
        return {spec.name: spec.build() for spec in figure_specs(inputs)}


@pytest.mark.slow
@pytest.mark.parametrize("which", ["run", "experiment"])
def test_every_figure_is_labelled_and_fits(which: str, run_dir: Path, experiment_dir: Path) -> None:
    data = govsim.load(run_dir if which == "run" else experiment_dir)
    figures = _figures(data)
    for name, fig in figures.items():
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        box = fig.bbox
        plots = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
        assert plots, name
        rows: dict[float, list[str]] = {}
        for ax in plots:
            assert ax.get_title(), f"{name}: untitled panel"
            assert ax.get_xlabel(), f"{name}: {ax.get_title()} lacks an x label"
            rows.setdefault(round(ax.get_position().y0, 2), []).append(ax.get_ylabel())
            drawn = ax.get_tightbbox(
                renderer
            )  # everything drawn for the panel: labels, ticks, legend
            assert box.x0 - 1 <= drawn.x0 and drawn.x1 <= box.x1 + 1, (
                f"{name}: {ax.get_title()} clipped"
            )
            assert box.y0 - 1 <= drawn.y0 and drawn.y1 <= box.y1 + 1, (
                f"{name}: {ax.get_title()} clipped"
            )
        for text in [*fig.legends, *([fig._suptitle] if fig._suptitle else [])]:
            extent = text.get_window_extent(renderer)
            assert box.x0 - 1 <= extent.x0 and extent.x1 <= box.x1 + 1, (
                f"{name}: legend or title clipped"
            )
            assert box.y0 - 1 <= extent.y0 and extent.y1 <= box.y1 + 1, (
                f"{name}: legend or title clipped"
            )
        assert all(any(labels) for labels in rows.values()), (
            f"{name}: a row of panels lacks a y label"
        )
        has_key = (
            fig.legends
            or any(ax.get_legend() for ax in plots)
            or any(ax.get_label() == "<colorbar>" for ax in fig.axes)
        )
        assert has_key, f"{name}: no legend or colour bar"


# Figure families: what they show


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_backlog_band_contains_its_mean(experiment_dir: Path) -> None:
    data = govsim.load(experiment_dir)
    series = data.timeseries[data.timeseries["sample"] == 0]
    ax = gp.plot_backlog(series, "street", variants=data.variant_names, warmup_days=1)
    assert ax.get_title() == "Backlog: streets / townships"
    assert ax.get_xlabel() == "time (days)" and ax.get_ylabel() == "open cases"
    assert legend_texts(ax)[:3] == VARIANTS
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 3  # one band per variant (3 replications each)
    tidy = tidy_timeseries(series)
    stats = band(tidy[(tidy["tier"] == "street") & (tidy["metric"] == "open")], ["variant", "time"])
    assert (stats["n"] == 3).all()
    assert (stats["low"] <= stats["mean"] + 1e-9).all() and (
        stats["mean"] <= stats["high"] + 1e-9
    ).all()
    for line, variant in zip(ax.get_lines(), VARIANTS, strict=True):
        expected = stats[stats["variant"] == variant].sort_values("time")
        np.testing.assert_allclose(line.get_ydata(), expected["mean"])
        np.testing.assert_allclose(line.get_xdata(), expected["time"] / 24)


def test_single_run_draws_a_line_without_band(run_dir: Path) -> None:
    data = govsim.load(run_dir)
    ax = gp.plot_backlog(data.timeseries.assign(variant="baseline"), "city")
    assert legend_texts(ax) == ["baseline"]
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]
    city = data.timeseries[data.timeseries["tier"].astype(str) == "city"]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), city["open"])


def test_daily_flows_sum_the_interval_counts(run_dir: Path) -> None:
    data = govsim.load(run_dir)
    ax = gp.plot_daily_flow(data.timeseries, "arrived")
    assert ax.get_ylabel() == "cases per day" and "day" in ax.get_xlabel()
    per_day = ax.get_lines()[0].get_ydata()
    assert len(per_day) == 35
    assert per_day.sum() == pytest.approx(data.summary["created"])


def test_rates_per_month_match_the_kpis(run_dir: Path) -> None:
    data = govsim.load(run_dir)
    ax = gp.plot_rate(data.kpis, "satisfaction_rate")
    # 4 March to 7 April: neither month is whole, so both are drawn, labelled with their days
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2024-03 (28 d)", "2024-04 (7 d)"]
    assert ax.get_ylabel() == "satisfaction rate (%)"
    city = data.kpis[data.kpis["unit_type"] == "city"].sort_values("month")
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), 100 * city["satisfaction_rate"])
    low, high = ax.get_ylim()
    assert high - low >= 5  # a tenth of a point must not look like a cliff


def test_experiment_rates_have_bands_per_variant(experiment_inputs) -> None:
    inputs = experiment_inputs
    ax = gp.plot_rate(inputs.kpis, "response_rate", variants=inputs.variants)
    assert legend_texts(ax) == VARIANTS
    for container in ax.containers:  # errorbar containers: the interval around each mean
        mean = container.lines[0].get_ydata()
        for segment, y in zip(container.lines[2][0].get_segments(), mean, strict=True):
            assert segment[:, 1].min() <= y <= segment[:, 1].max()


def test_time_to_close_marks_the_scenarios_limits(run_dir: Path) -> None:
    data = govsim.load(run_dir)
    limits = {name: u.limit_hours for name, u in data.scenario.urgency_classes.items()}
    for urgency, limit in limits.items():
        ax = gp.plot_time_to_close(data.cases.assign(variant="baseline"), urgency, limit)
        vertical = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
        assert [ln.get_xdata()[0] for ln in vertical] == [limit]
        texts = legend_texts(ax)
        assert texts[-1] == f"limit {limit:g} h" and texts[0].startswith("baseline:")
        work = data.cases[
            (data.cases["status"] == "closed")
            & (data.cases["urgency"] == urgency)
            & (data.cases["final_tier"].astype(str) != "hotline")
        ]
        within = ((work["closed"] - work["created"]) <= limit).mean()
        assert f"{100 * within:.1f}% within limit" in texts[0]
        assert ax.get_xscale() == "log" and "hours" in ax.get_xlabel()


def test_tier_shares_match_the_summary(run_dir: Path) -> None:
    data = govsim.load(run_dir)
    ax = gp.plot_tier_shares(data.cases.assign(variant="baseline"))
    heights = [bar.get_height() for bar in ax.patches]
    expected = [100 * data.summary["share_closed_by_tier"][t] for t in style.CLOSING_TIERS]
    np.testing.assert_allclose(heights, expected, atol=1e-3)
    assert sum(heights) == pytest.approx(100)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(style.CLOSING_TIERS)


def test_league_ranks_streets_best_first(run_dir: Path, experiment_inputs) -> None:
    data = govsim.load(run_dir)
    matrix = league_matrix(data.kpis)
    assert list(matrix.columns) == ["2024-03 (28 d)", "2024-04 (7 d)", "whole run"]
    assert matrix["whole run"].is_monotonic_decreasing and len(matrix) == 6
    ax = gp.plot_league(data.kpis)
    assert [t.get_text() for t in ax.get_yticklabels()][0] == f"1. {matrix.index[0]}"
    colorbar = [a for a in ax.figure.axes if a.get_label() == "<colorbar>"]
    assert colorbar and "composite" in colorbar[0].get_ylabel()
    assert matrix.to_numpy().min() >= 0 and matrix.to_numpy().max() <= 100
    inputs = experiment_inputs
    assert list(league_matrix(inputs.kpis, inputs.variants).columns) == VARIANTS


def test_forest_plot_shows_each_paired_difference(experiment_dir: Path) -> None:
    data = govsim.load(experiment_dir)
    ax = gp.plot_paired(data.paired, "satisfaction_rate", variants=data.variant_names)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["whistle_blowing", "all_combined"]
    assert "percentage points" in ax.get_xlabel() and "baseline" in ax.get_xlabel()
    rows = data.paired.query("metric == 'satisfaction_rate' and sample == 0").set_index("variant")
    points = [c.lines[0].get_xdata()[0] for c in ax.containers]
    np.testing.assert_allclose(
        points, 100 * rows.loc[["whistle_blowing", "all_combined"], "mean_diff"]
    )
    for container, variant in zip(ax.containers, ["whistle_blowing", "all_combined"], strict=True):
        segment = container.lines[2][0].get_segments()[0]
        assert segment[:, 0].min() == pytest.approx(100 * rows.loc[variant, "ci_low"])
        assert segment[:, 0].max() == pytest.approx(100 * rows.loc[variant, "ci_high"])
    assert any(list(ln.get_xdata()) == [0, 0] for ln in ax.get_lines())  # the no-difference line


def test_network_colours_nodes_and_draws_whistles(experiment_inputs) -> None:
    inputs = experiment_inputs
    baseline = inputs.graphs["baseline"]
    whistle = inputs.graphs["whistle_blowing"]
    kinds = lambda g: {k for _, _, k in g.edges(data="kind")}  # noqa: E731
    assert "whistles" not in kinds(baseline) and "whistles" in kinds(whistle)
    ax = gp.plot_network(whistle, inputs.loads, variant="whistle_blowing")
    texts = legend_texts(ax)
    assert {"hotline", "district", "street", "grid", "department"} <= set(texts)
    assert "whistles (calls a department)" in texts
    bar = [a for a in ax.figure.axes if a.get_label() == "<colorbar>"]
    assert bar and "cases closed per day" in bar[0].get_ylabel()
    loads = inputs.loads.query("variant == 'whistle_blowing'")
    assert loads.groupby("replication")["per_day"].sum().gt(0).all()
    # The static policies shape the drawn network: all_combined dispatches straight to streets.
    direct = {
        (u, v)
        for u, v, k in inputs.graphs["all_combined"].edges(data="kind")
        if k == "dispatches_to"
    }
    assert ("hotline:12345 hotline", "street:D01-S001") in direct


def test_sweep_plots_outcome_against_parameter(experiment_dir: Path) -> None:
    data = govsim.load(experiment_dir)
    ax = gp.plot_sweep(
        data.sweep, "backlog_mean", "staffing.street_staff", variants=data.variant_names
    )
    assert legend_texts(ax) == VARIANTS
    assert ax.get_xlabel().startswith("staffing.street_staff\n")
    assert ax.get_ylabel() == "mean backlog (open cases)"
    means = data.sweep.query("metric == 'backlog_mean' and variant == 'baseline'").sort_values(
        "staffing.street_staff"
    )["mean"]
    np.testing.assert_allclose(ax.containers[0].lines[0].get_ydata(), means)


def test_plot_functions_accept_an_axes(run_dir: Path) -> None:
    data = govsim.load(run_dir)
    fig = Figure(layout="constrained")
    axes = fig.subplots(1, 2)
    assert gp.plot_backlog(data.timeseries, "grid", ax=axes[0]) is axes[0]
    assert gp.plot_rate(data.kpis, "response_rate", ax=axes[1]) is axes[1]


def test_chinese_names_get_a_font_or_a_warning(monkeypatch) -> None:
    assert style.ensure_glyphs(["D01-S001", "baseline"])
    monkeypatch.setattr(style, "cjk_font", lambda: None)
    with pytest.warns(UserWarning, match="no CJK font"):
        assert not style.ensure_glyphs(["海淀"])
    monkeypatch.setattr(style, "cjk_font", lambda: "Noto Sans CJK SC")
    monkeypatch.setitem(matplotlib.rcParams, "font.family", ["sans-serif"])
    assert style.ensure_glyphs(["海淀"])
    assert matplotlib.rcParams["font.family"][-1] == "Noto Sans CJK SC"


def test_policy_graph_applies_static_policies() -> None:
    scenario = govsim.load_scenario(BASELINE, ['policies=[{"type": "whistle_blowing"}]'])
    kinds = {k for _, _, k in policy_graph(scenario).edges(data="kind")}
    assert "whistles" in kinds


def test_tidy_timeseries_reads_both_layouts(run_dir: Path, experiment_dir: Path) -> None:
    wide = govsim.load(run_dir).timeseries
    long = govsim.load(experiment_dir).timeseries
    for frame in (tidy_timeseries(wide, "baseline"), tidy_timeseries(long)):
        assert list(frame.columns) == [
            "variant",
            "sample",
            "replication",
            "time",
            "tier",
            "metric",
            "value",
        ]
        assert frame["value"].dtype == float
    assert set(tidy_timeseries(wide, "baseline")["variant"]) == {"baseline"}
    assert isinstance(long, pd.DataFrame) and set(tidy_timeseries(long)["variant"]) == set(VARIANTS)


def test_every_outcome_has_a_label_and_a_unit() -> None:
    from govsim.experiments.outcomes import OUTCOMES

    missing = sorted(set(OUTCOMES) - set(style.METRICS))
    assert not missing, f"add a MetricStyle to govsim/results/units.py METRICS for {missing}"
