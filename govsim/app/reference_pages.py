"""The reference pages of ``docs/``, generated from the code by ``govsim docs``.

- ``docs/scenarios.md``: the scenario schema (:func:`govsim.scenario.reference.scenario_reference`);
- ``docs/experiments-schema.md``: the experiment schema, by the same generator with the
  experiment as its root model, and the outcomes with their docstrings;
- ``docs/cli.md``: every command of the ``govsim`` parser, its help and its arguments;
- ``docs/api.md``: the public Python API, signatures and docstrings read with ``inspect``.

``tests/test_docs.py`` regenerates every page in memory and compares it with the file, so
a page cannot drift from the code. The text depends on the code alone (not on the terminal
width, the Python version's help formatting or the working directory).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib
import inspect
import re
import textwrap
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

import govsim.app.exit_codes
from govsim.scenario.reference import scenario_reference, schema_reference


def pages(parser: argparse.ArgumentParser) -> dict[str, Callable[[], str]]:
    """Each reference page's file name (in ``docs/``) and the function that writes its text;
    ``parser`` is the command line's (:func:`govsim.app.cli._parser`: the command line calls
    this module, not the other way round)."""
    return {
        "scenarios.md": scenario_reference,
        "experiments-schema.md": experiment_reference,
        "cli.md": lambda: cli_reference(parser),
        "api.md": api_reference,
    }


# -- the experiment schema ---------------------------------------------------------------------
EXPERIMENT_HEADER = """# Experiment reference

Generated from `govsim/experiments/schema.py` and `govsim/experiments/outcomes.py` by
`govsim docs`; do not edit by hand.

An experiment is a YAML mapping run by `govsim experiment run EXP.yaml` (what the runs and
tables are: [experiments.md](experiments.md)). Unknown keys are errors. Paths are relative
to the experiment file; a variant's `set` takes the dotted key paths of the scenario
([scenarios.md](scenarios.md)), and its `policies` the policy sections listed there.

"""


def experiment_reference() -> str:
    """The text of ``docs/experiments-schema.md``: the schema's sections, then the outcomes."""
    from govsim.experiments.outcomes import OUTCOMES
    from govsim.experiments.schema import Experiment

    lines = [
        "## Outcomes",
        "",
        "The names `outcomes:` accepts (`govsim/experiments/outcomes.py`, `OUTCOMES`). Each is "
        "one number per run, computed after the warm-up; the problem outcomes are NaN in a run "
        "without `problems.enabled`.",
        "",
        "| outcome | what |",
        "| --- | --- |",
    ]
    for name, outcome in OUTCOMES.items():
        lines.append(f"| `{name}` | {_one_line(inspect.getdoc(outcome) or '')} |")
    return schema_reference(Experiment, EXPERIMENT_HEADER) + "\n" + "\n".join(lines) + "\n"


# -- the command line --------------------------------------------------------------------------
CLI_HEADER = """# Command-line reference

Generated from the argparse parser of `govsim/app/cli.py` by `govsim docs`; do not edit by hand.
`python -m govsim ...` is the same command. Every command takes `-h` / `--help`.
"""


def exit_codes() -> list[tuple[int, str]]:
    """(code, meaning) as the docstring of :mod:`govsim.app.exit_codes` states them ("Exit
    codes: 0 success; 1 ...; 130 ...")."""
    doc = " ".join((govsim.app.exit_codes.__doc__ or "").split())
    match = re.search(r"Exit codes: (.*?)\.(?: |$)(?=[A-Z]|$)", doc)
    if match is None:
        raise ValueError("govsim/app/exit_codes.py's docstring no longer lists the exit codes")
    items = re.split(r"; (?=\d+ )", match.group(1))
    return [(int(code), text) for code, text in (item.split(" ", 1) for item in items)]


def cli_reference(parser: argparse.ArgumentParser) -> str:
    """The text of ``docs/cli.md``: one section per command and subcommand of ``parser`` (the
    command line's, :func:`govsim.app.cli._parser`), in parser order."""
    commands = list(_commands(parser, "govsim"))
    lines = [CLI_HEADER, "| exit code | meaning |", "| --- | --- |"]
    lines += [f"| {code} | {text} |" for code, text in exit_codes()]
    lines += ["", "| command | what |", "| --- | --- |"]
    lines += [f"| [`{path}`](#{_anchor(path)}) | {_one_line(text)} |" for path, text, _ in commands]
    for path, text, command in commands:
        lines += ["", f"## {path}", ""]
        if text:
            lines += [_sentence(text), ""]
        lines += ["```", _synopsis(path, command), "```"]
        subcommands = [p for p, _, _ in commands if p.rsplit(" ", 1)[0] == path]
        if subcommands:
            lines += ["", "Subcommands: " + ", ".join(f"`{p}`" for p in subcommands) + "."]
        rows = [_argument_row(action, command) for action in _arguments(command)]
        if rows:
            lines += ["", "| argument | meaning | notes | default |", "| --- | --- | --- | --- |"]
            lines += rows
    return "\n".join(lines) + "\n"


def _commands(
    parser: argparse.ArgumentParser, path: str
) -> Iterator[tuple[str, str, argparse.ArgumentParser]]:
    """(``govsim run``, its help, its parser) for every command, depth first in parser order."""
    for action in _actions(parser):
        if isinstance(action.choices, dict) and action.nargs == argparse.PARSER:
            helps = {
                choice.dest: (choice.help or "").replace("%%", "%")
                for choice in action._choices_actions  # type: ignore[attr-defined]  # noqa: SLF001
            }
            for name, sub in action.choices.items():
                yield f"{path} {name}", helps.get(name, ""), sub
                yield from _commands(sub, f"{path} {name}")


def _actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """A parser's arguments. argparse has no public way to list them; ``_actions`` and the
    groups' ``_group_actions`` have been there since Python 3.2."""
    return list(parser._actions)  # noqa: SLF001


def _exclusive(parser: argparse.ArgumentParser) -> dict[argparse.Action, list[argparse.Action]]:
    """Each argument of a mutually exclusive group, and the others of its group."""
    groups = [g._group_actions for g in parser._mutually_exclusive_groups]  # noqa: SLF001
    return {a: [b for b in group if b is not a] for group in groups for a in group}


def _arguments(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The arguments shown in the table: no ``--help``, no subcommand choice."""
    return [
        a
        for a in _actions(parser)
        if a.help is not argparse.SUPPRESS
        and a.dest != "help"
        and not (isinstance(a.choices, dict) and a.nargs == argparse.PARSER)
    ]


def _name(action: argparse.Action) -> str:
    """``--out OUT``, ``--quiet``, ``scenario``, ``LOG [LOG ...]``."""
    if not action.option_strings:
        metavar = str(action.metavar or action.dest)
        return f"{metavar} [{metavar} ...]" if action.nargs == "+" else metavar
    flag = max(action.option_strings, key=len)
    if action.nargs == 0:
        return flag
    return f"{flag} {action.metavar or action.dest.upper()}"


def _synopsis(path: str, parser: argparse.ArgumentParser) -> str:
    """``govsim experiment run EXPERIMENT [--workers WORKERS | ...] [--resume] ...``, wrapped
    between arguments."""
    exclusive = _exclusive(parser)
    parts: list[str] = []
    done: set[argparse.Action] = set()
    for action in _arguments(parser):
        if action in done:
            continue
        if action in exclusive:
            group = [action, *exclusive[action]]
            done.update(group)
            parts.append("[" + " | ".join(_name(a) for a in group) + "]")
        elif not action.option_strings or action.required:
            parts.append(_name(action))
        else:
            parts.append(f"[{_name(action)}]")
    for action in _actions(parser):
        if isinstance(action.choices, dict) and action.nargs == argparse.PARSER:
            parts.append("{" + ",".join(action.choices) + "} ...")
    lines, line = [], path
    for part in parts:
        if len(line) + 1 + len(part) > 92 and line.strip():
            lines.append(line)
            line = " " * len(path)
        line += " " + part
    return "\n".join([*lines, line])


def _argument_row(action: argparse.Action, parser: argparse.ArgumentParser) -> str:
    help_text = _expand(action, parser.prog)
    notes = []
    kind = _kind(action)
    if kind:
        notes.append(kind)
    if action.option_strings and action.required:
        notes.append("required")
    others = _exclusive(parser).get(action)
    if others:
        notes.append("not with " + ", ".join(f"`{max(o.option_strings, key=len)}`" for o in others))
    if type(action).__name__ == "_AppendAction" and "repeatable" not in help_text:
        notes.append("repeatable")  # action="append"
    cells = (f"`{_name(action)}`", help_text, "; ".join(notes), _cli_default(action))
    return "| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |"


def _kind(action: argparse.Action) -> str:
    if action.choices is not None and not isinstance(action.choices, dict):
        return "one of " + ", ".join(f"`{c}`" for c in action.choices)
    kinds = {int: "whole number", float: "number"}
    if action.type in kinds:
        return kinds[action.type]
    if getattr(action.type, "__name__", "") == "_positive":
        return "whole number >= 1"
    return ""


def _expand(action: argparse.Action, prog: str) -> str:
    """The help text with argparse's ``%(default)s``-style fields filled in, ``%%`` as ``%``."""
    text = action.help or ""
    if "%" not in text:
        return text
    fields = {k: v for k, v in vars(action).items() if v is not argparse.SUPPRESS}
    return text % {**fields, "prog": prog}


def _cli_default(action: argparse.Action) -> str:
    value = action.default
    if action.nargs == 0 or value in (None, [], argparse.SUPPRESS):
        return ""
    return f"`{value}`"


def _anchor(heading: str) -> str:
    """The anchor GitHub gives a heading (lower case, spaces to hyphens, punctuation dropped)."""
    return re.sub(r"[^a-z0-9 _-]", "", heading.lower()).replace(" ", "-")


# -- the Python API ----------------------------------------------------------------------------
API_HEADER = """# Python API reference

Generated from the docstrings by `govsim docs`; do not edit by hand. Signatures are read
with `inspect`; a pydantic model's fields are in the schema pages
([scenarios.md](scenarios.md), [experiments-schema.md](experiments-schema.md)), not here.
How the modules fit together: [architecture.md](architecture.md).
"""

API: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "govsim",
        "Load a scenario, run it, read results folders. Every name of `govsim.__all__`.",
        (
            "load_scenario",
            "simulate",
            "RunResult",
            "load",
            "RunData",
            "ExperimentData",
            "StudyData",
            "Scenario",
            "UserInputError",
            "LedgerError",
        ),
    ),
    (
        "govsim.engine.mechanism",
        "Write a mechanism of one's own (docs/howto/add-a-mechanism.md).",
        ("Mechanism", "set_hook", "RunParts", "FinishedRun"),
    ),
    (
        "govsim.mechanisms",
        "The built-in mechanisms and how a run's are built.",
        ("BUILT_IN", "build"),
    ),
    (
        "govsim.experiments",
        "Run experiments and summarise replications.",
        (
            "run_experiment",
            "load_experiment",
            "ExperimentResult",
            "Experiment",
            "summarise",
            "paired_differences",
            "replications_needed",
        ),
    ),
    (
        "govsim.experiments.analysis",
        "Warm-up curves; whether each variant's backlog settles.",
        ("backlog_curves", "settling"),
    ),
    (
        "govsim.results.censoring",
        "What a closed-only time to close leaves out: open share, ages, restricted mean.",
        ("censoring", "restricted_mean", "Censoring"),
    ),
    (
        "govsim.results.settling",
        "Does a run's backlog settle? A trend test per tier after the warm-up.",
        ("settling", "Settling", "Trend"),
    ),
    ("govsim.experiments.outcomes", "Outcomes (listed in experiments-schema.md).", ("Outcome",)),
    ("govsim.plots", "Figures: each function takes DataFrames and returns a matplotlib Axes.", ()),
    ("govsim.plots.warmup", "The warm-up figure.", ("plot_warmup",)),
    (
        "govsim.policies.base",
        "Extending: what a policy is (docs/howto/add-a-policy.md).",
        ("PolicySpec", "at_day", "spread"),
    ),
    ("govsim.policies.levers", "Extending: what a policy's controller may pull.", ("Levers",)),
    (
        "govsim.core.controls",
        "Extending: the run-time state policies move and agents read.",
        ("ArrivalControls", "UnitQuality", "WhistleEffort"),
    ),
    ("govsim.core.servers", "Extending: every unit's server pool.", ("ServerPool",)),
    ("govsim.engine.agents.flow", "Extending: what an agent may do with a case.", ("CaseFlow",)),
)
"""Module, what its section is for, and its names in reading order (empty: the module's
``__all__``). Names of ``__all__`` missing from the list are added at the end of the section."""


def api_reference() -> str:
    """The text of ``docs/api.md``."""
    lines = [API_HEADER]
    toc, body = [], []
    for module_name, purpose, names in API:
        module = importlib.import_module(module_name)
        exported = list(getattr(module, "__all__", ()))
        ordered = list(names) or exported
        ordered += [n for n in exported if n not in ordered]
        toc.append(f"- [`{module_name}`](#{_anchor(module_name)}): {purpose}")
        body += ["", f"## {module_name}", "", _markdown(_first_paragraph(inspect.getdoc(module)))]
        for name in ordered:
            body += _api_entry(f"{module_name}.{name}", getattr(module, name))
    return "\n".join([*lines, *toc, *body]) + "\n"


def _api_entry(qualified: str, obj: Any) -> list[str]:
    lines = ["", f"### `{qualified}`", ""]
    short = qualified.rsplit(".", 1)[1]
    if inspect.isclass(obj):
        lines += _class_entry(short, obj)
    elif callable(obj) and not _is_alias(obj):
        lines += ["```python", _signature(short, obj), "```", ""]
        lines += [_markdown(inspect.getdoc(obj) or "")]
    else:  # a type alias
        lines += ["```python", f"{short} = {_alias_text(obj)}", "```"]
    return lines


def _is_alias(obj: Any) -> bool:
    return typing.get_origin(obj) is not None


def _alias_text(obj: Any) -> str:
    return re.sub(r"\b(?:typing|collections\.abc|govsim(?:\.\w+)*)\.", "", str(obj))


def _class_entry(name: str, cls: type) -> list[str]:
    lines: list[str] = []
    if issubclass(cls, BaseModel):
        lines += [f"A pydantic model (class `{name}`); its fields are in the schema pages.", ""]
    elif typing.Protocol in cls.__mro__:
        lines += [f"A protocol (class `{name}`): what an implementation provides.", ""]
    elif issubclass(cls, BaseException) and "__init__" not in cls.__dict__:
        bases = ", ".join(b.__name__ for b in cls.__bases__)
        lines += ["```python", f"class {name}({bases})", "```", ""]
    else:
        target = cls.__init__ if issubclass(cls, BaseException) else cls
        signature = _signature(name, target, drop_self=True, returns=False)
        lines += ["```python", f"class {signature}", "```", ""]
    doc = inspect.getdoc(cls) if "__doc__" in cls.__dict__ else None
    if doc and not doc.startswith(f"{name}("):  # not the docstring dataclasses make up
        lines += [_markdown(doc), ""]
    attributes = _attributes(cls)
    if attributes:
        lines += ["| attribute | type | meaning |", "| --- | --- | --- |"]
        lines += [
            f"| `{a}` | {_cell_code(t)} | {_markdown(_one_line(d)).replace('|', '/')} |"
            for a, t, d in attributes
        ]
        lines.append("")
    for method_name, method in _methods(cls):
        lines += [
            f"#### `{name}.{method_name}`",
            "",
            "```python",
            _signature(method_name, method, drop_self=True),
            "```",
            "",
        ]
        doc = inspect.getdoc(method)
        if doc:
            lines += [_markdown(doc), ""]
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def _attributes(cls: type) -> list[tuple[str, str, str]]:
    """(name, type, docstring) of the public attributes: annotated in the class body, assigned
    in ``__init__`` with a docstring below, and properties."""
    found: dict[str, tuple[str, str]] = {}
    tree = _class_tree(cls)
    if tree is not None:
        for stmt, doc in _documented(tree.body):
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                found[stmt.target.id] = (ast.unparse(stmt.annotation), doc)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == "__init__":
                for stmt, doc in _documented(node.body):
                    target: ast.expr | None = None
                    if isinstance(stmt, ast.AnnAssign):
                        target = stmt.target
                    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                        target = stmt.targets[0]
                    if (
                        doc
                        and isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == "self"
                    ):
                        annotation = (
                            ast.unparse(stmt.annotation) if isinstance(stmt, ast.AnnAssign) else ""
                        )
                        found.setdefault(target.attr, (annotation, doc))
    for attr, value in cls.__dict__.items():
        if isinstance(value, property) and value.fget is not None:
            returns = inspect.signature(value.fget).return_annotation
            annotation = "" if returns is inspect.Signature.empty else _annotation(returns)
            found[attr] = (annotation, inspect.getdoc(value) or "")
    if issubclass(cls, BaseModel):  # fields are in the schema pages
        found = {k: v for k, v in found.items() if k not in cls.model_fields}
    return [(k, t, d) for k, (t, d) in found.items() if not k.startswith("_")]


def _class_tree(cls: type) -> ast.ClassDef | None:
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return None
    node = ast.parse(source).body[0]
    return node if isinstance(node, ast.ClassDef) else None


def _documented(body: list[ast.stmt]) -> Iterator[tuple[ast.stmt, str]]:
    """Each statement with the string literal right below it ('' if none)."""
    for i, stmt in enumerate(body):
        below = body[i + 1] if i + 1 < len(body) else None
        doc = ""
        if (
            isinstance(below, ast.Expr)
            and isinstance(below.value, ast.Constant)
            and isinstance(below.value.value, str)
        ):
            doc = inspect.cleandoc(below.value.value)
        yield stmt, doc


def _methods(cls: type) -> list[tuple[str, Callable[..., Any]]]:
    """Public methods defined in the class itself (not inherited, not generated)."""
    found: list[tuple[str, Callable[..., Any]]] = []
    for attr, value in cls.__dict__.items():
        function = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
        if attr.startswith("_") or not inspect.isfunction(function):
            continue
        if dataclasses.is_dataclass(cls) and function.__qualname__.split(".")[0] != cls.__name__:
            continue
        found.append((attr, function))
    return found


def _cell_code(text: str) -> str:
    """``text`` as code in a table cell (a ``|`` escaped, as GitHub's tables need); '' stays
    empty."""
    return f"`{text.replace('|', chr(92) + '|')}`" if text else ""


class _Text(str):
    """An annotation or default shown as written: ``inspect`` prints it without quotes."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


def _annotation(value: Any) -> str:
    if isinstance(value, str):
        return value
    return _alias_text(inspect.formatannotation(value))


def _signature(
    name: str, obj: Callable[..., Any], drop_self: bool = False, returns: bool = True
) -> str:
    """``name(a: int, b: str = 'x') -> T`` as written in the source, one parameter per line
    when it does not fit on one."""
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return f"{name}(...)"
    parameters = list(signature.parameters.values())
    if drop_self and parameters and parameters[0].name in ("self", "cls"):
        parameters = parameters[1:]
    empty = inspect.Parameter.empty
    shown = [
        p.replace(
            annotation=empty if p.annotation is empty else _Text(_annotation(p.annotation)),
            default=empty if p.default is empty else _Text(_default_text(p.default)),
        )
        for p in parameters
    ]
    result = signature.return_annotation if returns else inspect.Signature.empty
    clean = inspect.Signature(
        shown,
        return_annotation=inspect.Signature.empty
        if result is inspect.Signature.empty
        else _Text(_annotation(result)),
        __validate_parameters__=False,
    )
    one_line = f"{name}{clean}"
    if len(one_line) <= 92:
        return one_line
    inner = str(clean.replace(return_annotation=inspect.Signature.empty))[1:-1]
    arrow = "" if clean.return_annotation is inspect.Signature.empty else " -> "
    arrow += "" if not arrow else str(clean.return_annotation)
    return f"{name}(\n" + "".join(f"    {p},\n" for p in _split_top(inner)) + f"){arrow}"


def _split_top(text: str) -> list[str]:
    """``a: int, b: dict[str, int] = {}`` split at the commas outside brackets."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def _default_text(value: Any) -> str:
    if isinstance(value, Path):
        return f"Path({str(value)!r})"
    text = repr(value)
    return re.sub(r" at 0x[0-9a-f]+", "", text)  # no memory addresses: the page must not drift


# -- text helpers ------------------------------------------------------------------------------
ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|exc|obj):`(~?)([^`]+)`")


def _markdown(doc: str) -> str:
    """reST-flavoured docstring text as Markdown: roles and double backquotes to code."""

    def role(match: re.Match[str]) -> str:
        target = match.group(2)
        return f"`{target.rsplit('.', 1)[-1] if match.group(1) else target}`"

    text = ROLE.sub(role, doc)
    text = text.replace("``", "`")
    return re.sub(r"::$", ":", text, flags=re.MULTILINE)


def _first_paragraph(doc: str | None) -> str:
    return (doc or "").split("\n\n")[0].strip()


def _one_line(doc: str) -> str:
    """The first paragraph of ``doc`` on one line (for a table cell)."""
    return " ".join(_markdown(_first_paragraph(doc)).split())


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")) if text else text


def write_pages(folder: str | Path, parser: argparse.ArgumentParser) -> list[Path]:
    """Write every reference page into ``folder`` (each atomically), the command line's from
    ``parser``; return their paths."""
    from govsim.core.io import atomic_write

    def writer(text: str) -> Callable[[str], object]:
        return lambda tmp: Path(tmp).write_text(text, encoding="utf-8")

    written = []
    for file_name, make in pages(parser).items():
        target = Path(folder) / file_name
        atomic_write(target, writer(make()))
        written.append(target)
    return written
