"""Read a scenario YAML, apply ``--set`` overrides, validate, and say exactly where input is bad.

Every failure becomes a :class:`~govsim.errors.UserInputError` naming the file
(or the override), the dotted key path and the line in the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from govsim.errors import UserInputError
from govsim.parameters import FieldError
from govsim.policies import ORDER as POLICY_ORDER
from govsim.scenario.schema import Scenario

KeyPath = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)
UNION_TAGS = {"int", "float", "str", "bool", *POLICY_ORDER}


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Load and validate the scenario at ``path``; ``overrides`` are ``key.path=value`` strings.

    A scenario may start from another with ``base: other.yaml`` (a path relative to the
    file): its keys are merged over the base's, mappings key by key, lists replaced whole.
    """
    data, layers = _read_layers(Path(path), seen=())
    applied = [apply_override(data, item) for item in overrides]
    scenario: Scenario = validate(data, source=str(path), layers=layers, overrides=applied)
    if scenario.arrivals.replay is not None:
        _resolve_replay_log(scenario, Path(path), layers)
    return scenario


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
            f"scenario "
            "file's folder)",
            source=str(path),
            key_path="arrivals.replay.log",
            line=line,
        )
    replay.log = str(log.resolve())
    from govsim.data.replay import check_replay  # reads the log: only when a scenario replays one

    check_replay(scenario)  # a bad log or a log outside the run is refused before anything runs


Layer = tuple[str, "yaml.Node | None"]


def _read_layers(
    path: Path, seen: tuple[Path, ...], allow_base: bool = True
) -> tuple[dict[str, Any], list[Layer]]:
    """The merged data of ``path`` and its bases, and each file's node tree, child first."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserInputError("no such file", source=source) from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise UserInputError(
            f"cannot read the file ({exc.__class__.__name__})", source=source
        ) from None
    data, root = parse_yaml(text, source)
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
    """Parse YAML text into plain data plus its node tree (which remembers line numbers)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "malformed YAML"
        if (
            exc.context
            and exc.context_mark is not None
            and exc.problem_mark is not None
            and exc.context_mark.line != exc.problem_mark.line
        ):
            problem += f" ({exc.context} at line {exc.context_mark.line + 1})"
        raise UserInputError(f"malformed YAML: {problem}", source=source, line=line) from None
    except yaml.YAMLError as exc:
        raise UserInputError(f"malformed YAML: {exc}", source=source) from None
    if root is not None:
        _reject_duplicate_keys(root, source)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserInputError(
            f"a scenario must be a mapping of keys, not a {type(data).__name__}",
            source=source,
            line=1,
        )
    return data, root


def _reject_duplicate_keys(node: yaml.Node, source: str, path: tuple[str, ...] = ()) -> None:
    """YAML keeps the last of two equal keys silently; a scenario must not."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                raise UserInputError(
                    "duplicate key (YAML would silently keep only the last one)",
                    source=source,
                    key_path=".".join((*path, key)),
                    line=key_node.start_mark.line + 1,
                )
            seen.add(key)
            _reject_duplicate_keys(value_node, source, (*path, key))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _reject_duplicate_keys(item, source, (*path, str(i)))


def apply_override(data: dict[str, Any], item: str) -> tuple[KeyPath, str]:
    """Apply one ``key.path=value`` override in place; return the resolved key path and its text.

    The value is read as YAML (``3`` is a number, ``[1, 2]`` a list). A list element
    is addressed by its index or, for lists of named items, by its ``name``.
    """
    if "=" not in item:
        raise UserInputError("an override must look like key.path=value", source=f"--set {item}")
    dotted, _, raw = item.partition("=")
    source = f"--set {item}"
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        raise UserInputError(
            f"cannot read the value '{raw}'", source=source, key_path=dotted
        ) from None
    keys = [k for k in dotted.strip().split(".")]
    if not dotted.strip() or any(not k for k in keys):
        raise UserInputError("empty key in the override path", source=source, key_path=dotted)
    node: Any = data
    resolved: list[str | int] = []
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        if isinstance(node, dict):
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, {})
            resolved.append(key)
        elif isinstance(node, list):
            index = _list_index(node, key)
            if index is None:
                raise UserInputError(
                    f"no list element '{key}' (give an index 0..{len(node) - 1} or an item's name)",
                    source=source,
                    key_path=".".join(map(str, resolved + [key])),
                )
            if last:
                node[index] = value
            else:
                node = node[index]
            resolved.append(index)
        else:
            raise UserInputError(
                f"'{'.'.join(map(str, resolved))}' is a value, it has no key '{key}'",
                source=source,
                key_path=dotted,
            )
    return tuple(resolved), source


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
    data, layers = _read_layers(Path(path), seen=(), allow_base=False)
    return validate(data, source=str(path), layers=layers, model=model)


def validate(
    data: dict[str, Any],
    *,
    source: str,
    layers: Sequence[Layer] = (),
    overrides: Iterable[tuple[KeyPath, str]] = (),
    model: type[M] = Scenario,  # type: ignore[assignment]
) -> M:
    """Validate plain data against ``model``, turning pydantic's errors into located ones."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        overrides = list(overrides)
        located = [_locate(err, source, layers, overrides) for err in errors]
        first = located[0]
        if len(located) > 1:
            first.message += "".join(f"\n  also: {other}" for other in located[1:6])
            if len(located) > 6:
                first.message += f"\n  ... and {len(located) - 6} more"
        raise first from None


def _locate(
    err: Any, source: str, layers: Sequence[Layer], overrides: list[tuple[KeyPath, str]]
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
    for path, override_source in reversed(overrides):
        if loc[: len(path)] == path or path[: len(loc)] == loc:
            return UserInputError(message, source=override_source, key_path=key_path)
    # The file that sets the deepest part of the key path is the one to blame.
    best: tuple[int, str, int | None] = (-1, source, None)
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
