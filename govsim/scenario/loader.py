"""Read a scenario YAML, apply overrides, validate, and say exactly where input is bad.

Every failure becomes a :class:`~govsim.core.errors.UserInputError` naming the file
(or the override), the dotted key path and the line in the file. Each file is read and
parsed once (:mod:`govsim.scenario.yaml_safe`, with size, nesting and alias limits); an
experiment reads its base scenario once and builds every variant from that data.

An override (``--set key.path=value``, or a variant's ``set`` in an experiment) changes
one key. Where the path runs through a section the file does not write, the section's
default is filled in first, so ``--set urgency_classes.general.limit_hours=100`` changes
that one limit and keeps the other default urgency classes.
"""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticUndefined

from govsim.core.errors import UserInputError
from govsim.core.parameters import FieldError
from govsim.policies import ORDER as POLICY_ORDER
from govsim.scenario import yaml_safe
from govsim.scenario.schema import Scenario

KeyPath = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)
UNION_TAGS = {"int", "float", "str", "bool", *POLICY_ORDER}
Layer = tuple[str, "yaml.Node | None"]


@dataclass(frozen=True)
class Override:
    """A change to one key of the scenario's data, and where the user wrote it.

    ``path`` is the dotted key path in the scenario, ``value`` the value (already read).
    ``source`` names where it was written: ``--set key=value``, or the experiment file,
    with ``key_path`` and ``line`` the key and line there (an error then names those).
    ``node`` is the YAML node of the value in that file (for the line of a nested key);
    ``offset`` is how many items of a list value came from the scenario itself (a
    variant's policies follow the base scenario's: an error in item i is the variant's
    item i - offset).
    """

    path: str
    value: Any
    source: str
    key_path: str | None = None
    line: int | None = None
    node: Any = None
    offset: int = 0
    note: str = ""
    """Said before the message, e.g. ``variant 'x', sample 3 (key = value)``."""
    path_key_path: str | None = None
    path_line: int | None = None
    """Where the key path itself was written, if apart from the value (an uncertainty's
    ``key``): an unknown key is blamed there."""

    @classmethod
    def parse(cls, item: str) -> Override:
        """A ``key.path=value`` command-line override (the value read as YAML)."""
        source = f"--set {item}"
        if "=" not in item:
            raise UserInputError("an override must look like key.path=value", source=source)
        dotted, _, raw = item.partition("=")
        try:
            value = yaml_safe.parse_value(raw, source)
        except UserInputError as exc:
            raise UserInputError(
                f"cannot read the value '{raw}' ({exc.message})", source=source, key_path=dotted
            ) from None
        return cls(dotted.strip(), value, source)

    def error(self, message: str, rest: KeyPath = (), at: str | None = None) -> UserInputError:
        """An error at this override (``rest``: the key path below ``path``; ``at``: the part
        of ``path`` at fault, when it is not the whole)."""
        if self.key_path is None:
            key_path = at or ".".join(map(str, (self.path, *rest))) or None
            return UserInputError(self.note + message, source=self.source, key_path=key_path)
        if at is not None and self.path_key_path is not None:
            line = self.path_line if self.path_line is not None else self.line
            return UserInputError(
                f"{self.note}{at}: {message}",
                source=self.source,
                key_path=self.path_key_path,
                line=line,
            )
        below = list(rest)
        if self.offset and below and isinstance(below[0], int):
            below[0] -= self.offset
        line = self.line
        if self.node is not None and below:
            depth, found = _find(self.node, tuple(below))
            line = found if depth else line
        key_path = ".".join(map(str, (self.key_path, *below)))
        return UserInputError(self.note + message, source=self.source, key_path=key_path, line=line)


@dataclass
class ScenarioSource:
    """A scenario file and its bases, read and parsed once; :meth:`build` validates variants."""

    path: Path
    data: dict[str, Any]
    layers: list[Layer]

    @classmethod
    def read(cls, path: str | Path) -> ScenarioSource:
        data, layers = _read_layers(Path(path), seen=())
        return cls(Path(path), data, layers)

    def build(self, overrides: Sequence[str | Override] = ()) -> Scenario:
        """The scenario with ``overrides`` applied, validated (errors located)."""
        data = copy.deepcopy(self.data)
        items = [o if isinstance(o, Override) else Override.parse(o) for o in overrides]
        applied = [(apply(data, item), item) for item in items]
        scenario: Scenario = validate(
            data, source=str(self.path), layers=self.layers, overrides=applied
        )
        if scenario.arrivals.replay is not None:
            _resolve_replay_log(scenario, self.path, self.layers)
        return scenario


def load_scenario(path: str | Path, overrides: Sequence[str | Override] = ()) -> Scenario:
    """Load and validate the scenario at ``path``; ``overrides`` are ``key.path=value`` strings.

    A scenario may start from another with ``base: other.yaml`` (a path relative to the
    file): its keys are merged over the base's, mappings key by key, lists replaced whole.
    """
    return ScenarioSource.read(path).build(overrides)


def _resolve_replay_log(scenario: Scenario, path: Path, layers: Sequence[Layer]) -> None:
    """Make ``arrivals.replay.log`` absolute (from the scenario file's folder) and check the log."""
    replay = scenario.arrivals.replay
    assert replay is not None
    log = Path(replay.log).expanduser()
    if not log.is_absolute():
        log = path.parent / log
    if not log.is_file():
        root = layers[0][1] if layers else None
        line = _line_of(root, ("arrivals", "replay", "log")) if root is not None else None
        raise UserInputError(
            f"the case log '{replay.log}' does not exist (a relative path is read from the "
            "scenario file's folder)",
            source=str(path),
            key_path="arrivals.replay.log",
            line=line,
        )
    replay.log = str(log.resolve())
    from govsim.data.replay import check_replay  # reads the log: only when a scenario replays one

    check_replay(scenario)  # a bad log or a log outside the run is refused before anything runs


def _read_layers(
    path: Path, seen: tuple[Path, ...], allow_base: bool = True
) -> tuple[dict[str, Any], list[Layer]]:
    """The merged data of ``path`` and its bases, and each file's node tree, child first."""
    source = str(path)
    data, root = parse_yaml(yaml_safe.read_text(path, source), source)
    layers: list[Layer] = [(source, root)]
    base = data.pop("base", None) if allow_base else None
    if base is None:
        return data, layers
    line = _line_of(root, ("base",)) if root is not None else None
    if not isinstance(base, str):
        raise UserInputError("base must be a file path", source=source, key_path="base", line=line)
    base_path = (path.parent / base).resolve()
    if base_path in seen or base_path == path.resolve():
        raise UserInputError("base files form a cycle", source=source, key_path="base", line=line)
    if base_path.is_dir():
        raise UserInputError(
            f"base '{base}' is a folder, not a scenario file",
            source=source,
            key_path="base",
            line=line,
        )
    if not base_path.is_file():
        raise UserInputError(
            f"base file '{base}' does not exist", source=source, key_path="base", line=line
        )
    base_data, base_layers = _read_layers(base_path, (*seen, path.resolve()))
    return merge(base_data, data), layers + base_layers


def merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """``child`` over ``base``: mappings merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse_yaml(text: str, source: str) -> tuple[dict[str, Any], yaml.Node | None]:
    """Parse YAML text (once) into plain data plus its node tree (which remembers lines)."""
    data, root = yaml_safe.parse(text, source)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserInputError(
            f"the file must be a mapping of keys, not a {_kind(data)}", source=source, line=1
        )
    return data, root


def _kind(value: Any) -> str:
    return {list: "list", str: "text", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


def apply_override(data: dict[str, Any], item: str | Override) -> tuple[KeyPath, Override]:
    """Apply one override in place; return the resolved key path and the override."""
    override = item if isinstance(item, Override) else Override.parse(item)
    return apply(data, override), override


def apply(data: dict[str, Any], override: Override, model: type[BaseModel] = Scenario) -> KeyPath:
    """Set ``override.path`` to its value in ``data``; return the resolved key path.

    A list element is addressed by its index or, for lists of named items, by its
    ``name``. A section missing from ``data`` on the way is filled with its default.
    """
    dotted, value = override.path, override.value
    keys = dotted.split(".")
    if not dotted or any(not k for k in keys):
        raise override.error("empty key in the override path")
    node: Any = data
    kind: Any = model
    resolved: list[str | int] = []
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        if isinstance(node, dict):
            kind, default = _child(kind, key)
            if last:
                node[key] = value
            else:
                if key not in node:
                    node[key] = default if isinstance(default, dict) else {}
                node = node[key]
            resolved.append(key)
        elif isinstance(node, list):
            index = _list_index(node, key)
            if index is None:
                hint = f"an index 0..{len(node) - 1} or an item's name" if node else "an empty list"
                at = ".".join(map(str, [*resolved, key]))
                raise override.error(f"no list element '{key}' ({hint})", at=at)
            kind = _item_type(kind)
            if last:
                node[index] = value
            else:
                node = node[index]
            resolved.append(index)
        else:
            where = ".".join(map(str, resolved))
            raise override.error(
                f"'{where}' is a value ({node!r}), it has no key '{key}'",
                at=".".join(map(str, [*resolved, key])),
            )
    return tuple(resolved)


def _child(kind: Any, key: str) -> tuple[Any, Any]:
    """The type of ``key`` below a value of type ``kind``, and its default as plain data."""
    kind = _optional(kind)
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        field = kind.model_fields.get(key)
        if field is None:
            return None, None
        if field.default_factory is not None:
            default = field.default_factory()  # type: ignore[call-arg]
        elif field.default is not PydanticUndefined:
            default = field.default
        else:
            default = None
        return field.annotation, _plain(default)
    if typing.get_origin(kind) is dict:
        return typing.get_args(kind)[1], None
    return None, None


def _item_type(kind: Any) -> Any:
    kind = _optional(kind)
    return typing.get_args(kind)[0] if typing.get_origin(kind) is list else None


def _optional(kind: Any) -> Any:
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(kind) if a is not type(None)]
        return members[0] if len(members) == 1 else None
    return kind


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return copy.deepcopy(value)


def _list_index(items: list[Any], key: str) -> int | None:
    if key.lstrip("-").isdigit():
        index = int(key)
        return index if -len(items) <= index < len(items) else None
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == key:
            return i
    return None


def load_model(path: str | Path, model: type[M]) -> M:
    """Load a YAML file (no ``base:``) and validate it as ``model``, with located errors."""
    return read_model(path, model)[0]


def read_model(path: str | Path, model: type[M]) -> tuple[M, yaml.Node | None]:
    """:func:`load_model`, and the file's YAML node tree (for the lines of later errors)."""
    data, layers = _read_layers(Path(path), seen=(), allow_base=False)
    return validate(data, source=str(path), layers=layers, model=model), layers[0][1]


def validate(
    data: dict[str, Any],
    *,
    source: str,
    layers: Sequence[Layer] = (),
    overrides: Iterable[tuple[KeyPath, Override]] = (),
    model: type[M] = Scenario,  # type: ignore[assignment]
) -> M:
    """Validate plain data against ``model``, turning pydantic's errors into located ones."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        applied = list(overrides)
        located = [_locate(err, source, layers, applied) for err in exc.errors()]
        first = located[0]
        if len(located) > 1:
            first.message += "".join(f"\n  also: {other}" for other in located[1:6])
            if len(located) > 6:
                first.message += f"\n  ... and {len(located) - 6} more"
        raise first from None


def _locate(
    err: Any, source: str, layers: Sequence[Layer], overrides: list[tuple[KeyPath, Override]]
) -> UserInputError:
    loc: KeyPath = tuple(part for part in err["loc"] if not _is_union_tag(part))
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, FieldError):
        loc = loc + tuple(cause.path)
    message = str(cause) if cause is not None else err["msg"]
    if err["type"] == "extra_forbidden":
        message = "unknown key (check its spelling; `govsim docs` lists every key)"
    elif err["type"] == "missing":
        message = "required key is missing"
    key_path = ".".join(map(str, loc)) or None
    for path, override in reversed(overrides):
        if loc[: len(path)] != path and path[: len(loc)] != loc:
            continue
        below = loc[len(path) :]
        if override.offset and below and isinstance(below[0], int) and below[0] < override.offset:
            continue  # an item that came from the scenario's own list, not the override's
        if override.key_path is None:  # --set: the scenario's key path, no line
            return UserInputError(
                override.note + message, source=override.source, key_path=key_path
            )
        if err["type"] == "extra_forbidden" and override.path_key_path is not None:
            return override.error(message, at=key_path or override.path)
        if len(loc) < len(path):
            message = f"{key_path or 'the scenario'}: {message}"
        return override.error(message, below)
    # The file that sets the deepest part of the key path is the one to blame (line 1 of an
    # empty file).
    best: tuple[int, str, int | None] = (-1, source, 1 if layers else None)
    for layer_source, root in layers:
        if root is None:
            continue
        depth, line = _find(root, loc)
        if depth > best[0]:
            best = (depth, layer_source, line)
    return UserInputError(message, source=best[1], key_path=key_path, line=best[2])


def _is_union_tag(part: str | int) -> bool:
    # pydantic adds the member type to the location of union errors ('int', 'list[int]')
    # and the tag of a discriminated union ('resource_sinking'): neither is a YAML key.
    return isinstance(part, str) and (part in UNION_TAGS or "[" in part)


def _line_of(node: yaml.Node, loc: KeyPath) -> int | None:
    """Line (1-based) of the deepest node of ``loc`` present in the YAML node tree."""
    return _find(node, loc)[1]


def _find(node: yaml.Node, loc: KeyPath) -> tuple[int, int]:
    """How many parts of ``loc`` the node tree holds, and the line of the deepest one."""
    line = node.start_mark.line + 1
    depth = 0
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == key:
                    line = key_node.start_mark.line + 1
                    node = value_node
                    break
            else:
                return depth, line
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return depth, line
        depth += 1
    return depth, line
