"""How long a big scenario file takes to load: an explicit city of many grids.

The test suite bounds the work of loading such a file (read once, parsed once, each node
composed once, validated once, bounded memory: tests/test_hardening.py); this script
gives the seconds. Each measurement runs ``govsim.load_scenario`` in a fresh process on a
file of ``--grids`` grids (100 to a street, about 44 bytes a grid) and reports the median
wall seconds over the repeats and the peak resident memory.

Figures on the development machine (two cores at a load of about 3.5; 10,000 grids,
0.42 MB; median of 3): 2.44 s before the city's unique names were counted in one pass (a
count per name: 10^8 comparisons, 60% of the time), 1.05 s after; peak RSS 147 MB.

Usage: ``python benchmarks/bench_yaml_load.py [--grids 10000] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml


def city(grids: int) -> dict:
    units = [{"name": f"g{i}", "population": 100} for i in range(grids)]
    streets = [
        {"name": f"s{j}", "grids": units[j * 100 : (j + 1) * 100]} for j in range(grids // 100)
    ]
    return {
        "name": "big",
        "categories": [{"name": "a", "rate": 1}],
        "city": {"districts": [{"name": "d", "streets": streets}]},
    }


def child(path: str) -> None:
    import resource

    import govsim

    started = time.perf_counter()
    govsim.load_scenario(path)
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_peak_mb": rss}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.yaml"
        path.write_text(yaml.safe_dump(city(args.grids)), encoding="utf-8")
        figures = [
            json.loads(
                subprocess.run(
                    [sys.executable, __file__, "--child", str(path)],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            for _ in range(args.repeats)
        ]
        size = path.stat().st_size / 2**20
    seconds = statistics.median(f["seconds"] for f in figures)
    rss = max(f["rss_peak_mb"] for f in figures)
    print(
        f"{args.grids:,} grids ({size:.2f} MB): load {seconds:.2f} s (median of "
        f"{args.repeats}), peak RSS {rss:.0f} MB"
    )


if __name__ == "__main__":
    main()
