"""Shared look of the figures: colours per variant, outcome labels and units, fonts, saving.

Figures written to files are built on ``matplotlib.figure.Figure`` (no pyplot, so no GUI
backend and no global figure registry); Axes helpers given no ``ax`` use pyplot so they
show inline in a notebook.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from functools import lru_cache, partial
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from govsim.core.io import atomic_write
from govsim.results.units import METRICS, MetricStyle, metric_style

__all__ = ["METRICS", "MetricStyle", "metric_style"]

FORMATS = ("png", "svg")
DPI = 130
TIER_ORDER = ("city", "hotline", "dispatch", "grid", "street", "district", "department")
CLOSING_TIERS = ("hotline", "grid", "street", "district", "department")


def difference_unit(style: MetricStyle) -> str:
    """Unit of a difference: percentage points for percentages."""
    return "percentage points" if style.unit == "%" else style.unit


def colours(variants: Sequence[str]) -> dict[str, str]:
    """One stable colour per variant, in the experiment's order."""
    return {v: f"C{i % 10}" for i, v in enumerate(variants)}


def new_figure(width: float = 8.0, height: float = 4.5) -> Figure:
    """A figure with constrained layout, so titles and labels are never clipped."""
    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def axes_or_new(ax: Axes | None) -> Axes:
    """``ax``, or the axes of a new pyplot figure (shown inline in a notebook)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(8, 4.5), layout="constrained")[1]


def panel_grid(fig: Figure, n: int, columns: int = 3) -> list[Axes]:
    """``n`` axes in a grid of ``columns``; unused cells are left out."""
    columns = max(1, min(columns, n))
    rows = -(-n // columns)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for extra in axes[n:]:
        extra.remove()
    return list(axes[:n])


def save(fig: Figure, folder: Path, name: str, formats: Iterable[str] = FORMATS) -> list[Path]:
    """Write ``fig`` as ``folder/name.<format>`` for each format, each file atomically
    (:func:`govsim.core.io.atomic_write`); return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = folder / f"{name}.{fmt}"
        # constrained layout already keeps every label inside
        atomic_write(path, partial(_savefig, fig, fmt))
        paths.append(path)
    return paths


def _savefig(fig: Figure, fmt: str, path: str) -> None:
    fig.savefig(path, format=fmt, dpi=DPI)


def safe_name(text: str) -> str:
    """A file-name-safe version of ``text`` (parameter keys, variant names)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "x"


_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
CJK_FONT_HINTS = (
    "Noto Sans CJK",
    "Noto Serif CJK",
    "Source Han",
    "WenQuanYi",
    "AR PL",
    "Droid Sans Fallback",
    "SimHei",
    "Microsoft YaHei",
    "PingFang",
    "Heiti",
)


def has_cjk(texts: Iterable[str]) -> bool:
    return any(_CJK.search(str(t)) for t in texts)


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager

    for entry in font_manager.fontManager.ttflist:
        if any(hint.lower() in entry.name.lower() for hint in CJK_FONT_HINTS):
            return entry.name
    return None


def ensure_glyphs(texts: Iterable[str]) -> bool:
    """Make Chinese names render: add an installed CJK font as a fallback, else warn once.

    The shipped scenarios use English (pinyin) names, so this matters only for a scenario
    that names its units in Chinese. Returns whether every glyph can be drawn.
    """
    if not has_cjk(texts):
        return True
    import matplotlib as mpl

    font = cjk_font()
    if font is None:
        warnings.warn(
            "names contain Chinese characters but no CJK font is installed (e.g. Debian's "
            "fonts-noto-cjk); they will show as boxes",
            stacklevel=2,
        )
        return False
    # Glyph fallback runs through the concrete families listed in font.family, in order.
    families = [
        f for f in mpl.rcParams["font.family"] if f not in ("sans-serif", "serif", "monospace")
    ]
    if font not in families:
        mpl.rcParams["font.family"] = [*(families or ["DejaVu Sans"]), font]
    return True
