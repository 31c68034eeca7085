"""No request reaches the network: the whole corpus, every way it can be sent.

For each family of ``attacks``, hypothesis draws its examples (derandomized); each is
sent by every protocol route (queries: GET, form POST, direct POST; updates: form and
direct POST, with the bearer token and without). Every response must be a refusal
(4xx) or a success, never a 5xx, and the canaries must count no new connection. The
check runs per example, so a failure is shrunk to the plainest attack that still
gets through; the test id names the family (the kind of bypass).
"""

from __future__ import annotations

import pytest

from tests.api.live import TOKEN, LiveServer
from tests.security.attacks import FAMILIES, Attack, Family
from tests.security.canary import Canaries
from tests.security.dimensions import Targets
from tests.security.explore import explore
from tests.security.transport import finding, harmless, send


def test_the_corpus_has_at_least_500_distinct_operations() -> None:
    """Each family's test below checks it sent its share; the shares add up to 500."""
    assert sum(family.distinct for family in FAMILIES) >= 500


@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: family.name)
def test_no_attack_reaches_the_network(family: Family, service: LiveServer,
                                       canary_pair: Canaries, targets: Targets) -> None:
    def check(attack: Attack) -> None:
        outcomes = send(service.http, service.endpoint, attack, TOKEN)
        connections = canary_pair.new_connections()
        bad = [o for o in outcomes if not harmless(o)]
        assert not connections and not bad, finding(attack, outcomes, connections)

    checked = explore(family.strategy(targets), family.examples, check)
    assert len(checked) >= family.distinct
    assert canary_pair.new_connections() == 0  # none after the last response either
