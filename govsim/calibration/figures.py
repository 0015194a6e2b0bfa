"""The figures of docs/calibration.md (PNG, each written atomically)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from govsim.calibration.facts import GovernanceFact, HeatingFact, RankingFact
from govsim.calibration.measure import Measurement
from govsim.calibration.targets import GOVERNANCE_STREET, JAN_2019, OCT_2019, RATES, mix_targets
from govsim.core.intervals import mean_ci
from govsim.core.io import atomic_write


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path, dpi: int) -> Path:
    plt = _pyplot()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format="png"))
    plt.close(fig)
    return path


def overview(runs: Mapping[str, Sequence[Measurement]], plan: Sequence[int], path: Path) -> Path:
    """Category mix, intraday profile and shift plan, daily contacts, the three rates."""
    plt = _pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    beijing = runs["beijing"]

    ax = axes[0, 0]
    mix = mix_targets("beijing")
    groups = list(mix)
    contacts = [run.total("contacts") for run in beijing]
    sims = np.array(
        [
            [run.group_counts()[g] / c for g in groups]
            for run, c in zip(beijing, contacts, strict=True)
        ]
    )
    y = np.arange(len(groups))
    ax.barh(y - 0.2, [mix[g] * 100 for g in groups], 0.4, label="published 2020 mix", color="C3")
    ax.barh(y + 0.2, sims.mean(axis=0) * 100, 0.4, label="simulated 2024", color="C0")
    ax.set_yticks(y, groups, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("% of contacts")
    ax.legend(fontsize=8)
    ax.set_title("category mix (Beijing 2024)")

    ax = axes[0, 1]
    hourly = np.mean([run.hourly for run in beijing], axis=0) / beijing[0].scale / beijing[0].days
    ax.bar(
        range(24),
        hourly,
        width=1.0,
        align="edge",
        color="C0",
        alpha=0.7,
        edgecolor="white",
        label="contacts per hour (simulated, city scale)",
    )
    ax.axvspan(9, 11, color="C3", alpha=0.1, label="published peaks 9-11 h, 14-16 h")
    ax.axvspan(14, 16, color="C3", alpha=0.1)
    ax2 = ax.twinx()
    ax2.step(
        range(25),
        [*plan, plan[-1]],
        where="post",
        color="k",
        label="operators on duty (fitted plan)",
    )
    ax2.axhline(750, color="k", ls=":", lw=0.8)
    ax2.text(19, 760, "750 seats", fontsize=7)
    ax2.set_ylim(0, 800)
    ax.set_xlabel("hour of day")
    ax.set_title("intraday profile and shift plan (Beijing 2024)")
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], fontsize=7, loc="upper left")

    ax = axes[1, 0]
    for name, colour in (("beijing", "C0"), ("beijing-2019", "C1")):
        run = runs[name][0]
        daily = run.daily.sum(axis=1) / run.scale
        dates = pd.DatetimeIndex(run.daily.index)
        on_2024 = [d.replace(year=2024) if not (d.month == 2 and d.day == 29) else d for d in dates]
        ax.plot(
            pd.to_datetime(on_2024),
            daily.to_numpy(),
            color=colour,
            lw=0.7,
            label=f"{name} (one simulated year, city scale)",
        )
    ax.set_ylabel("contacts a day")
    ax.set_title("daily contacts: weekdays above weekends (2019 drawn on 2024's calendar)")
    ax.legend(fontsize=8)

    ax = axes[1, 1]
    labels, pub, sim_m, sim_lo, sim_hi = [], [], [], [], []
    for name in ("beijing", "beijing-2019"):
        for rate, target in RATES[name].items():
            est = mean_ci([run.work_orders.rate(rate) for run in runs[name]])
            labels.append(f"{name[-4:] if name != 'beijing' else '2024'} {rate}")
            pub.append(target.value * 100)
            sim_m.append(est.mean * 100)
            sim_lo.append((est.mean - est.low) * 100)
            sim_hi.append((est.high - est.mean) * 100)
    y = np.arange(len(labels))
    ax.errorbar(sim_m, y, xerr=[sim_lo, sim_hi], fmt="o", color="C0", label="simulated (95% CI)")
    ax.plot(pub, y, "s", color="C3", mfc="none", markersize=10, label="published")
    for yi, p in zip(y, pub, strict=True):
        ax.plot([p - 2, p + 2], [yi, yi], color="C3", alpha=0.4, lw=6)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel("% (bars: ±2 points tolerance)")
    ax.set_title("three rates of work orders")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path, dpi=100)


def ranking(fact: RankingFact, path: Path) -> Path:
    """(a) Monthly rates with and without ranking, January to October 2019."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    months = fact.months
    x = np.arange(len(months))
    for ax, rate in ((axes[0], "resolution"), (axes[1], "satisfaction")):
        for variant, colour in (("no_ranking", "grey"), ("ranking", "C0")):
            cis = [fact.cis[(variant, mo)][rate] for mo in months]
            label = "ranking on" if variant == "ranking" else "no ranking"
            ax.plot(
                x,
                [c.mean for c in cis],
                "-o",
                color=colour,
                label=f"simulated, {label}",
                markersize=4,
            )
            ax.fill_between(x, [c.low for c in cis], [c.high for c in cis], color=colour, alpha=0.2)
        ax.plot(
            [0, len(months) - 1],
            [JAN_2019[rate].value, OCT_2019[rate].value],
            "s",
            color="C3",
            markersize=9,
            label="published (Jan, Oct 2019)",
        )
        ax.set_xticks(x, [mo[5:] for mo in months])
        ax.set_xlabel("month of 2019 (cases created)")
        ax.set_title(f"{rate} rate of work orders")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("rate (95% CI band over replications)")
    axes[0].legend(loc="lower right", fontsize=8)
    fig.suptitle(
        "(a) Ranking on the 2019 scenario: monthly rates from January to October", fontsize=11
    )
    fig.tight_layout()
    return _save(fig, path, dpi=110)


def heating(fact: HeatingFact, path: Path) -> Path:
    """(b) Heating appeals a day with and without proactive work on heating."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 4.2))
    for variant, colour, label in (
        ("no_proactive", "grey", "no proactive work"),
        ("proactive", "C2", "proactive work on heating (monthly topic)"),
    ):
        smooth = pd.Series(fact.daily[variant]).rolling(7, center=True, min_periods=1).mean()
        ax.plot(fact.dates, smooth, color=colour, label=f"{label} (7-day mean, city scale)")
    ax.axvspan(
        pd.Timestamp("2024-11-15"),
        pd.Timestamp("2025-03-15"),
        color="orange",
        alpha=0.08,
        label="heating season 15 Nov - 15 Mar",
    )
    ax.axvline(
        pd.Timestamp("2024-10-31") + pd.Timedelta(days=fact.lag_days),
        color="C2",
        ls=":",
        label="prevention takes effect (topic picked 31 Oct + lag)",
    )
    est = fact.cut
    ax.set_ylabel("heating work orders a day (Beijing)")
    ax.set_title(
        f"(b) Proactive work on heating: season's heating work orders cut by {est.mean:.1%} "
        f"(95% CI {est.low:.1%} - {est.high:.1%}); published 61% (winter 2024, fitted)",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path, dpi=110)


def governance(fact: GovernanceFact, path: Path) -> Path:
    """(c) The listed street's monthly work orders, as an index and per street."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    months = list(fact.months)
    x = np.arange(len(months))
    for variant, colour, label in (
        ("ranking_only", "grey", "ranked, no governance response"),
        ("governance_response", "C1", "governance response (prevention)"),
    ):
        est = fact.index[variant]
        axes[0].plot(x, [e.mean * 100 for e in est], "-o", color=colour, label=label, markersize=4)
        axes[0].fill_between(
            x, [e.low * 100 for e in est], [e.high * 100 for e in est], color=colour, alpha=0.2
        )
        for _, r in fact.streets[variant].iterrows():
            axes[1].plot(x, r[months].to_numpy(float), "-", color=colour, alpha=0.5, lw=1)
    may, october = GOVERNANCE_STREET["2019-05"].value, GOVERNANCE_STREET["2019-10"].value
    axes[0].plot(
        [0, 5],
        [100, 100 * october / may],
        "s",
        color="C3",
        markersize=9,
        label="published street (852 -> 276)",
    )
    axes[0].axhline(50, color="k", lw=0.6, ls="--")
    axes[0].set_ylabel("monthly work orders, May = 100")
    axes[0].set_title("index (95% CI band over listed streets)")
    axes[1].set_ylabel("monthly work orders of the street")
    axes[1].set_title("each listed street (lines), published levels (squares)")
    axes[1].plot([0, 5], [may, october], "s", color="C3", markersize=9)
    for ax in axes:
        ax.set_xticks(x, [mo[5:] for mo in months])
        ax.set_xlabel("month of 2019")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(
        "(c) A street listed in the governance class in May 2019 (ranking from May)", fontsize=11
    )
    fig.tight_layout()
    return _save(fig, path, dpi=110)
