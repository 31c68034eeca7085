"""Texts that nest deeply, in the text or only in the algebra, cannot bring the service down.

Oxigraph parses and optimises recursively. Before ``engine.nesting`` and
``engine.deep_stack``, 4,000 nested groups or 3,000 ``BIND`` clauses in a row overflowed
an 8 MiB thread stack: a query lost its worker process (then 503, "try again"), an
update, which Oxigraph parses in the service's own process, ended the service. The
service runs here as ``mipex-kg serve`` in a process of its own, so that such a crash
would show as a dead service rather than a dead test run.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mipex_kg.engine.nesting import (
    MAX_NESTING,
    NestedTooDeeply,
    check_json_nesting,
    check_nesting,
)
from mipex_kg.graph.store import KnowledgeStore

from tests.faults.processes import Service, service

G = "http://example.org/deep"
BINDS = "".join(f"BIND({number} AS ?v{number}) " for number in range(4000))


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    folder = tmp_path_factory.mktemp("deep")
    KnowledgeStore(folder / "store").close()
    with service(folder / "store", folder / "service.log") as served:
        yield served


def _problem(response: object) -> str:
    code: str = response.json()["error"]  # type: ignore[attr-defined]
    return code


def test_a_query_nested_too_deeply_is_refused_before_it_runs(running: Service) -> None:
    query = "SELECT * WHERE " + "{" * 5000 + "}" * 5000
    answer = running.http.post(f"{running.url}/sparql", data={"query": query})
    assert answer.status_code == 400 and _problem(answer) == "nested_too_deeply"
    assert f"at most {MAX_NESTING}" in answer.json()["detail"]
    just = "SELECT * WHERE " + "{" * MAX_NESTING + "}" * MAX_NESTING
    assert running.http.post(f"{running.url}/sparql", data={"query": just}).status_code == 200


def test_a_query_that_nests_only_in_its_algebra_is_answered(running: Service) -> None:
    answer = running.http.post(f"{running.url}/sparql", data={"query": f"SELECT * {{ {BINDS}}}"},
                               headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"]["bindings"][0]["v3999"]["value"] == "3999"


def test_an_update_nested_too_deeply_is_refused_and_changes_nothing(running: Service) -> None:
    update = f"INSERT {{ GRAPH <{G}> {{ <{G}#a> <{G}#p> 1 }} }} WHERE " + "{" * 5000 + "}" * 5000
    answer = running.update(update)
    assert answer.status_code == 400 and _problem(answer) == "nested_too_deeply"
    assert running.select(f"SELECT * {{ GRAPH <{G}> {{ ?s ?p ?o }} }}") == []


def test_an_update_that_nests_only_in_its_algebra_leaves_the_service_up(running: Service) -> None:
    update = f"INSERT {{ GRAPH <{G}> {{ <{G}#a> <{G}#p> ?v3999 }} }} WHERE {{ {BINDS}}}"
    answer = running.update(update)
    assert answer.status_code == 204, answer.text
    assert running.process.poll() is None
    assert running.select(f"SELECT ?o {{ GRAPH <{G}> {{ ?s ?p ?o }} }}") == [{"o": "3999"}]
    running.update(f"DROP GRAPH <{G}>")


def test_a_json_ld_upload_nested_too_deeply_is_refused_and_the_service_stays(
        running: Service) -> None:
    """Oxigraph's JSON-LD parser recurses (10,000 levels crashed it): such a body is
    refused before it is parsed; its Turtle parser does not, and reads 10,000 levels."""
    deep = b'{"@id": "http://example.org/a", "http://example.org/p": ' * 10000
    body = deep + b'{"@id": "http://example.org/b"}' + b"}" * 10000
    answer = running.http.put(f"{running.url}/rdf-graphs/service", params={"graph": G},
                              content=body, headers={"Content-Type": "application/ld+json"})
    assert answer.status_code == 400 and _problem(answer) == "nested_too_deeply"
    turtle = b"<http://example.org/a> <http://example.org/p> "
    turtle += b"[ <http://example.org/p> " * 10000 + b"<http://example.org/b>" + b" ]" * 10000 + b" ."
    answer = running.http.put(f"{running.url}/rdf-graphs/service", params={"graph": G},
                              content=turtle, headers={"Content-Type": "text/turtle"})
    assert answer.status_code in (201, 204), answer.text
    assert running.process.poll() is None
    running.update(f"DROP GRAPH <{G}>")


@pytest.mark.parametrize(("check", "text", "deep"), [
    (check_nesting, "SELECT * { ?s ?p ?o }", False),
    (check_nesting, "ASK " + "{" * (MAX_NESTING + 1) + "}" * (MAX_NESTING + 1), True),
    (check_nesting, "ASK { FILTER(" + "(" * MAX_NESTING + "1" + ")" * MAX_NESTING + ") }",
     True),  # one more
    (check_nesting,
     "SELECT * { ?s ?p " + "[ <p> " * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1) + " }", True),
    (check_nesting, "ASK { BIND('" + "{" * 1000 + "' AS ?x) }", False),  # in a string
    (check_nesting, "ASK { <http://x/" + "(" * 1000 + "> ?p ?o }", False),  # in an IRI
    (check_nesting, "ASK {\n# " + "[" * 1000 + "\n}", False),  # in a comment
    (check_json_nesting, b'{"a": [' * 64 + b"1" + b"]}" * 64, False),
    (check_json_nesting, b'{"a": [' * 65 + b"1" + b"]}" * 65, True),
    (check_json_nesting, b'{"a": "' + b"[{" * 1000 + b'"}', False),  # in a string
    (check_json_nesting, b'{"a": "\\"' + b", " + b'"b": "\"' + b"[" * 1000 + b'"}',
     False),  # escaped quotes
])
def test_nesting_counts_brackets_outside_strings_iris_and_comments(
        check: Callable[[Any], None], text: str | bytes, deep: bool) -> None:
    if deep:
        with pytest.raises(NestedTooDeeply, match="nests"):
            check(text)
    else:
        check(text)


def test_without_room_for_a_deep_stack_the_thread_starts_on_the_default_one() -> None:
    """Under an address-space limit too tight for the reservation, a query thread still
    starts (with a warning) rather than leaving the worker without threads."""
    program = (
        "import resource, threading\n"
        "from mipex_kg.engine.deep_stack import STACK_BYTES, start_deep_thread\n"
        "with open('/proc/self/statm') as statm:\n"
        "    size = int(statm.read().split()[0]) * resource.getpagesize()\n"
        "limit = size + STACK_BYTES // 2\n"
        "resource.setrlimit(resource.RLIMIT_AS, (limit, limit))\n"
        "ran = []\n"
        "start_deep_thread(ran.append, 'ran', name='probe').join()\n"
        "print(ran)\n"
    )
    finished = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                              timeout=60)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "['ran']"
    assert "runs on the default one" in finished.stderr
