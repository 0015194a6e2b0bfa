"""Typed building blocks of every parameter file: strict sections, durations, shares.

Shared by the scenario schema, the policy specs and the experiment schema. Kept outside
``govsim.scenario`` so that policy modules can define their parameters without importing
the scenario schema (which imports them).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from govsim.core.bounds import MAX_CV, MAX_HOURS

SHARE_TOLERANCE = 1e-6
"""How far shares may sum from 1 (floating-point sums of decimal shares)."""


class FieldError(ValueError):
    """A validation error that knows which key, below the validated model, is at fault."""

    def __init__(self, message: str, *path: str | int) -> None:
        super().__init__(message)
        self.path = path


class Strict(BaseModel):
    """Base for every section: unknown keys are errors, not silently ignored.

    Where a number is meant, only a number is taken: ``rate: true`` and ``rate: "2"``
    are refused (pydantic alone would read them as 1.0 and 2), and so are NaN and infinity.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _numbers_are_numbers(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, check in _number_checks(cls).items():
                if name in data:
                    check(data[name], (name,))
        return data


NumberCheck = Callable[[Any, tuple[str | int, ...]], None]
_CHECKS: dict[type, dict[str, NumberCheck]] = {}


def _number_checks(model: type[BaseModel]) -> dict[str, NumberCheck]:
    """Per field of ``model`` that holds numbers, a check that refuses booleans and text."""
    if model not in _CHECKS:
        checks = {}
        for name, field in model.model_fields.items():
            check = _check_for(field.annotation)
            if check is not None:
                checks[name] = check
        _CHECKS[model] = checks
    return _CHECKS[model]


def _check_for(annotation: Any) -> NumberCheck | None:
    """A check for values of ``annotation`` (None when it holds no plain number)."""
    if annotation in (int, float):
        return _scalar
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if any(a in (str, bool) for a in args):
            return None
        members = [c for c in (_check_for(a) for a in args) if c is not None]
        return _first_that_fits(members) if members else None
    if origin in (list, tuple) and args:
        inner = _check_for(args[0])
        return _each(inner) if inner is not None else None
    if origin is dict and len(args) == 2:
        inner = _check_for(args[1])
        return _each_value(inner) if inner is not None else None
    return None


def _scalar(value: Any, path: tuple[str | int, ...]) -> None:
    if isinstance(value, bool):
        raise FieldError(f"expected a number, not {str(value).lower()} (a yes/no value)", *path)
    if isinstance(value, str):
        raise FieldError(f"expected a number, not the text '{value}'", *path)


def _each(check: NumberCheck) -> NumberCheck:
    def each(value: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(value, list | tuple):
            for i, item in enumerate(value):
                check(item, (*path, i))

    return each


def _each_value(check: NumberCheck) -> NumberCheck:
    def each_value(value: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                check(item, (*path, key))

    return each_value


def _first_that_fits(checks: list[NumberCheck]) -> NumberCheck:
    """``int | list[int]``: a scalar is checked as a scalar, a list item by item."""

    def fits(value: Any, path: tuple[str | int, ...]) -> None:
        if value is None:
            return
        if isinstance(value, list | tuple | dict):
            for check in checks:
                if check is not _scalar:
                    check(value, path)
            return
        if _scalar in checks:
            _scalar(value, path)

    return fits


def check_shares(shares: dict[str, float], what: str) -> dict[str, float]:
    total = sum(shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ValueError(f"{what} shares must sum to 1, they sum to {total:.6g}")
    return shares


class Distribution(Strict):
    """A non-negative random duration, in hours.

    ``exponential`` uses ``mean`` only; ``lognormal`` and ``gamma`` take ``mean``
    and coefficient of variation ``cv``; ``deterministic`` is always ``mean``.
    """

    kind: Literal["exponential", "lognormal", "gamma", "deterministic"] = Field(
        "exponential", description="Family of the distribution."
    )
    mean: float = Field(..., ge=0, le=MAX_HOURS, description="Mean duration (hours).")
    cv: float = Field(
        1.0,
        gt=0,
        le=MAX_CV,
        description="Coefficient of variation (sd / mean, no unit); lognormal and gamma only.",
    )


def fixed(hours: float) -> Distribution:
    return Distribution(kind="deterministic", mean=hours)


def expo(hours: float) -> Distribution:
    return Distribution(kind="exponential", mean=hours)
