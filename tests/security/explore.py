"""Running a check over a family's attacks: hypothesis, derandomized, shrinking on failure.

The tests and ``bench/bench_canary.py`` both call ``explore``, so they send the same
corpus: the draw sequence depends only on the strategy and the example count (the
seed is derived from this module's inner function, the same for every caller), not
on the clock. Only the canaries' ports differ from one run to the next.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.security.attacks import Attack


def explore(strategy: st.SearchStrategy[Attack], examples: int,
            check: Callable[[Attack], None]) -> set[tuple[str, str, tuple[tuple[str, str], ...]]]:
    """Call ``check`` on ``examples`` attacks drawn from ``strategy``.

    A failing check is shrunk to the plainest attack that still fails, and re-raised.
    Returns the distinct operations checked (kind, text, protocol parameters).
    """
    checked: set[tuple[str, str, tuple[tuple[str, str], ...]]] = set()

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              phases=(Phase.generate, Phase.shrink), print_blob=False,
              suppress_health_check=(HealthCheck.too_slow, HealthCheck.filter_too_much))
    @given(strategy)
    def run(attack: Attack) -> None:
        checked.add((attack.kind, attack.text, attack.params))
        check(attack)

    run()
    return checked
