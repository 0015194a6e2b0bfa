"""The reference pages are generated from the code and must not drift from it.

Each page is regenerated in memory and compared with the file in docs/; `govsim docs`
writes them all (govsim/app/reference_pages.py).
"""

import importlib
import json
import re
import runpy
import sys
from pathlib import Path

import pytest

import govsim
from govsim.app import cli
from govsim.app.reference_pages import (
    api_reference,
    cli_reference,
    exit_codes,
    experiment_reference,
    pages,
)
from govsim.scenario.reference import scenario_reference

ROOT = Path(__file__).resolve().parent.parent


def test_scenario_reference_is_up_to_date():
    written = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert written == scenario_reference(), "run `govsim docs` and commit docs/scenarios.md"


def test_experiment_reference_is_up_to_date():
    written = (ROOT / "docs" / "experiments-schema.md").read_text(encoding="utf-8")
    assert written == experiment_reference(), (
        "run `govsim docs` and commit docs/experiments-schema.md"
    )


def test_cli_reference_is_up_to_date():
    written = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert written == cli_reference(cli._parser()), "run `govsim docs` and commit docs/cli.md"


def test_api_reference_is_up_to_date():
    written = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert written == api_reference(), "run `govsim docs` and commit docs/api.md"


def test_govsim_docs_writes_every_reference_page(tmp_path, capsys):
    assert cli.main(["docs", "--dir", str(tmp_path)]) == cli.EXIT_OK
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(pages(cli._parser()))
    for name, make in pages(cli._parser()).items():
        assert (tmp_path / name).read_text(encoding="utf-8") == make()
    assert "wrote" in capsys.readouterr().out


def test_govsim_docs_out_writes_the_scenario_reference_only(tmp_path):
    target = tmp_path / "scenarios.md"
    assert cli.main(["docs", "--out", str(target)]) == cli.EXIT_OK
    assert [p.name for p in tmp_path.iterdir()] == ["scenarios.md"]
    assert target.read_text(encoding="utf-8") == scenario_reference()
    missing = tmp_path / "no" / "such.md"
    assert cli.main(["docs", "--out", str(missing)]) == cli.EXIT_INPUT


def test_cli_reference_names_every_command_and_exit_code():
    text = cli_reference(cli._parser())
    for command in ("govsim run", "govsim experiment run", "govsim log validate", "govsim docs"):
        assert f"\n## {command}\n" in text
    codes = {code for code, _ in exit_codes()}
    assert codes == {
        cli.EXIT_OK,
        cli.EXIT_LEDGER,
        cli.EXIT_INPUT,
        cli.EXIT_RUNS_FAILED,
        cli.EXIT_INTERRUPTED,
    }


def test_api_reference_documents_every_public_name():
    import govsim

    text = api_reference()
    for name in govsim.__all__:
        assert f"### `govsim.{name}`" in text


PAGES = sorted(
    [*(ROOT / "docs").rglob("*.md"), ROOT / "README.md", ROOT / "CHANGELOG.md"],
    key=str,
)


def _anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the headings of ``page`` (duplicates numbered)."""
    seen: dict[str, int] = {}
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    for heading in re.findall(r"^#+ (.+)$", text, flags=re.M):
        anchor = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        seen[anchor] = seen.get(anchor, -1) + 1
        if seen[anchor]:
            seen[f"{anchor}-{seen[anchor]}"] = 0
    return set(seen)


def _links(page: Path) -> list[str]:
    text = re.sub(r"^\s*```.*?^\s*```", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    return [t for t in re.findall(r"\]\(([^)\s]+)\)", text) if not re.match(r"[a-z]+:", t)]


def test_every_page_is_in_the_index():
    index = ROOT / "docs" / "index.md"
    linked = {(index.parent / t.split("#")[0]).resolve() for t in _links(index)}
    missing = [
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "docs").rglob("*.md")
        if p != index and p.resolve() not in linked
    ]
    assert not missing, f"link these pages from docs/index.md under their kind: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_links_point_to_pages_and_headings_that_exist(page: Path):
    broken = []
    for target in _links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        missing_anchor = file.exists() and file.suffix == ".md" and anchor != ""
        if not file.exists() or (missing_anchor and anchor not in _anchors(file)):
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)}: broken links {broken}"


# docs/howto/add-a-mechanism.md: its excerpts are the code they quote, the paths and names it
# mentions exist, and its mechanism of one's own runs as shown.
MECHANISM_HOWTO = ROOT / "docs" / "howto" / "add-a-mechanism.md"
PENDING_PATHS = {"govsim/mechanisms/problems/tallies.py"}
"""Named before they exist: ``ProblemTallies`` is moving there (issue 24)."""


def _python_blocks(page: Path) -> list[tuple[str, str]]:
    """(first line, the rest) of each ```python block of ``page`` (its first line is a
    comment naming the file)."""
    text = page.read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.M | re.S)
    return [(code.partition("\n")[0], code.partition("\n")[2]) for code in blocks]


def _resolves(dotted: str) -> bool:
    """Whether ``govsim.x.y`` is a module, or a name of the longest module it starts with."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:n]))
        except ModuleNotFoundError:
            continue
        for name in parts[n:]:
            if not hasattr(target, name):
                return False
            target = getattr(target, name)
        return True
    return False


@pytest.mark.slow  # imports every module it names
def test_the_mechanism_howto_names_paths_and_names_that_exist():
    text = MECHANISM_HOWTO.read_text(encoding="utf-8")
    paths = set(re.findall(r"(?<![\w/.])((?:govsim|tests|benchmarks|scenarios)/[\w./-]*\w)", text))
    assert "govsim/engine/mechanism.py" in paths and "tests/test_mechanisms.py" in paths
    missing = sorted(
        p for p in paths - PENDING_PATHS if "NAME" not in p and not (ROOT / p).exists()
    )
    assert not missing, f"add-a-mechanism.md names paths that do not exist: {missing}"
    tests = re.findall(r"(tests/\w+\.py)::(\w+)", text)
    assert tests
    gone = [
        f"{f}::{t}" for f, t in tests if f"def {t}(" not in (ROOT / f).read_text(encoding="utf-8")
    ]
    assert not gone, f"add-a-mechanism.md names tests that do not exist: {gone}"
    names = set(re.findall(r"\bgovsim(?:\.\w+)+", text))
    assert "govsim.engine.mechanism.set_hook" in names
    unknown = sorted(n for n in names if not _resolves(n))
    assert not unknown, f"add-a-mechanism.md names what govsim does not have: {unknown}"


def test_the_mechanism_howto_quotes_the_code_as_it_is():
    """Each block that starts with ``# govsim/...`` is that file's code (``# ...``: lines
    left out), line for line, indentation aside."""
    excerpts = [
        (first[2:], code)
        for first, code in _python_blocks(MECHANISM_HOWTO)
        if first.startswith("# govsim/")
    ]
    assert len(excerpts) >= 8
    stale = []
    for path, code in excerpts:
        source = [line.strip() for line in (ROOT / path).read_text(encoding="utf-8").splitlines()]
        joined = "\n".join(source)
        for part in re.split(r"^\s*# \.\.\.\n", code, flags=re.M):
            lines = "\n".join(line.strip() for line in part.strip("\n").splitlines())
            if f"\n{lines}\n" not in f"\n{joined}\n":
                stale.append(f"{path}: {part.strip().splitlines()[0]}")
    assert not stale, f"add-a-mechanism.md quotes code that changed: {stale}"


@pytest.mark.slow
def test_the_mechanism_howto_example_runs_as_shown(tmp_path, monkeypatch, capsys):
    files = {
        first[2:]: code
        for first, code in _python_blocks(MECHANISM_HOWTO)
        if re.fullmatch(r"# \w+\.py", first)
    }
    assert sorted(files) == ["closed_by_hour.py", "count_closed.py"]
    for name, code in files.items():
        (tmp_path / name).write_text(code, encoding="utf-8")
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        ran = runpy.run_path(str(tmp_path / "count_closed.py"), run_name="__main__")
    finally:
        sys.modules.pop("closed_by_hour", None)
    printed = capsys.readouterr().out.splitlines()
    text = MECHANISM_HOWTO.read_text(encoding="utf-8")
    shown = text.split("$ python count_closed.py\n", 1)[1].splitlines()
    assert printed[1] == shown[1]  # the folder's files, the mechanism's table among them
    result = ran["result"]
    block = json.loads((tmp_path / "results" / "closed_by_hour" / "summary.json").read_text())
    assert block["closed_by_hour"] == result.summary["closed_by_hour"]
    assert block["closed_by_hour"]["closed"] == result.summary["closed"] > 0
    loaded = govsim.load(ran["folder"]).tables["closed_by_hour"]
    assert loaded["closed"].sum() == result.summary["closed"]
