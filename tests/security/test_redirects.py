"""An allowed endpoint that redirects does not lead the service elsewhere.

The redirector is allowed (a SERVICE endpoint and a LOAD source) but answers every
request with ``307`` to the first canary, as a compromised or misconfigured remote
could. The service must call the redirector (else the test proves nothing) and must
not follow it: the canaries count nothing, and the answer is no internal error (a
refusal, a gateway error, or with SILENT an empty success).
"""

from __future__ import annotations

import pytest

from tests.api.live import TOKEN, LiveServer
from tests.security.attacks import Attack
from tests.security.canary import Canaries, Canary
from tests.security.transport import finding, send


def _check(attack: Attack, service: LiveServer, canary_pair: Canaries,
           redirector: Canary) -> None:
    called = redirector.connections()
    outcomes = send(service.http, service.endpoint, attack, TOKEN)
    connections = canary_pair.new_connections()
    report = finding(attack, outcomes, connections)
    assert redirector.connections() > called, f"the redirector was not called: {report}"
    assert connections == 0 and all(o.status != 500 for o in outcomes), report


@pytest.mark.parametrize("silent", ["", "SILENT"])
def test_a_service_redirect_is_not_followed(silent: str, service: LiveServer,
                                            canary_pair: Canaries, redirector: Canary) -> None:
    text = f"SELECT * {{ SERVICE {silent} <{redirector.url}> {{ ?s ?p ?o }} }}"
    _check(Attack("query", text, "redirect", (silent or "plain",)), service, canary_pair,
           redirector)


def test_a_load_redirect_is_not_followed(service: LiveServer, canary_pair: Canaries,
                                         redirector: Canary) -> None:
    text = f"LOAD SILENT <{redirector.url}> INTO GRAPH <http://example.org/loaded>"
    _check(Attack("update", text, "redirect", ("LOAD",)), service, canary_pair, redirector)
