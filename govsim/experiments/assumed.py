"""The assumed parameters of a scenario, found from what its files and the schema say.

A numeric parameter is *assumed* when the word nearest to it says so:

1. the comment at the end of the line where it, or the nearest key above it that has such a
   comment, is written in the scenario file (or a base it inherits): "assumed" in that
   comment marks it, any other comment (a source) marks it as not assumed;
2. else a sentence saying "assumed" in the comment block just above a section that names
   the parameter's key in backticks (``# `staff` assumed.`` above ``departments:``);
3. else (nothing in the file speaks for it, or the schema's default is used) the
   description of its field in the schema (a distribution's mean and cv: the field that
   holds the distribution) saying "assumed".

Sections switched off (``enabled: false``, or absent) are skipped: their parameters act in
no run. What is not a number (a kind of distribution, a clock, a list of shapes) and a
parameter at 0 (no range at +-50%) is listed apart, with why it is not screened. A policy's
parameters are found the same way in each variant's policies (the experiment file's comments,
then the policy's schema), as one parameter per policy type and key that acts in every
variant carrying that policy; a scenario's own ``policies`` are left out (the shipped
comparison's base scenario has none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from govsim.core.parameters import Distribution

MARK = "assumed"
UNUSED_CV = ("exponential", "deterministic")
STRICT = 1e-9
PathPart = str | int
Path_ = tuple[PathPart, ...]


@dataclass(frozen=True)
class Assumed:
    """One assumed numeric parameter: where it is, its value and how it may move."""

    name: str
    """Dotted path (list items by name where they have one), or ``policy:<type>.<path>``."""
    path: Path_
    """Key path in the scenario data (or in a policy's data, for ``policy``)."""
    value: float
    integer: bool
    share: bool
    """A value in [0, 1] (a share or probability): clipped to [0, 1] when moved."""
    bounds: tuple[float | None, float | None]
    """The schema's bounds on the value (None: unbounded)."""
    composition: Path_ | None
    """The key path of the shares summing to 1 it belongs to (renormalised when moved)."""
    why: str
    """Where the mark was found."""
    policy: str | None = None
    """The policy type, for a policy's parameter."""


@dataclass(frozen=True)
class Excluded:
    name: str
    value: Any
    reason: str


@dataclass
class Found:
    parameters: list[Assumed] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)


# --- comments in the YAML text -----------------------------------------------------------


def end_comment(line: str) -> str | None:
    """The comment at the end of ``line`` (outside quotes), or None."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[i + 1 :].strip() if line[:i].strip() else None
    return None


def block_above(lines: list[str], index: int) -> str:
    """The full-line comments directly above line ``index``, joined."""
    block: list[str] = []
    i = index - 1
    while i >= 0 and lines[i].lstrip().startswith("#"):
        block.insert(0, lines[i].lstrip()[1:].strip())
        i -= 1
    return " ".join(block)


SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`])")
NAMED = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")


def named_assumed(block: str) -> set[str]:
    """Keys named in backticks in the sentences of ``block`` that say assumed."""
    return {
        name
        for sentence in SENTENCE.split(block)
        if MARK in sentence.lower()
        for name in NAMED.findall(sentence)
    }


class Marks:
    """What one YAML file says about each key it writes: an end-of-line comment, or a mark
    from a comment block above a section naming it."""

    def __init__(self, text: str, root: yaml.Node | None) -> None:
        self.lines = text.splitlines()
        self.root = root
        self.marked: set[int] = set()
        if root is not None:
            self._mark(root)

    def _mark(self, node: yaml.Node) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                line = key.start_mark.line
                lead = (
                    self.lines[line][: key.start_mark.column].strip()
                    if line < len(self.lines)
                    else "x"
                )
                if lead in ("", "-"):
                    names = named_assumed(block_above(self.lines, line))
                    if names:
                        self._mark_named(key, value, names)
                self._mark(value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                self._mark(item)

    def _mark_named(self, key: yaml.Node, value: yaml.Node, names: set[str]) -> None:
        if key.value in names:
            self.marked.add(id(key))
        stack = [value]
        while stack:
            node = stack.pop()
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if k.value in names:
                        self.marked.add(id(k))
                    stack.append(v)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)

    def keys(self, path: Path_) -> list[yaml.Node]:
        """The key nodes written along ``path``, outermost first (as far as the file goes)."""
        node, keys = self.root, []
        for part in path:
            if isinstance(node, yaml.MappingNode):
                pair = next(((k, v) for k, v in node.value if k.value == part), None)
                if pair is None:
                    break
                keys.append(pair[0])
                node = pair[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    break
                node = node.value[part]
            else:
                break
        return keys

    def verdict(self, path: Path_) -> tuple[bool | None, str]:
        """True (assumed), False (a comment gives something else) or None (nothing said)."""
        for key in reversed(self.keys(path)):
            line = key.start_mark.line
            comment = end_comment(self.lines[line]) if line < len(self.lines) else None
            if comment:
                return MARK in comment.lower(), f"line {line + 1}: # {comment}"
            if id(key) in self.marked:
                return True, f"the comment above line {line + 1} names `{key.value}`"
        return None, ""


def file_marks(layers: list[tuple[str, yaml.Node | None]]) -> list[Marks]:
    """Marks of each layer (child first), each file's text read again for its comments."""
    return [Marks(Path(source).read_text(encoding="utf-8"), root) for source, root in layers]


# --- the schema --------------------------------------------------------------------------

Chain = tuple[tuple[type, str, FieldInfo], ...]


def parameter_field(chain: Chain) -> tuple[type, str, FieldInfo] | None:
    """The field a leaf belongs to: a distribution's ``mean`` or ``cv`` belongs to the field
    holding the distribution."""
    for owner, name, info in reversed(chain):
        if not issubclass(owner, Distribution):
            return owner, name, info
    return None


def _bounds(info: FieldInfo) -> tuple[float | None, float | None]:
    """``[low, high]`` of the field (a strict bound moved inside by 1e-9)."""
    low = high = None
    for m in info.metadata:
        if getattr(m, "ge", None) is not None:
            low = float(m.ge)
        if getattr(m, "gt", None) is not None:
            low = float(m.gt) + STRICT
        if getattr(m, "le", None) is not None:
            high = float(m.le)
        if getattr(m, "lt", None) is not None:
            high = float(m.lt) - STRICT
    return low, high


def _is_share(info: FieldInfo, value: float, in_dict: bool) -> bool:
    low, high = _bounds(info)
    if high is not None and high <= 1 and (low is None or low >= 0):
        return True
    text = (info.description or "").lower()
    return in_dict and 0 <= value <= 1 and ("probabilit" in text or "share" in text)


def _composition(info: FieldInfo) -> bool:
    return "sum 1" in (info.description or "")


def _name(data: Any, path: Path_) -> str:
    """Dotted path with list items by their ``name`` where they have one."""
    parts, node = [], data
    for part in path:
        if isinstance(part, int) and isinstance(node, list):
            item = node[part]
            name = item.get("name") if isinstance(item, dict) else None
            parts.append(str(name) if name is not None else str(part))
            node = item
        else:
            parts.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return ".".join(parts)


def walk(
    model: BaseModel, chain: Chain = (), path: Path_ = ()
) -> list[tuple[Path_, Any, Chain, bool]]:
    """Every leaf of ``model`` as (path, value, chain of fields, inside a dict), skipping
    switched-off and absent sections."""
    out: list[tuple[Path_, Any, Chain, bool]] = []

    def visit(value: Any, chain: Chain, path: Path_, in_dict: bool) -> None:
        if isinstance(value, BaseModel):
            if getattr(value, "enabled", True) is False:
                return
            for name, info in type(value).model_fields.items():
                if name == "cv" and getattr(value, "kind", "") in UNUSED_CV:
                    continue  # an exponential or fixed time has no cv to move
                visit(
                    getattr(value, name), (*chain, (type(value), name, info)), (*path, name), False
                )
        elif isinstance(value, dict):
            for k, v in value.items():
                visit(v, chain, (*path, k), True)
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for i, v in enumerate(value):
                visit(v, chain, (*path, i), False)
        elif value is not None:
            out.append((path, value, chain, in_dict))

    visit(model, chain, path, False)
    return out


def classify(
    leaves: list[tuple[Path_, Any, Chain, bool]],
    data: dict[str, Any],
    marks: list[Marks],
    *,
    prefix: str = "",
    policy: str | None = None,
    policy_path: Path_ = (),
) -> Found:
    """Sort ``leaves`` into the assumed parameters and those excluded (assumed, but not
    screened); leaves not assumed are left out."""
    found = Found()
    for path, value, chain, in_dict in leaves:
        verdict, why = None, ""
        for layer in marks:
            verdict, why = layer.verdict((*policy_path, *path))
            if verdict is not None or len(layer.keys((*policy_path, *path))) == len(path):
                break  # a file that writes the value itself speaks for it
        field_ = parameter_field(chain)
        if verdict is None and field_ is not None:
            owner, fname, info = field_
            if MARK in (info.description or "").lower():
                verdict, why = True, f"{owner.__name__}.{fname}: schema description"
        if not verdict or field_ is None:
            continue
        name = prefix + _name(data, path)
        info = field_[2]
        if isinstance(value, bool) or not isinstance(value, int | float):
            found.excluded.append(Excluded(name, value, "not a number"))
            continue
        if value == 0:
            found.excluded.append(Excluded(name, value, "0: no range at +-50%"))
            continue
        composition = path[:-1] if in_dict and _composition(info) else None
        if composition is not None and _siblings(leaves, composition) < 2:
            found.excluded.append(Excluded(name, value, "the only share of a sum fixed at 1"))
            continue
        low, high = _bounds(info) if not in_dict else (None, None)
        found.parameters.append(
            Assumed(
                name=name,
                path=path,
                value=float(value),
                integer=isinstance(value, int),
                share=_is_share(info, float(value), in_dict),
                bounds=(low, high),
                composition=composition,
                why=why,
                policy=policy,
            )
        )
    return found


def _siblings(leaves: list[tuple[Path_, Any, Chain, bool]], parent: Path_) -> int:
    return sum(1 for p, *_ in leaves if p[:-1] == parent)


# --- entry points --------------------------------------------------------------------------


def scenario_parameters(path: str | Path) -> Found:
    """The assumed parameters of the scenario file at ``path`` (and the bases it inherits)."""
    from govsim.scenario.loader import ScenarioSource

    source = ScenarioSource.read(path)
    scenario = source.build()
    leaves = [leaf for leaf in walk(scenario) if leaf[0][0] != "policies"]
    return classify(leaves, source.data, file_marks(source.layers))


def policy_parameters(experiment_path: str | Path, variants: list[str]) -> Found:
    """The assumed parameters of the policies that ``variants`` of the experiment at
    ``experiment_path`` add: one per policy type and key (the first variant's value is the
    one shown; each variant moves its own value by the same factor)."""
    from pydantic import TypeAdapter

    from govsim.experiments.schema import Experiment
    from govsim.policies import Policy
    from govsim.scenario.loader import read_model

    experiment, root = read_model(experiment_path, Experiment)
    marks = [Marks(Path(experiment_path).read_text(encoding="utf-8"), root)]
    adapter: TypeAdapter[Any] = TypeAdapter(Policy)
    found, seen = Found(), set()
    for name in variants:
        for i, spec in enumerate(experiment.variants[name].policies):
            policy = adapter.validate_python(spec)
            kind = policy.type
            leaves = [leaf for leaf in walk(policy) if leaf[0] != ("type",)]
            part = classify(
                leaves,
                spec,
                marks,
                prefix=f"{kind}.",
                policy=kind,
                policy_path=("variants", name, "policies", i),
            )
            for parameter in part.parameters:
                if parameter.name not in seen:
                    seen.add(parameter.name)
                    found.parameters.append(parameter)
            for excluded in part.excluded:
                if excluded.name not in seen:
                    seen.add(excluded.name)
                    found.excluded.append(excluded)
    return found
