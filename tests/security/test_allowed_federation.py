"""Positive controls: federated queries to the allow-listed endpoint still work, and so
does a LOAD from an allowed source.

However the allowed endpoint is written (full IRI, prefixed name, BASE and a relative
IRI, letter case, §19.2 escapes), silent or nested in OPTIONAL or behind glue, and
whichever protocol route carries the query, the answer is 200 with the endpoint's
rows. Without these, a service that refused every SERVICE would pass the suite.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.api.live import TOKEN, LiveServer
from tests.security.attacks import Attack
from tests.security.canary import Canaries
from tests.security.data import EX, REMOTE_LABEL, REMOTE_LABELS
from tests.security.standin import graph_store
from tests.security.transport import send_query, send_update

_PATTERN = f"{{ ?r <{REMOTE_LABEL}> ?label }}"


def _origin_and_path(url: str) -> tuple[str, str]:
    origin, _, path = url.partition("://")[2].partition("/")
    return f"http://{origin}/", path


#: Ways to write a query calling the allowed endpoint ``url``.
CONTROLS: dict[str, Callable[[str], str]] = {
    "full IRI": lambda url: f"SELECT ?label {{ SERVICE <{url}> {_PATTERN} }}",
    "prefixed name": lambda url: (
        f"PREFIX eu: <{_origin_and_path(url)[0]}>\n"
        f"SELECT ?label {{ SERVICE eu:{_origin_and_path(url)[1]} {_PATTERN} }}"),
    "BASE and a relative IRI": lambda url: (
        f"BASE <{_origin_and_path(url)[0]}>\n"
        f"SELECT ?label {{ SERVICE <{_origin_and_path(url)[1]}> {_PATTERN} }}"),
    "lower case": lambda url: f"select ?label {{ service <{url}> {_PATTERN} }}",
    "mixed case": lambda url: f"SeLeCt ?label {{ sErViCe <{url}> {_PATTERN} }}",
    "escaped IRI": lambda url: (
        f"SELECT ?label {{ SERVICE <{url.replace(':', chr(92) + 'u003A', 1)}> {_PATTERN} }}"),
    "escaped keyword": lambda url: f"SELECT ?label {{ \\u0053ERVICE <{url}> {_PATTERN} }}",
    "SILENT": lambda url: f"SELECT ?label {{ SERVICE SILENT <{url}> {_PATTERN} }}",
    "in OPTIONAL": lambda url: f"SELECT ?label {{ OPTIONAL {{ SERVICE <{url}> {_PATTERN} }} }}",
    "behind glue": lambda url: (
        f"SELECT DISTINCT ?label {{ ?s ?p true.SERVICE<{url}>{_PATTERN} }}"),
}


def _labels(body: str) -> list[str]:
    return sorted(b["label"]["value"] for b in json.loads(body)["results"]["bindings"])


@pytest.mark.parametrize("name", CONTROLS)
def test_the_allowed_endpoint_answers(name: str, service: LiveServer, allowed_endpoint: str,
                                      canary_pair: Canaries) -> None:
    query = Attack("query", CONTROLS[name](allowed_endpoint), "control", (name,))
    for outcome in send_query(service.http, service.endpoint, query):
        assert outcome.status == 200, (
            f"{outcome.way}: {outcome.status} {outcome.body}\n{query.text}")
        assert _labels(outcome.body) == sorted(REMOTE_LABELS), f"{outcome.way}\n{query.text}"
    assert canary_pair.new_connections() == 0


def test_a_load_from_an_allowed_source_works(service: LiveServer, allowed_endpoint: str,
                                            canary_pair: Canaries) -> None:
    graph = f"{EX}loaded"
    load = Attack("update", f"LOAD <{graph_store(allowed_endpoint)}> INTO GRAPH <{graph}>",
                  "control", ("LOAD",))
    outcomes = send_update(service.http, service.endpoint, load, TOKEN)
    assert [o.status for o in outcomes] == [204, 204, 401, 401], outcomes
    query = f"SELECT ?label {{ GRAPH <{graph}> {_PATTERN} }}"
    response = service.http.get(service.endpoint, params={"query": query})
    assert response.status_code == 200 and _labels(response.text) == sorted(REMOTE_LABELS)
    assert canary_pair.new_connections() == 0
