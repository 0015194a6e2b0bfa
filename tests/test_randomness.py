"""The samplers of govsim/core/randomness.py as a server pool's ``start_service``."""

import functools

from govsim.core.parameters import Distribution
from govsim.core.randomness import RandomStreams, per_item


def test_per_item_hands_out_the_samplers_draws_in_order() -> None:
    for kind in ("exponential", "lognormal", "deterministic"):
        dist = Distribution(kind=kind, mean=0.1, cv=0.5)
        plain = RandomStreams(3).duration("x", dist)
        wrapped = per_item(RandomStreams(3).duration("x", dist))
        assert isinstance(wrapped, functools.partial)  # C-level: no Python frame per draw
        items = [object(), None, 7]
        assert [wrapped(items[i % 3]) for i in range(600)] == [plain() for _ in range(600)]


def test_per_item_wraps_any_other_callable() -> None:
    draws = iter([1.5, 2.5])
    wrapped = per_item(lambda: next(draws))
    assert not isinstance(wrapped, functools.partial)
    assert (wrapped("a"), wrapped("b")) == (1.5, 2.5)
