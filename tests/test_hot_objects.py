"""The objects every case passes through keep their attributes where CPython 3.11's specialised
attribute reads and method calls find them: at most 30 attributes in the instance, or slots
(docs/performance.md, "At most 30 attributes on a busy object, or slots"). A 31st attribute
would slow every ``self.x`` of the object silently; nothing else would fail."""

from __future__ import annotations

from conftest import SCENARIOS_DIR

import govsim
from govsim.simulate import new_run

INLINE_ATTRIBUTES = 30
"""CPython 3.11's SHARED_KEYS_MAX_SIZE: past it, an object's attributes move to a dict of its
own."""


def test_the_run_and_its_agents_keep_their_attributes_inline() -> None:
    run = new_run(govsim.load_scenario(SCENARIOS_DIR / "baseline.yaml", ["days=2"]), seed=3)
    run.run()
    problems = run.mechanism("problems")
    assert problems is not None
    busy = [run, *vars(run).values(), *vars(problems).values()]
    checked = 0
    for obj in busy:
        if not type(obj).__module__.startswith("govsim") or not hasattr(obj, "__dict__"):
            continue  # slotted (or not the model's own)
        checked += 1
        assert len(vars(obj)) <= INLINE_ATTRIBUTES, (
            f"{type(obj).__qualname__} has {len(vars(obj))} attributes: give it __slots__"
        )
    assert checked >= 5
    assert not hasattr(problems.stock, "__dict__")  # the stock's 40-odd attributes are slots
