"""The corpus says the truth about itself: a text marked valid in the engine's grammar
parses in pyoxigraph, a text marked invalid does not (§19.2 escapes outside IRIs and
strings, ``_:b.SERVICE``).

Checked on a bare pyoxigraph store whose every target is a closed port (a socket
bound but not listening), so the evaluation that follows a parse connects nowhere.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from tests.security.attacks import FAMILIES, Attack, Family
from tests.security.dimensions import Targets
from tests.security.engine import run_in_engine
from tests.security.explore import explore

_SAMPLE = 30


@pytest.fixture(scope="module")
def closed_targets() -> Iterator[Targets]:
    """Targets on ports that refuse connections, held closed for the whole module."""
    with ExitStack() as stack:
        ports = []
        for host in ("127.0.0.1", "127.0.0.2", "127.0.0.1"):
            sock = stack.enter_context(socket.socket())
            sock.bind((host, 0))
            ports.append((host, sock.getsockname()[1]))
        yield Targets(ports[0], ports[1], f"http://127.0.0.1:{ports[2][1]}/query")


@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: family.name)
def test_texts_are_valid_where_the_disguise_is(family: Family, closed_targets: Targets) -> None:
    def check(attack: Attack) -> None:
        parsed = run_in_engine(attack) != "syntax error"
        assert parsed == attack.engine_valid, (
            f"{attack.describe()} is marked {'valid' if attack.engine_valid else 'invalid'} "
            f"but pyoxigraph {'parses' if parsed else 'refuses'} it:\n{attack.text}")

    explore(family.strategy(closed_targets), _SAMPLE, check)
