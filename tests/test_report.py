"""``govsim report DIR``: one self-contained HTML page, checked as text and in headless Chromium.

The browser test needs Debian's ``chromium`` (installed by ``.ci/run``). Without it the
test is skipped, unless ``GOVSIM_REQUIRE_BROWSER=1`` (set by CI), where it fails.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image as mpimg
import pytest
import yaml
from conftest import BASELINE

from govsim.app.cli import main

# Each report needs a run or an experiment first (15 s together): the full suite's lane.
pytestmark = pytest.mark.slow

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
IMG = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')

CHECK_SCRIPT = """<script>
window.addEventListener("load", function () {
  var images = Array.from(document.images);
  var out = document.createElement("div");
  out.id = "govsim-check";
  out.setAttribute("data-total", images.length);
  out.setAttribute("data-loaded", images.filter(function (i) {
    return i.complete && i.naturalWidth > 0;
  }).length);
  out.setAttribute("data-sizes", images.map(function (i) {
    return i.naturalWidth + "x" + i.naturalHeight;
  }).join(","));
  out.setAttribute("data-title", document.querySelector("h1").textContent);
  out.setAttribute("data-tables", document.querySelectorAll("table").length);
  document.body.appendChild(out);
});
</script>"""


@pytest.fixture(scope="module")
def run_report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "run"
    assert main(["run", str(BASELINE), "--days", "10", "--out", str(out), "--quiet"]) == 0
    assert main(["report", str(out), "--quiet"]) == 0
    return out / "report.html"


@pytest.fixture(scope="module")
def experiment_report(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report_exp")
    spec = {
        "name": "tiny_report",
        "scenario": str(BASELINE),
        "seed": 3,
        "replications": 2,
        "days": 5,
        "variants": {
            "baseline": {"description": "as is"},
            "whistle_blowing": {
                "description": "streets whistle",
                "policies": [{"type": "whistle_blowing"}],
            },
        },
        "outcomes": ["backlog_mean", "satisfaction_rate"],
    }
    (folder / "exp.yaml").write_text(yaml.safe_dump(spec))
    assert (
        main(
            [
                "experiment",
                "run",
                str(folder / "exp.yaml"),
                "--out",
                str(folder / "out"),
                "--workers",
                "1",
                "--quiet",
            ]
        )
        == 0
    )
    target = folder / "page.html"
    assert (
        main(["report", str(folder / "out"), "--out", str(target), "--workers", "1", "--quiet"])
        == 0
    )
    return target


def embedded_images(page: str) -> list[bytes]:
    return [base64.b64decode(data) for data in IMG.findall(page)]


def test_run_report_is_self_contained(run_report: Path) -> None:
    page = run_report.read_text(encoding="utf-8")
    figures = sorted((run_report.parent / "figures").glob("*.png"))
    images = embedded_images(page)
    # with reported-against-true (problems), equity, bunching
    assert len(images) == len(figures) == 11
    assert all(image[:8] == b"\x89PNG\r\n\x1a\n" for image in images)
    assert sorted(images) == sorted(p.read_bytes() for p in figures)
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing fetched from elsewhere
    assert "<h1>govsim run: baseline</h1>" in page
    for section in ("Scenario", "Summary", "Figures"):
        assert f'<h2 id="{section.lower()}">{section}</h2>' in page
    created = yaml.safe_load((run_report.parent / "summary.json").read_text())["created"]
    assert f"<td>{created}</td>" in page
    assert "Fully resolved scenario (scenario.yaml)" in page


def test_experiment_report_has_summary_and_paired_tables(experiment_report: Path) -> None:
    page = experiment_report.read_text(encoding="utf-8")
    assert "<h1>govsim experiment: tiny_report</h1>" in page
    assert "Paired differences" in page and "streets whistle" in page
    assert re.search(r"satisfaction rate \(pp\)</td>", page)
    names = {m for m in re.findall(r'<figure id="fig-([\w.-]+)">', page)}
    assert {"backlog", "paired", "rates", "network_baseline", "network_whistle_blowing"} <= names
    assert len(embedded_images(page)) == len(names)


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def open_in_browser(page: Path, tmp_path: Path) -> dict[str, str]:
    """Load ``page`` (plus a checking script) in headless Chromium; return what the script saw."""
    browser = find_browser()
    if browser is None:
        if os.environ.get("GOVSIM_REQUIRE_BROWSER") == "1":
            pytest.fail(
                "GOVSIM_REQUIRE_BROWSER=1 but no chromium binary on PATH (apt-get install chromium)"
            )
        pytest.skip(
            "no chromium binary on PATH (Debian: apt-get install chromium); "
            "set GOVSIM_REQUIRE_BROWSER=1 to fail instead"
        )
    checked = tmp_path / "checked.html"
    checked.write_text(
        page.read_text(encoding="utf-8").replace("</body>", CHECK_SCRIPT + "</body>"),
        encoding="utf-8",
    )
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=20000",
        "--dump-dom",
        checked.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    match = re.search(r'<div id="govsim-check"([^>]*)>', done.stdout)
    assert match, f"the page did not finish loading (exit {done.returncode}): {done.stderr[-2000:]}"
    return dict(re.findall(r'data-([\w-]+)="([^"]*)"', match.group(1)))


@pytest.mark.parametrize("which", ["run", "experiment"])
def test_report_renders_in_headless_chromium(
    which: str, run_report: Path, experiment_report: Path, tmp_path: Path
) -> None:
    page = run_report if which == "run" else experiment_report
    seen = open_in_browser(page, tmp_path)
    expected = len(embedded_images(page.read_text(encoding="utf-8")))
    assert int(seen["total"]) == expected > 0
    assert int(seen["loaded"]) == expected  # every image decoded
    assert seen["title"].startswith("govsim ")
    assert int(seen["tables"]) >= 2
    if which == "run":  # the browser decoded each figure at its own size
        sizes = sorted(
            f"{w}x{h}"
            for w, h in (
                (mpimg.imread(p).shape[1], mpimg.imread(p).shape[0])
                for p in (page.parent / "figures").glob("*.png")
            )
        )
        assert sorted(seen["sizes"].split(",")) == sizes
