"""Write the fitted scenario: the base scenario file with fitted values in place (ruamel.yaml
round trip, so its comments and layout stay), each fitted value commented with its fit and
95% CI, and the base's own comment on that line kept after it.
"""

from __future__ import annotations

import io
import math
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from govsim.core.errors import UserInputError
from govsim.core.io import atomic_write
from govsim.fitting.estimation import Estimate, fmt
from govsim.scenario import Scenario, load_scenario

OWN = ("fit:", "lowest AIC", "first day", "days the", "fitted by")
"""How the comments this module writes begin (a refit replaces them rather than citing them)."""
SHARE_GROUPS = ("closable_at", "channels")
"""Mappings of shares that must sum to 1: normalised after rounding."""


def _yaml() -> YAML:
    yaml = YAML()  # round trip
    yaml.width = 4096  # never fold a long line
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    return yaml


def fitted_text(
    base_path: Path,
    out_path: Path,
    scenario: Scenario,
    estimates: Sequence[Estimate],
    header: dict[str, tuple[Any, str]],
) -> str:
    """The fitted scenario's YAML text. ``header``: top-level keys to set, with their comments."""
    yaml = _yaml()
    root = yaml.load(base_path.read_text(encoding="utf-8"))
    if not isinstance(root, CommentedMap):
        raise UserInputError("the base scenario is not a mapping of keys", source=str(base_path))
    _rebase_paths(root, base_path, out_path)
    for name, (value, comment) in header.items():
        _set(root, name, _block(value) if isinstance(value, dict) else value, comment)
    resolved = scenario.model_dump(mode="json")
    distributions: dict[tuple, list[Estimate]] = {}
    for estimate in estimates:
        if "kind" in estimate.extra:
            distributions.setdefault(estimate.key[:-1], []).append(estimate)
            continue
        parent = _container(root, estimate.key[:-1], resolved)
        value = int(round(estimate.value)) if estimate.extra.get("integer") else estimate.value
        _set(parent, estimate.key[-1], _round(value), estimate.comment())
    for key, parts in distributions.items():
        parent = _container(root, key[:-1], resolved)
        kind = str(parts[0].extra["kind"])
        fresh = CommentedMap([("kind", kind)])
        fresh.fa.set_block_style()
        old = parent.get(key[-1]) if isinstance(parent, CommentedMap) else None
        for part in sorted(parts, key=lambda e: e.key[-1] != "mean"):
            fresh[part.key[-1]] = _round(part.value)
            fresh.yaml_add_eol_comment("# " + part.comment(), part.key[-1])
        _set(
            parent, key[-1], fresh, f"lowest AIC: {kind}" + (f"; base: {_flow(old)}" if old else "")
        )
    _normalise_shares(root)
    stream = io.StringIO()
    yaml.dump(root, stream)
    # ruamel puts a new comment one space after a long value: two, as elsewhere in the file.
    return re.sub(
        r"(\S) (# (?:fit:|lowest AIC|first day|days the|fitted by))", r"\1  \2", stream.getvalue()
    )


def write_fitted(text: str, out_path: Path) -> Scenario:
    """Write ``text`` to ``out_path`` atomically, once it loads as a valid scenario."""
    loaded: list[Scenario] = []

    def write(tmp: str) -> None:
        Path(tmp).write_text(text, encoding="utf-8")
        try:
            loaded.append(load_scenario(tmp))
        except UserInputError as exc:  # a bug of the fit, not of the user's input
            raise RuntimeError(f"the fitted scenario does not validate: {exc}") from None

    atomic_write(out_path, write)
    return loaded[0]


@contextmanager
def beside(text: str, out: Path, purpose: str) -> Iterator[Path]:
    """``text`` in a hidden file beside ``out``, removed afterwards: a fitted scenario read
    before it is written (its ``base:`` and log paths are relative to ``out``'s folder)."""
    probe = out.with_name(f".{out.name}.{purpose}.yaml")
    try:
        probe.write_text(text, encoding="utf-8")
        yield probe
    finally:
        probe.unlink(missing_ok=True)


# -- navigating the tree ----------------------------------------------------------------------
def _container(root: CommentedMap, key: tuple, resolved: dict[str, Any]) -> Any:
    """The mapping or sequence at ``key`` in the file's tree, made if the file inherits it."""
    node: Any = root
    data: Any = resolved
    parent_node: Any = None
    for part in key:
        parent_node = node
        if isinstance(node, CommentedSeq) or isinstance(data, list):
            index = _index(data, part)
            if not isinstance(node, CommentedSeq):
                raise RuntimeError(f"cannot place {key} in the base file")
            node, data = node[index], data[index]
        else:
            if part not in node:
                _append(node, part, _missing_node(data[part]))
            node, data = node[part], data[part]
        if isinstance(node, (CommentedMap, CommentedSeq)) and node.fa.flow_style():
            node.fa.set_block_style()  # a comment per value needs one value per line
            _drop_newline(parent_node, part)
    return node


def _index(items: list[Any], part: str | int) -> int:
    if isinstance(part, int):
        return part
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == part:
            return i
    raise RuntimeError(f"no list item named {part!r}")


def _missing_node(value: Any) -> Any:
    """A node for a key the base file leaves to its defaults or its own base.

    A section gets an empty mapping (mappings merge with what they override); a list, or
    a mapping of values (shares, a distribution), is written whole, as the schema checks
    it whole.
    """
    if isinstance(value, dict) and any(isinstance(v, (dict, list)) for v in value.values()):
        return CommentedMap()
    return _commented(value)


def _append(parent: CommentedMap, key: str, value: Any) -> None:
    """Add ``key`` at the end of ``parent``; the blank lines that closed it go after the new key."""
    last = next(reversed(parent), None) if len(parent) else None
    parent[key] = value
    if last is None:
        return
    entry = parent.ca.items.get(last)
    token = entry[2] if entry and len(entry) > 2 else None
    if token is not None and token.value.endswith("\n\n"):
        token.value = token.value.rstrip("\n") + "\n"


def _commented(value: Any) -> Any:
    """Plain data as ruamel nodes (for a key the base file inherits and the fit must set)."""
    if isinstance(value, dict):
        out = CommentedMap((k, _commented(v)) for k, v in value.items())
        return out
    if isinstance(value, list):
        return CommentedSeq(_commented(v) for v in value)
    return value


def _set(parent: Any, key: str | int, value: Any, comment: str) -> None:
    old = _eol_comment(parent, key)
    ending = _ending(parent, key)
    if isinstance(parent, CommentedMap) and key not in parent:
        _append(parent, str(key), value)
    else:
        parent[key] = value
    text = comment if not old or old.startswith(OWN) else f"{comment}; base: {old}"
    parent.yaml_add_eol_comment("# " + text, key)
    if ending:  # keep the blank lines that followed the old line
        token = parent.ca.items[key][2 if isinstance(parent, CommentedMap) else 0]
        token.value = token.value.rstrip("\n") + ending


def _drop_newline(parent: Any, key: str | int) -> None:
    """A flow collection's end-of-line comment ends its line; in block style: a blank line."""
    entry = parent.ca.items.get(key) if parent is not None else None
    if not entry:
        return
    for token in entry:
        if token is not None and hasattr(token, "value") and token.value.endswith("\n"):
            token.value = token.value.rstrip("\n")  # a blank line after it is lost: cosmetic
            break


def _ending(parent: Any, key: str | int) -> str:
    """The newlines ending ``key``'s end-of-line comment ('' if it has none)."""
    entry = parent.ca.items.get(key)
    tokens = [t for t in entry or [] if t is not None and hasattr(t, "value")]
    if not tokens:
        return ""
    value = tokens[0].value
    return value[len(value.rstrip("\n")) :]


def _eol_comment(parent: Any, key: str | int) -> str:
    """The comment at the end of ``key``'s line, without '#', or ''."""
    entry = parent.ca.items.get(key)
    if not entry:
        return ""
    tokens = [t for t in entry if t is not None and hasattr(t, "value")]
    if not tokens:
        return ""
    text = tokens[0].value.strip().split("\n")[0].strip()
    return text.lstrip("#").strip()


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return str(value)


def _block(value: dict[str, Any]) -> CommentedMap:
    """A mapping written whole (the fitted city): block style, each list item of plain values
    (a grid) on one line."""
    node = _commented(value)

    def style(item: Any) -> None:
        if isinstance(item, CommentedMap):
            simple = all(not isinstance(v, (dict, list)) for v in item.values())
            item.fa.set_flow_style() if simple else item.fa.set_block_style()
            for v in item.values():
                style(v)
        elif isinstance(item, CommentedSeq):
            item.fa.set_block_style()
            for v in item:
                style(v)

    style(node)
    node.fa.set_block_style()
    return node


def _round(value: float) -> float:
    if isinstance(value, int):
        return value
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(f"{value:.6g}")


def _normalise_shares(node: Any) -> None:
    """Round share mappings so they sum to 1 to 6 decimals (the schema's tolerance is 1e-6)."""
    if isinstance(node, CommentedMap):
        for key, value in node.items():
            if key in SHARE_GROUPS and isinstance(value, CommentedMap) and value:
                total = sum(float(v) for v in value.values())
                if total > 0:
                    rounded = {k: round(float(v) / total, 6) for k, v in value.items()}
                    largest = max(rounded, key=lambda k: rounded[k])
                    rounded[largest] = round(
                        1.0 - sum(v for k, v in rounded.items() if k != largest), 6
                    )
                    for k, v in rounded.items():
                        value[k] = v
            else:
                _normalise_shares(value)
    elif isinstance(node, CommentedSeq):
        for item in node:
            _normalise_shares(item)


def _rebase_paths(root: CommentedMap, base_path: Path, out_path: Path) -> None:
    """Keep ``base:`` and a replayed log's path pointing at the same files from the new folder."""
    here, there = base_path.resolve().parent, out_path.resolve().parent

    def moved(path: str) -> str:
        target = Path(path).expanduser()
        if target.is_absolute():
            return path
        return os.path.relpath(here / target, there)

    if isinstance(root.get("base"), str):
        root["base"] = moved(root["base"])
    replay = (
        (root.get("arrivals") or {}).get("replay")
        if isinstance(root.get("arrivals"), dict)
        else None
    )
    if isinstance(replay, dict) and isinstance(replay.get("log"), str):
        replay["log"] = moved(replay["log"])


__all__ = ["beside", "fitted_text", "write_fitted", "fmt"]
