"""Generate a schema reference page from pydantic models: ``docs/scenarios.md`` from the
scenario schema, and (called by :mod:`govsim.app.reference_pages`) ``docs/experiments-schema.md``
from the experiment schema.

One section per model, reached breadth-first from the root model through its fields; one
row per field with its type, default, description and bounds. The pages cannot drift from
the code: ``tests/test_docs.py`` regenerates them and compares.
"""

from __future__ import annotations

import inspect
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from govsim.scenario import schema

HEADER = """# Scenario reference

Generated from `govsim/scenario/schema.py` by `govsim docs`; do not edit by hand.

A scenario is a YAML mapping. Unknown keys are errors. Times are in **hours** unless
the key says otherwise; arrival rates are appeals per 1,000 residents per day. Any key
can be overridden on the command line by its dotted path, for example
`govsim run scenarios/baseline.yaml --set hotline.operators=6 --set categories.housing.rate=0.5`
(list items are addressed by index or by `name`).

"""


def scenario_reference() -> str:
    """The text of ``docs/scenarios.md``."""
    return schema_reference(schema.Scenario, HEADER)


def schema_reference(root: type[BaseModel], header: str) -> str:
    """``header``, then a section for ``root`` and for every model its fields reach."""
    sections: list[str] = [header]
    seen: set[type[BaseModel]] = set()
    queue: list[tuple[str, type[BaseModel]]] = [("(top level)", root)]
    while queue:
        path, model = queue.pop(0)
        if model in seen:
            continue
        seen.add(model)
        sections.append(_section(path, model, queue))
    return "\n".join(sections)


def _section(path: str, model: type[BaseModel], queue: list[tuple[str, type[BaseModel]]]) -> str:
    doc = inspect.cleandoc(model.__doc__ or "")
    lines = [f"## `{model.__name__}` ({path})", ""]
    if doc:
        lines += [doc, ""]
    lines += ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for name, field in model.model_fields.items():
        for sub in _models_in(field.annotation):
            queue.append((f"{path}.{name}" if path != "(top level)" else name, sub))
        lines.append(
            f"| `{name}` | {_type_name(field.annotation)} | {_default(field)} | "
            f"{(field.description or '').replace('|', '/')}{_bounds(field)} |"
        )
    return "\n".join(lines) + "\n"


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found += _models_in(arg)
    return found


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(annotation))
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in typing.get_args(annotation))
    if origin in (list, dict, tuple):
        inner = ", ".join(_type_name(a) for a in typing.get_args(annotation))
        return f"{origin.__name__}[{inner}]"
    if annotation is type(None):
        return "null"
    return getattr(annotation, "__name__", str(annotation))


def _default(field: FieldInfo) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    value = field.get_default(call_default_factory=True, validated_data={})
    if isinstance(value, BaseModel):
        data = value.model_dump(mode="json", exclude_defaults=False)
        text = ", ".join(f"{k}: {v}" for k, v in data.items() if v is not None)
        return f"`{{{text}}}`" if len(text) < 80 else "see section"
    if isinstance(value, dict) and value and isinstance(next(iter(value.values())), BaseModel):
        changed = {k: v.model_dump(mode="json", exclude_defaults=True) for k, v in value.items()}
        text = ", ".join(f"{k}: {v}" for k, v in changed.items())
        return f"`{{{text}}}`" if len(text) < 40 else "see section"
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return f"`{text}`" if len(text) < 60 else "see schema"


def _bounds(field: FieldInfo) -> str:
    parts = []
    for item in field.metadata:
        for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            value = getattr(item, attr, None)
            if value is not None:
                parts.append(f"{sign} {value}")
    return f" ({', '.join(parts)})" if parts else ""
