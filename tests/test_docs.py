"""The scenario reference is generated from the schema and must not drift from it."""

from pathlib import Path

from govsim.scenario.reference import scenario_reference

ROOT = Path(__file__).resolve().parent.parent


def test_scenario_reference_is_up_to_date():
    written = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert written == scenario_reference(), "run `govsim docs` and commit docs/scenarios.md"
