"""Write fitted values into YAML files in place: the value changes, every other byte stays.

The scenario and experiment files carry a comment beside nearly every value (its source,
or "assumed"), flow mappings that continue on a second line, and hand-aligned columns.
ruamel.yaml's round-trip parser locates each value exactly (the start and end of its
node in the text), so an edit replaces that span and nothing else. A round-trip *dump*
would keep the comments but re-flow the multi-line flow collections (``district_names``,
the ``closable_at`` continuation lines), so the file is not dumped: the located spans are
replaced and the result is parsed again, by ruamel.yaml and by the loader's PyYAML, to
check that every edited key now reads as the value written and that the file still parses.

A key path is a tuple of mapping keys, sequence indices and ``(field, value)`` selectors,
the last picking the item of a sequence of mappings whose ``field`` is ``value``, e.g.
``("categories", ("name", "heating"), "rate")``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from govsim.calibration.files import write_text
from govsim.core.errors import UserInputError

PathPart = str | int | tuple[str, str]
KeyPath = tuple[PathPart, ...]


@dataclass(frozen=True)
class Number:
    """A number with the digits it is written with (``text`` parses to ``value``)."""

    value: float
    text: str

    @classmethod
    def fixed(cls, x: float, decimals: int) -> Number:
        """``decimals`` digits after the point, trailing zeros kept (0.7520)."""
        text = f"{x:.{decimals}f}"
        return cls(float(text), text)

    @classmethod
    def significant(cls, x: float, digits: int) -> Number:
        """``digits`` significant digits (exponent notation below 0.001); a whole number keeps
        its point (1.0, not 1, which would read back as an integer)."""
        text = f"{x:.{digits}g}" if abs(x) >= 1e-3 else f"{x:.{digits - 1}e}"
        if text.lstrip("-").isdigit():
            text += ".0"
        return cls(float(text), text)


Value = Number | float | int | str | list[Any] | dict[str, Any]


def set_values(path: Path, values: Mapping[KeyPath, Value]) -> bool:
    """Write ``values`` into the YAML file at ``path`` in place (atomically); True if it changed.

    Raises :class:`UserInputError` naming the file and key when a key is missing or the
    result would not read back as written.
    """
    text = path.read_text(encoding="utf-8")
    new = edit_text(text, values, source=str(path))
    if new == text:
        return False
    write_text(path, new)
    return True


def edit_text(text: str, values: Mapping[KeyPath, Value], source: str = "<yaml>") -> str:
    """``text`` with each key path's value replaced; every other character unchanged."""
    root = _compose(text, source)
    spans: list[tuple[int, int, str]] = []
    for key_path, value in values.items():
        node = _find(root, key_path, source)
        spans.extend(_spans(node, value, key_path, source))
    spans.sort()
    for (_, end, _), (start, _, _) in zip(spans, spans[1:], strict=False):
        if start < end:
            raise UserInputError("two edits overlap", source=source)
    new = text
    for start, end, fragment in reversed(spans):
        new = new[:start] + fragment + new[end:]
    _check(new, values, source)
    return new


def set_in(data: Any, key_path: KeyPath, value: Value, source: str = "<data>") -> None:
    """Apply an edit to plain loaded data, as :func:`edit_text` applies it to the text (a
    mapping value sets each of its keys)."""
    *parents, last = key_path
    for part in parents:
        data = _step(data, part, key_path, source)
    if isinstance(value, dict):
        target = _step(data, last, key_path, source)
        for key, item in value.items():
            set_in(target, (key,), item, source)
        return
    if isinstance(last, tuple) or (isinstance(data, dict) and last not in data):
        raise UserInputError("no such key", source=source, key_path=_dotted(key_path))
    data[last] = _plain(value)


def get_value(text: str, key_path: KeyPath, source: str = "<yaml>") -> Any:
    """The plain value (as the loader's PyYAML reads it) at ``key_path`` of a YAML text."""
    data = yaml.safe_load(text)
    for part in key_path:
        data = _step(data, part, key_path, source)
    return data


# -- locating ----------------------------------------------------------------------------
def _compose(text: str, source: str) -> Node:
    try:
        root = YAML(typ="rt").compose(text)
    except YAMLError as exc:
        raise UserInputError(f"not valid YAML: {exc}", source=source) from None
    if not isinstance(root, MappingNode):
        raise UserInputError("the file is not a YAML mapping", source=source)
    return root


def _dotted(key_path: KeyPath) -> str:
    return ".".join(f"[{p[0]}={p[1]}]" if isinstance(p, tuple) else str(p) for p in key_path)


def _find(node: Node, key_path: KeyPath, source: str) -> Node:
    for part in key_path:
        found: Node | None = None
        if isinstance(part, str) and isinstance(node, MappingNode):
            found = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(part, int) and isinstance(node, SequenceNode):
            found = node.value[part] if 0 <= part < len(node.value) else None
        elif isinstance(part, tuple) and isinstance(node, SequenceNode):
            field, wanted = part
            matches = [
                item
                for item in node.value
                if isinstance(item, MappingNode)
                and any(k.value == field and v.value == wanted for k, v in item.value)
            ]
            if len(matches) > 1:
                raise UserInputError(
                    f"{len(matches)} items have {field} {wanted}",
                    source=source,
                    key_path=_dotted(key_path),
                )
            found = matches[0] if matches else None
        if found is None:
            raise UserInputError(
                "no such key in the file", source=source, key_path=_dotted(key_path)
            )
        node = found
    return node


def _spans(node: Node, value: Value, key_path: KeyPath, source: str) -> list[tuple[int, int, str]]:
    """The (start, end, new text) replacements that write ``value`` over ``node``."""
    if isinstance(value, dict):
        if not isinstance(node, MappingNode):
            raise UserInputError("not a mapping", source=source, key_path=_dotted(key_path))
        out = []
        for key, item in value.items():
            child = _find(node, (key,), source)
            out.extend(_spans(child, item, (*key_path, key), source))
        return out
    if isinstance(value, list):
        if not (isinstance(node, SequenceNode) and node.flow_style):
            raise UserInputError(
                "lists are written over flow sequences only ([a, b])",
                source=source,
                key_path=_dotted(key_path),
            )
        fragment = "[" + ", ".join(_scalar(v) for v in value) + "]"
    else:
        if not isinstance(node, ScalarNode):
            raise UserInputError("not a scalar", source=source, key_path=_dotted(key_path))
        fragment = _scalar(value)
    return [(node.start_mark.index, node.end_mark.index, fragment)]


def _scalar(value: Any) -> str:
    if isinstance(value, Number):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value} as a fitted value")
        text = repr(value)
        if "e" in text and "." not in text:  # YAML 1.1 (PyYAML) floats need a point
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    if isinstance(value, str):
        return str(yaml.safe_dump(value, width=10**6)).removesuffix("\n...\n")
    raise TypeError(f"cannot write a {type(value).__name__} into a scalar")


# -- checking ----------------------------------------------------------------------------
def _plain(value: Value) -> Any:
    if isinstance(value, Number):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _step(data: Any, part: PathPart, key_path: KeyPath, source: str) -> Any:
    if isinstance(part, tuple):
        field, wanted = part
        items = [d for d in data if isinstance(d, dict) and str(d.get(field)) == wanted]
        if len(items) != 1:
            raise UserInputError("no such key", source=source, key_path=_dotted(key_path))
        return items[0]
    try:
        return data[part]
    except (KeyError, IndexError, TypeError):
        raise UserInputError("no such key", source=source, key_path=_dotted(key_path)) from None


def _check(new: str, values: Mapping[KeyPath, Value], source: str) -> None:
    """The edited text parses (ruamel.yaml and PyYAML) and reads back as the values written."""
    _compose(new, source)
    try:
        yaml.safe_load(new)
    except yaml.YAMLError as exc:
        raise UserInputError(f"the edit broke the file: {exc}", source=source) from None
    for key_path, value in values.items():
        got, want = get_value(new, key_path, source), _plain(value)
        if isinstance(want, dict):
            got = {k: got.get(k) for k in want}
        if got != want or type(got) is not type(want):
            raise UserInputError(
                f"wrote {want!r} but the file reads {got!r}",
                source=source,
                key_path=_dotted(key_path),
            )
