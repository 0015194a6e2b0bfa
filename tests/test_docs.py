"""The reference pages are generated from the code and must not drift from it.

Each page is regenerated in memory and compared with the file in docs/; `govsim docs`
writes them all (govsim/reference_docs.py).
"""

from pathlib import Path

from govsim import cli
from govsim.reference_docs import (
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
    assert written == cli_reference(), "run `govsim docs` and commit docs/cli.md"


def test_api_reference_is_up_to_date():
    written = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert written == api_reference(), "run `govsim docs` and commit docs/api.md"


def test_govsim_docs_writes_every_reference_page(tmp_path, capsys):
    assert cli.main(["docs", "--dir", str(tmp_path)]) == cli.EXIT_OK
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(pages())
    for name, make in pages().items():
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
    text = cli_reference()
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
