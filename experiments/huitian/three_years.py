"""Huitian's three years (scenarios/huitian.yaml) beside the figures seed 004 publishes.

Runs the scenario over the plan's 1,095 days (seed as given, default the scenario's) and
prints a table that puts the simulated appeals beside the published "70,000+" and says what
each counts. The published figure counts the appeals about the plan's projects that
reached 12345 and two community websites (004), not the area's whole demand: it is a
comparison, and the scenario's rates are never tuned to it. The per-capita ratios say how
far apart the two counts are in kind:

- simulated: the area's contacts per resident-day over the city's contact rate (the sum of
  the categories' ``rate``, per 1,000 residents a day, which the scenario takes from the
  city): above 1 where the area's places, residents and backlog raise its appeals;
- published: 70,000 over 800,000 residents and 1,095 days, over Beijing's 2019-2021 rate
  (31.34 million contacts, January 2019 to November 2021, for 21.9 million residents).

Usage: ``python experiments/huitian/three_years.py [--seed N] [--days D] [--out FILE.json]``
(about half a minute). The JSON is written atomically.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import govsim  # noqa: E402
from govsim.core.io import atomic_write  # noqa: E402
from govsim.network.city import build_city  # noqa: E402

PUBLISHED_APPEALS = 70_000
"""Appeals in the plan's three years, 12345 and two community websites (004): "7万余件"."""
PUBLISHED_RESIDENTS = 800_000
"""Residents of the area (004: over 800,000)."""
CITY_CONTACTS = 31_340_000
"""Beijing's 12345 contacts, January 2019 to November 2021 (press; DOMAIN.md)."""
CITY_DAYS = 1_065
"""Days from 2019-01-01 to 2021-11-30."""
CITY_RESIDENTS = 21_890_000
"""Beijing's residents (2020 census; DOMAIN.md)."""


def compare(seed: int | None, days: float | None) -> dict[str, object]:
    """Run Huitian and return the simulated and published counts side by side."""
    overrides = [] if days is None else [f"days={days}"]
    scenario = govsim.load_scenario(ROOT / "scenarios" / "huitian.yaml", overrides)
    result = govsim.simulate(scenario, seed=seed)
    residents = build_city(scenario).population
    contacts = int(result.summary["created"])
    cases = result.cases
    work_orders = None if cases is None else int(cases["dispatched"].notna().sum())
    by_year = {}  # the plan's years: contacts per 1,000 residents a day
    if cases is not None:
        year = (cases["created"] // (365 * 24)).astype(int)
        for y, n in year.value_counts().sort_index().items():
            days_in_year = min(365.0, scenario.days - 365 * y)
            by_year[f"year {y + 1}"] = n / residents / days_in_year * 1000
    city_rate = sum(c.rate for c in scenario.categories)  # contacts per 1,000 residents a day
    simulated_rate = contacts / residents / scenario.days * 1000
    published_rate = PUBLISHED_APPEALS / PUBLISHED_RESIDENTS / 1095 * 1000
    city_published_rate = CITY_CONTACTS / CITY_RESIDENTS / CITY_DAYS * 1000
    return {
        "seed": result.summary["seed"],
        "days": scenario.days,
        "residents": residents,
        "simulated_contacts": contacts,
        "simulated_work_orders": work_orders,
        "simulated_per_1000_a_day": simulated_rate,
        "city_rate_per_1000_a_day": city_rate,
        "simulated_over_city": simulated_rate / city_rate,
        "simulated_per_1000_a_day_by_year": by_year,
        "published_appeals": PUBLISHED_APPEALS,
        "published_per_1000_a_day": published_rate,
        "city_published_per_1000_a_day": city_published_rate,
        "published_over_city": published_rate / city_published_rate,
    }


def table(row: dict[str, object]) -> str:
    """The comparison as a markdown table."""
    years = ", ".join(
        f"{name} {rate:.3f}" for name, rate in row["simulated_per_1000_a_day_by_year"].items()
    )
    return "\n".join(
        [
            "| | count | per 1,000 residents a day | over the city's |",
            "| --- | ---: | ---: | ---: |",
            f"| simulated contacts, {row['days']:.0f} days (seed {row['seed']}) | "
            f"{row['simulated_contacts']:,} | {row['simulated_per_1000_a_day']:.3f} | "
            f"{row['simulated_over_city']:.2f} (city: {row['city_rate_per_1000_a_day']:.3f}, "
            "the scenario's rates) |",
            f"| published: appeals on the plan's projects, 12345 + two websites (004) | "
            f"{row['published_appeals']:,}+ | {row['published_per_1000_a_day']:.3f} | "
            f"{row['published_over_city']:.3f} (city: "
            f"{row['city_published_per_1000_a_day']:.3f}, 2019-2021 contacts) |",
            "",
            f"Simulated contacts per 1,000 residents a day, by the plan's year: {years}.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None, help="default: the scenario's seed")
    parser.add_argument("--days", type=float, default=None, help="default: 1,095 (the plan)")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    args = parser.parse_args()
    row = compare(args.seed, args.days)
    print(table(row))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(args.out, lambda tmp: Path(tmp).write_text(json.dumps(row, indent=1)))
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
