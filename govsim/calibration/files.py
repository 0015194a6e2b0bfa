"""Where the calibration's inputs and outputs live in a govsim checkout.

The calibrated scenarios are in ``scenarios/``; the calibration's own data (the
stylized-fact experiments, the generated scaled scenarios they run on, and
``fitted.json``, the record of how each fitted value was fitted) in
``experiments/calibration/``. They are files of the project, not of the package, so
every path is taken from a root folder: the checkout this package was installed from
(an editable install), else the current folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from govsim.core.errors import UserInputError
from govsim.core.io import atomic_write

CALIBRATED = ("beijing", "beijing-2019", "haidian")
"""The calibrated scenarios, by name (``scenarios/<name>.yaml``)."""
FITTED_SCENARIOS = ("beijing", "beijing-2019")
"""The scenarios whose parameters are fitted from pilot years (Haidian inherits Beijing's)."""
FACTS = ("a_ranking", "b_heating", "c_governance")
"""The stylized-fact experiments (``experiments/calibration/fact_<key>.yaml``)."""


@dataclass(frozen=True)
class CalibrationFiles:
    """The files of the calibration under ``root`` (a govsim checkout)."""

    root: Path

    @classmethod
    def default(cls) -> CalibrationFiles:
        """The current folder if it holds the scenarios, else the checkout this package was
        installed from (editable install), else the current folder (and :meth:`check` says
        what is missing)."""
        here = Path.cwd()
        checkout = Path(__file__).resolve().parents[2]
        for root in (here, checkout):
            if (root / "scenarios" / "beijing.yaml").is_file():
                return cls(root)
        return cls(here)

    @property
    def data(self) -> Path:
        return self.root / "experiments" / "calibration"

    @property
    def scaled_dir(self) -> Path:
        return self.data / "scenarios"

    @property
    def fitted(self) -> Path:
        return self.data / "fitted.json"

    def scenario(self, name: str) -> Path:
        return self.root / "scenarios" / f"{name}.yaml"

    def fact(self, key: str) -> Path:
        return self.data / f"fact_{key}.yaml"

    def scaled(self, name: str, streets: int) -> Path:
        return self.scaled_dir / f"{name}-s{streets}.yaml"

    def check(self) -> None:
        """Raise a :class:`UserInputError` naming the first input file that is missing."""
        needed = [self.scenario(n) for n in CALIBRATED] + [self.fact(k) for k in FACTS]
        for path in needed:
            if not path.is_file():
                raise UserInputError(
                    "calibration input missing: run govsim calibrate from the repository root",
                    source=str(path),
                )


def write_text(path: Path, text: str) -> None:
    """Write a UTF-8 text file atomically (:func:`govsim.core.io.atomic_write`)."""

    def write(tmp: str) -> None:
        Path(tmp).write_text(text, encoding="utf-8")

    atomic_write(path, write)
