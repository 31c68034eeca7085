"""The corpus says the truth about itself, and is live.

Each family's attacks are run on the bare engine (a pyoxigraph store with the
service's data, no service in front) with the canaries listening:

* a text marked valid in the engine's grammar parses, one marked invalid does not
  (§19.2 escapes outside IRIs and strings, ``_:b.SERVICE``);
* for the families the engine itself would send to the network (SERVICE, LOAD), at
  least a third of the valid attacks do make the bare engine connect to a canary.
  So the service's zero connections in ``test_no_network`` is the service's doing,
  not a corpus that never reaches anything. (Some attacks cannot reach: pyoxigraph
  leaves ``SERVICE ?v`` unbound, short-circuits some ASK and nested patterns.)
"""

from __future__ import annotations

import pytest

from tests.security.attacks import FAMILIES, Attack, Family
from tests.security.canary import Canaries
from tests.security.dimensions import Targets
from tests.security.engine import run_in_engine
from tests.security.explore import explore

_SAMPLE = 40


@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: family.name)
def test_the_bare_engine_parses_and_connects_as_the_corpus_claims(
        family: Family, targets: Targets, canary_pair: Canaries) -> None:
    valid = reached = 0
    canary_pair.new_connections()

    def check(attack: Attack) -> None:
        nonlocal valid, reached
        parsed = run_in_engine(attack) != "syntax error"
        connected = canary_pair.new_connections() > 0
        assert parsed == attack.engine_valid, (
            f"{attack.describe()} is marked {'valid' if attack.engine_valid else 'invalid'} "
            f"but pyoxigraph {'parses' if parsed else 'refuses'} it:\n{attack.text}")
        valid += parsed
        reached += connected

    explore(family.strategy(targets), _SAMPLE, check)
    if family.reaches_engine:
        assert reached * 3 >= valid > 0, f"{reached} of {valid} valid attacks connected"
