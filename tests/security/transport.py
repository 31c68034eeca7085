"""Sending one attack every way the SPARQL 1.1 Protocol allows.

A query goes by GET, by form POST and by direct POST (``application/sparql-query``);
an update by form POST and by direct POST (``application/sparql-update``), each with
the bearer token and without it. Protocol parameters of the attack (dataset IRIs) go
in the URL, or in the form body for a form POST.

Every request gets a comment line of its own at the end of the text (``#req 17``), so
the service's response cache, keyed by text, never answers a request from an earlier
one: an attack sent three ways reaches the engine three times, and again when
hypothesis replays it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx

from tests.security.attacks import Attack

FORM = "application/x-www-form-urlencoded"
_requests = itertools.count()


@dataclass(frozen=True)
class Outcome:
    """How an attack was sent and what came back."""

    way: str
    status: int
    body: str


def _unique(text: str) -> str:
    return f"{text}\n#req {next(_requests)}"


def _outcome(way: str, response: httpx.Response) -> Outcome:
    return Outcome(way, response.status_code, response.text)


def _form(http: httpx.Client, endpoint: str, name: str, attack: Attack,
          headers: dict[str, str]) -> httpx.Response:
    pairs = [(name, _unique(attack.text)), *attack.params]
    return http.post(endpoint, content=urlencode(pairs).encode(),
                     headers={"Content-Type": FORM, **headers})


def _direct(http: httpx.Client, endpoint: str, attack: Attack, media_type: str,
            headers: dict[str, str]) -> httpx.Response:
    return http.post(endpoint, params=list(attack.params), content=_unique(attack.text).encode(),
                     headers={"Content-Type": media_type, **headers})


def send_query(http: httpx.Client, endpoint: str, attack: Attack) -> list[Outcome]:
    """The query by GET, form POST and direct POST."""
    get = http.get(endpoint, params=[("query", _unique(attack.text)), *attack.params])
    return [
        _outcome("GET", get),
        _outcome("form POST", _form(http, endpoint, "query", attack, {})),
        _outcome("direct POST", _direct(http, endpoint, attack, "application/sparql-query", {})),
    ]


def send_update(http: httpx.Client, endpoint: str, attack: Attack,
                token: str | None) -> list[Outcome]:
    """The update by form POST and direct POST, with ``token`` (if any) and without."""
    ways: list[tuple[str, dict[str, str]]] = [("no token", {})]
    if token:
        ways.insert(0, ("token", {"Authorization": f"Bearer {token}"}))
    outcomes = []
    for label, headers in ways:
        outcomes += [
            _outcome(f"form POST, {label}", _form(http, endpoint, "update", attack, headers)),
            _outcome(f"direct POST, {label}",
                     _direct(http, endpoint, attack, "application/sparql-update", headers)),
        ]
    return outcomes


def send(http: httpx.Client, endpoint: str, attack: Attack, token: str | None) -> list[Outcome]:
    """The attack every way its kind may be sent."""
    if attack.kind == "query":
        return send_query(http, endpoint, attack)
    return send_update(http, endpoint, attack, token)


def finding(attack: Attack, outcomes: list[Outcome], connections: int) -> str:
    """What an attack did, for a failure message or a report: the canary connections,
    every way's status, the text and parameters."""
    ways = "; ".join(f"{o.way} -> {o.status} {o.body[:120]}".rstrip() for o in outcomes)
    parameters = f"\n  parameters: {attack.params}" if attack.params else ""
    return (f"{attack.describe()}: {connections} canary connection(s); {ways}"
            f"\n  {attack.kind}: {attack.text!r}{parameters}")


def harmless(outcome: Outcome) -> bool:
    """A refusal (4xx other than 429) or a success; never a server error, a redirect, or
    a rate limit (which would hide whether the request was judged)."""
    return 200 <= outcome.status < 300 or (400 <= outcome.status < 500 and outcome.status != 429)
