"""The reference pages are generated from the code and must not drift from it.

Each page is regenerated in memory and compared with the file in docs/; `govsim docs`
writes them all (govsim/app/reference_pages.py).
"""

import re
from pathlib import Path

import pytest

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
